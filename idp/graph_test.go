package idp_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The mock's Microsoft Graph (graph_*.go), over plain HTTP with the mock's own tokens:
// paging, query options, Graph's errors, authorisation, faults and the log.

const (
	graphTenant    = "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"
	importerID     = "bbbbbbbb-0000-4000-8000-000000000001" // User.Read.All, GroupMember.Read.All (roles), consented
	unconsentedID  = "bbbbbbbb-0000-4000-8000-000000000002" // User.Read.All, admin consent not granted
	noPermsID      = "bbbbbbbb-0000-4000-8000-000000000003" // no Graph permission
	graphSecret    = "Gq8Q~graph.secret-value_0123456789abcde"
	graphRedirect  = "https://importer.example.test/callback"
	graphLiveUsers = 250                                    // + guest + disabled = 252 live users; + 1 deleted
	engID          = "c0000000-0000-4000-8000-000000000001" // Engineering ⊂ All Staff
	allStaffID     = "c0000000-0000-4000-8000-000000000002"
	platformID     = "c0000000-0000-4000-8000-000000000003" // Platform ⊂ Engineering
)

// graphTestConfig is a tenant with 250 ordinary users, a guest, a disabled and a deleted
// user, nested groups and three importer apps.
func graphTestConfig() *idp.Config {
	no := false
	t := &idp.Tenant{ID: graphTenant, DisplayName: "Contoso", VerifiedDomains: []string{"contoso.onmicrosoft.com", "contoso.com"},
		Groups: []*idp.Group{
			{ID: allStaffID, DisplayName: "All Staff", Mail: "allstaff@contoso.com", MailEnabled: true},
			{ID: engID, DisplayName: "Engineering", Description: "Engineers", MemberOf: []string{"All Staff"}},
			{ID: platformID, DisplayName: "Platform", MemberOf: []string{engID}},
		}}
	for i := range graphLiveUsers {
		u := &idp.User{ID: fmt.Sprintf("d0000000-0000-4000-8000-%012d", i), UserPrincipalName: fmt.Sprintf("user%03d@contoso.com", i),
			DisplayName: fmt.Sprintf("User %03d", i), GivenName: "User", Surname: fmt.Sprintf("%03d", i), Password: bPassword,
			Mail: fmt.Sprintf("user%03d@contoso.com", i), MailNickname: fmt.Sprintf("user%03d", i), JobTitle: "Engineer", Department: "R&D"}
		if i > 0 && i < 3 {
			u.Manager = "user000@contoso.com"
		}
		switch {
		case i < 3:
			u.MemberOf = []string{"Platform"}
		case i < 6:
			u.MemberOf = []string{"Engineering"}
		}
		t.Users = append(t.Users, u)
	}
	t.Users = append(t.Users,
		&idp.User{ID: "e0000000-0000-4000-8000-000000000001", UserPrincipalName: "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com",
			DisplayName: "Guest", Mail: "guest@fabrikam.com", UserType: "Guest", Password: bPassword, MemberOf: []string{"All Staff"}},
		&idp.User{ID: "e0000000-0000-4000-8000-000000000002", UserPrincipalName: "disabled@contoso.com", DisplayName: "Disabled",
			AccountEnabled: &no, Password: bPassword},
		&idp.User{ID: "e0000000-0000-4000-8000-000000000003", UserPrincipalName: "deleted@contoso.com", DisplayName: "Deleted",
			Password: bPassword, DeletedDateTime: "2026-11-30T10:00:00Z"})
	graph := "00000003-0000-0000-c000-000000000000"
	app := func(id, name string, consent *bool, perms ...idp.ResourceAccess) *idp.AppRegistration {
		return &idp.AppRegistration{AppID: id, DisplayName: name, AdminConsentGranted: consent,
			Web:                    idp.WebPlatform{RedirectURIs: []string{graphRedirect}},
			PasswordCredentials:    []*idp.PasswordCredential{{KeyID: "f0000000-0000-4000-8000-" + id[len(id)-12:], SecretText: graphSecret}},
			RequiredResourceAccess: []idp.RequiredResourceAccess{{ResourceAppID: graph, ResourceAccess: perms}}}
	}
	t.AppRegistrations = []*idp.AppRegistration{
		app(importerID, "Importer", nil, idp.ResourceAccess{ID: "df021288-bdef-4463-88db-98f22de89214", Type: "Role"},
			idp.ResourceAccess{ID: "GroupMember.Read.All", Type: "Role"}, idp.ResourceAccess{ID: "User.Read", Type: "Scope"}),
		app(unconsentedID, "Unconsented importer", &no, idp.ResourceAccess{ID: "User.Read.All", Type: "Role"}),
		app(noPermsID, "No permissions", nil),
	}
	t.AppRegistrations[2].IdentifierURIs = []string{"api://" + noPermsID}
	return &idp.Config{Tenants: []*idp.Tenant{t}}
}

// graphToken is an app-only token of appID for scope (client credentials).
func graphToken(t *testing.T, srv *idp.Server, appID, scope string) string {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL+"/"+graphTenant+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {appID}, "client_secret": {graphSecret}, "scope": {scope}})
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	body := oidcRead(t, resp)
	if err := json.Unmarshal([]byte(body), &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("client credentials for %s: %d %s", appID, resp.StatusCode, body)
	}
	return tr.AccessToken
}

// graphGet sends a Graph request and decodes the JSON answer.
func graphGet(t *testing.T, srv *idp.Server, tok, pathOrURL string, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	u := pathOrURL
	if strings.HasPrefix(u, "/") {
		u = srv.URL + u
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := oidcRead(t, resp)
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	return resp.StatusCode, resp.Header, m
}

// graphErrCode is the error.code and message of a Graph error body, and whether innerError
// has its three members.
func graphErrCode(m map[string]any) (string, string, bool) {
	e, _ := m["error"].(map[string]any)
	in, _ := e["innerError"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	return code, msg, in["date"] != nil && in["request-id"] != nil && in["client-request-id"] != nil
}

func TestGraphUsersPaging(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(graphTestConfig()))
	tok := graphToken(t, srv, importerID, "https://graph.microsoft.com/.default")
	next, pages := "/v1.0/users", 0
	var upns []string
	for next != "" {
		st, _, m := graphGet(t, srv, tok, next)
		if st != http.StatusOK {
			t.Fatalf("page %d: %d %v", pages+1, st, m)
		}
		pages++
		if m["@odata.context"] != srv.URL+"/v1.0/$metadata#users" {
			t.Errorf("@odata.context %v", m["@odata.context"])
		}
		for _, v := range m["value"].([]any) {
			o := v.(map[string]any)
			upns = append(upns, o["userPrincipalName"].(string))
			if pages == 1 && len(upns) == 1 {
				var keys []string
				for k := range o {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				want := []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}
				if !slices.Equal(keys, want) || o["preferredLanguage"] != nil {
					t.Errorf("default properties %v, want %v", keys, want)
				}
			}
		}
		next, _ = m["@odata.nextLink"].(string)
		if next != "" && !strings.Contains(next, "$skiptoken=") {
			t.Errorf("nextLink %q", next)
		}
	}
	if pages != 3 || len(upns) != graphLiveUsers+2 || slices.Contains(upns, "deleted@contoso.com") {
		t.Errorf("%d pages, %d users (deleted listed: %v), want 3 pages of the %d live users", pages, len(upns), slices.Contains(upns, "deleted@contoso.com"), graphLiveUsers+2)
	}
	// $top and $select travel in the nextLink; the log has a graph-request event per page.
	srv.ResetEvents()
	_, _, m := graphGet(t, srv, tok, "/v1.0/users?$top=120&$select=id,accountEnabled")
	if len(m["value"].([]any)) != 120 || !strings.Contains(m["@odata.nextLink"].(string), "$top=120&$select=id,accountEnabled&$skiptoken=") {
		t.Errorf("$top page: %d, next %v", len(m["value"].([]any)), m["@odata.nextLink"])
	}
	if o := m["value"].([]any)[0].(map[string]any); len(o) != 2 || o["accountEnabled"] != true {
		t.Errorf("$select: %v", o)
	}
	_, _, m = graphGet(t, srv, tok, m["@odata.nextLink"].(string))
	evs := srv.Events()
	if len(evs) != 2 || evs[1].Protocol != "Graph" || evs[1].Kind != idp.EventGraphRequest || evs[1].Response["page"] != "2" ||
		evs[1].Response["status"] != "200" || evs[1].AppID != importerID || evs[1].Response["nextLink"] != "true" {
		t.Errorf("events: %+v", evs)
	}
}

func TestGraphQueryOptionsAndErrors(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(graphTestConfig()))
	tok := graphToken(t, srv, importerID, "https://graph.microsoft.com/.default")
	count := func(path string, hdr ...string) int {
		st, _, m := graphGet(t, srv, tok, path, hdr...)
		if st != http.StatusOK {
			t.Errorf("%s: %d %v", path, st, m)
			return -1
		}
		return len(m["value"].([]any))
	}
	for path, want := range map[string]int{
		"/v1.0/users?$filter=userPrincipalName eq 'USER007@contoso.com'":                                1,
		"/v1.0/users?$filter=accountEnabled eq false":                                                   1,
		"/v1.0/users?$filter=userType eq 'Guest'":                                                       1,
		"/v1.0/users?$filter=startswith(displayName,'User 01')&$top=999":                                10,
		"/v1.0/users?$filter=mail in ('user001@contoso.com','guest@fabrikam.com')":                      2,
		"/v1.0/users?$filter=id eq 'd0000000-0000-4000-8000-000000000002' or displayName eq 'Disabled'": 2,
		"/v1.0/groups?$filter=displayName eq 'Engineering'":                                             1,
	} {
		if n := count(strings.ReplaceAll(path, " ", "%20")); n != want {
			t.Errorf("%s: %d objects, want %d", path, n, want)
		}
	}
	st, _, m := graphGet(t, srv, tok, "/v1.0/users?$count=true&$search=%22displayName:user%2001%22", "ConsistencyLevel", "eventual")
	if st != 200 || m["@odata.count"] != float64(10) {
		t.Errorf("$count with $search: %d %v", st, m["@odata.count"])
	}
	for _, c := range []struct{ path, code, msg string }{
		{"/v1.0/users?$top=1000", "Request_BadRequest", "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."},
		{"/v1.0/users?$top=0", "Request_BadRequest", "Invalid page size specified"},
		{"/v1.0/users?$count=true", "Request_BadRequest", "$count is not currently supported."},
		{"/v1.0/users?$search=%22displayName:a%22", "Request_UnsupportedQuery", "only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"},
		{"/v1.0/users/$count", "Request_UnsupportedQuery", "Raw count (/$count) is not supported because the 'ConsistencyLevel:eventual' header is missing."},
		{"/v1.0/users?$filter=officeLocation%20eq%20'x'", "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'officeLocation' of resource 'User'."},
		{"/v1.0/users?$filter=displayName%20ne%20'x'", "Request_UnsupportedQuery", "property 'displayName'"},
		{"/v1.0/users?$filter=displayName%20eq%20'x", "BadRequest", "Invalid filter clause"},
		{"/v1.0/users?$select=aboutMeX", "BadRequest", "Could not find a property named 'aboutMeX' on type 'microsoft.graph.user'."},
		{"/v1.0/users?$skiptoken=garbage", "Request_BadRequest", "Invalid paging token"},
		{"/v1.0/users/nobody@contoso.com", "Request_ResourceNotFound", "Resource 'nobody@contoso.com' does not exist"},
		{"/v1.0/users/deleted@contoso.com", "Request_ResourceNotFound", "does not exist"},
		{"/v1.0/nosuch", "BadRequest", "Resource not found for the segment 'nosuch'."},
		{"/v1.0/me", "BadRequest", "/me request is only valid with delegated authentication flow."},
	} {
		st, h, m := graphGet(t, srv, tok, c.path, "client-request-id", "cr-1")
		code, msg, inner := graphErrCode(m)
		want := http.StatusBadRequest
		if c.code == "Request_ResourceNotFound" {
			want = http.StatusNotFound
		}
		if st != want || code != c.code || !strings.Contains(msg, c.msg) || !inner || h.Get("request-id") == "" || h.Get("client-request-id") != "cr-1" {
			t.Errorf("%s: %d %q %q (innerError %v), want %d %s %q", c.path, st, code, msg, inner, want, c.code, c.msg)
		}
	}
	// One user by UPN, a raw count, the deleted items, the tenant.
	if st, _, m := graphGet(t, srv, tok, "/v1.0/users/user005@contoso.com?$select=id,department"); st != 200 || m["department"] != "R&D" ||
		m["@odata.context"] != srv.URL+"/v1.0/$metadata#users(id,department)/$entity" {
		t.Errorf("user by UPN: %d %v", st, m)
	}
	if st, _, m := graphGet(t, srv, tok, "/v1.0/directory/deletedItems/microsoft.graph.user"); st != 200 || len(m["value"].([]any)) != 1 ||
		m["value"].([]any)[0].(map[string]any)["deletedDateTime"] != "2026-11-30T10:00:00Z" {
		t.Errorf("deleted items: %d %v", st, m)
	}
}

func TestGraphGroupsAndMemberships(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(graphTestConfig()))
	tok := graphToken(t, srv, importerID, "https://graph.microsoft.com/.default")
	ids := func(path string) []string {
		st, _, m := graphGet(t, srv, tok, path)
		if st != 200 {
			t.Fatalf("%s: %d %v", path, st, m)
		}
		var out []string
		for _, v := range m["value"].([]any) {
			o := v.(map[string]any)
			out = append(out, fmt.Sprint(o["@odata.type"], " ", o["displayName"]))
		}
		return out
	}
	if got := ids("/v1.0/groups/" + engID + "/members"); len(got) != 4 || got[0] != "#microsoft.graph.group Platform" || got[1] != "#microsoft.graph.user User 003" {
		t.Errorf("members of Engineering: %v", got)
	}
	if got := ids("/v1.0/groups/" + allStaffID + "/transitiveMembers"); len(got) != 9 {
		t.Errorf("transitive members of All Staff: %d %v, want 2 groups and 7 users", len(got), got)
	}
	if got := ids("/v1.0/groups/" + allStaffID + "/transitiveMembers?$filter=userType%20eq%20'Guest'"); len(got) != 1 || got[0] != "#microsoft.graph.user Guest" {
		t.Errorf("transitive members filtered on a property outside the default set: %v", got)
	}
	if got := ids("/v1.0/users/user000@contoso.com/memberOf"); len(got) != 1 || got[0] != "#microsoft.graph.group Platform" {
		t.Errorf("memberOf: %v", got)
	}
	if st, _, m := graphGet(t, srv, tok, "/v1.0/users/user001@contoso.com/manager"); st != 200 || m["userPrincipalName"] != "user000@contoso.com" || m["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("manager: %d %v", st, m)
	}
	if st, _, m := graphGet(t, srv, tok, "/v1.0/users/user000@contoso.com/manager"); st != 404 {
		t.Errorf("no manager: %d %v", st, m)
	}
	// getMemberObjects answers at the path the tokens' _claim_sources name.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1.0/users/d0000000-0000-4000-8000-000000000000/getMemberObjects", strings.NewReader(`{"securityEnabledOnly":false}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var gm struct {
		Value []string `json:"value"`
	}
	_ = json.Unmarshal([]byte(oidcRead(t, resp)), &gm)
	if slices.Sort(gm.Value); resp.StatusCode != 200 || !slices.Equal(gm.Value, []string{engID, allStaffID, platformID}) {
		t.Errorf("getMemberObjects: %d %v", resp.StatusCode, gm.Value)
	}
	// Behind a hosts entry the mock is graph.microsoft.com, and its links say so.
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/v1.0/groups?$top=1", nil)
	req.Host = "graph.microsoft.com"
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err = srv.Client().Do(req); err != nil {
		t.Fatal(err)
	}
	var page map[string]any
	_ = json.Unmarshal([]byte(oidcRead(t, resp)), &page)
	if page["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#groups" || !strings.HasPrefix(fmt.Sprint(page["@odata.nextLink"]), "https://graph.microsoft.com/v1.0/groups?$top=1&$skiptoken=") {
		t.Errorf("as graph.microsoft.com: %d %v %v", resp.StatusCode, page["@odata.context"], page["@odata.nextLink"])
	}
	if st, _, m := graphGet(t, srv, tok, "/v1.0/groups/"+engID); st != 200 || m["description"] != "Engineers" || m["securityEnabled"] != true {
		t.Errorf("group: %d %v", st, m)
	}
}

func TestGraphAuthorization(t *testing.T) {
	clock := idp.NewClock()
	srv := idptest.Start(t, idp.WithConfig(graphTestConfig()), idp.WithClock(clock))
	for _, c := range []struct {
		name, tok     string
		status        int
		code, message string
	}{
		{"no token", "", 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"not a JWT", "not.a.jwt", 401, "InvalidAuthenticationToken", "Access token validation failure."},
		{"another audience", graphToken(t, srv, noPermsID, "api://"+noPermsID+"/.default"), 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."},
		{"admin consent not granted", graphToken(t, srv, unconsentedID, "https://graph.microsoft.com/.default"), 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"no permission", graphToken(t, srv, noPermsID, "https://graph.microsoft.com/.default"), 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
	} {
		st, h, m := graphGet(t, srv, c.tok, "/v1.0/users")
		code, msg, inner := graphErrCode(m)
		if st != c.status || code != c.code || msg != c.message || !inner || (st == 401 && h.Get("WWW-Authenticate") == "") {
			t.Errorf("%s: %d %q %q, want %d %s %q", c.name, st, code, msg, c.status, c.code, c.message)
		}
	}
	tok := graphToken(t, srv, importerID, "https://graph.microsoft.com/.default")
	if st, _, m := graphGet(t, srv, tok, "/v1.0/servicePrincipals"); st != 403 {
		t.Errorf("servicePrincipals without Application.Read.All: %d %v", st, m)
	}
	clock.Advance(2 * time.Hour)
	st, _, m := graphGet(t, srv, tok, "/v1.0/users")
	if code, msg, _ := graphErrCode(m); st != 401 || code != "InvalidAuthenticationToken" || msg != "Lifetime validation failed, the token is expired." {
		t.Errorf("expired token: %d %q %q", st, code, msg)
	}
}

// TestGraphDelegated signs a user in (code flow) and calls /me with the delegated token: scp
// User.Read reads /me and the user itself, not /users.
func TestGraphDelegated(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(graphTestConfig()))
	cfg := oauth2.Config{ClientID: importerID, ClientSecret: graphSecret, RedirectURL: graphRedirect, Scopes: []string{"openid", "User.Read"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.URL + "/" + graphTenant + "/oauth2/v2.0/authorize", TokenURL: srv.URL + "/" + graphTenant + "/oauth2/v2.0/token"}}
	res := oidcAuthorize(t, oidcBrowser(srv), srv, cfg.AuthCodeURL("st"), "user004@contoso.com")
	tok, err := cfg.Exchange(oidcRPContext(srv.Client()), res.params().Get("code"))
	if err != nil {
		t.Fatalf("exchange: %v (%v %s)", err, res.location, oidcTrunc(res.body))
	}
	if st, _, m := graphGet(t, srv, tok.AccessToken, "/v1.0/me"); st != 200 || m["userPrincipalName"] != "user004@contoso.com" {
		t.Errorf("/me: %d %v", st, m)
	}
	if st, _, _ := graphGet(t, srv, tok.AccessToken, "/v1.0/users/user004@contoso.com"); st != 200 {
		t.Errorf("own user by UPN: %d", st)
	}
	if st, _, m := graphGet(t, srv, tok.AccessToken, "/v1.0/users"); st != 403 {
		t.Errorf("/users with scp User.Read: %d %v", st, m)
	}
	// A deleted user cannot sign in: its login is unknown (AADSTS50034), as in Entra.
	c := oidcBrowser(srv)
	resp, err := c.Get(cfg.AuthCodeURL("st"))
	if err != nil {
		t.Fatal(err)
	}
	action, v := oidcFormOf(t, oidcRead(t, resp))
	v.Set("login", "deleted@contoso.com")
	srv.ResetEvents()
	if resp, err = c.PostForm(srv.URL+action, v); err != nil {
		t.Fatal(err)
	}
	body := oidcRead(t, resp)
	evs := srv.Events()
	if len(evs) == 0 || evs[len(evs)-1].ErrorCode != 50034 || strings.Contains(body, "Enter password") {
		t.Errorf("deleted user's sign-in: events %+v", evs)
	}
}

func TestGraphFaults(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(graphTestConfig()))
	tok := graphToken(t, srv, importerID, "https://graph.microsoft.com/.default")
	if err := srv.ArmGraphFault(idp.GraphFault{Kind: idp.GraphFaultThrottle, After: 1, RetryAfter: 7}); err != nil {
		t.Fatal(err)
	}
	if err := srv.ArmGraphFault(idp.GraphFault{Kind: idp.GraphFaultUnavailable, After: 2}); err != nil {
		t.Fatal(err)
	}
	if err := srv.ArmGraphFault(idp.GraphFault{Kind: "nonsense"}); err == nil {
		t.Error("an unknown kind armed")
	}
	st, _, m := graphGet(t, srv, tok, "/v1.0/users")
	next, _ := m["@odata.nextLink"].(string)
	if st != 200 || next == "" {
		t.Fatalf("first page: %d", st)
	}
	st, h, m := graphGet(t, srv, tok, next)
	if code, _, inner := graphErrCode(m); st != 429 || h.Get("Retry-After") != "7" || code != "TooManyRequests" || !inner {
		t.Errorf("throttle: %d Retry-After %q %v", st, h.Get("Retry-After"), m)
	}
	st, h, m = graphGet(t, srv, tok, next)
	if code, _, _ := graphErrCode(m); st != 503 || h.Get("Retry-After") != "2" || code != "serviceNotAvailable" {
		t.Errorf("unavailable: %d %q %v", st, h.Get("Retry-After"), m)
	}
	if st, _, _ = graphGet(t, srv, tok, next); st != 200 {
		t.Errorf("after the faults: %d", st)
	}
	// A short page: the second page comes without a nextLink though a third remains.
	if err := srv.ArmGraphFault(idp.GraphFault{Kind: idp.GraphFaultShortPage, After: 1}); err != nil {
		t.Fatal(err)
	}
	srv.ResetEvents()
	_, _, m = graphGet(t, srv, tok, "/v1.0/users")
	_, _, m = graphGet(t, srv, tok, m["@odata.nextLink"].(string))
	if _, ok := m["@odata.nextLink"]; ok || len(m["value"].([]any)) != 100 {
		t.Errorf("short page: nextLink present %v, %d users", ok, len(m["value"].([]any)))
	}
	evs := srv.Events()
	if len(evs) != 2 || evs[1].Response["fault"] != "short-page" || evs[1].Response["total"] != "252" || evs[1].Response["nextLink"] != "false" {
		t.Errorf("short-page events: %+v", evs)
	}
}

// TestGraphOverageSource: a user in more than 200 groups gets the overage claim; the
// endpoint its _claim_sources names answers on the mock (the same path on Graph's host) with
// the user's groups, for the delegated token of that sign-in.
func TestGraphOverageSource(t *testing.T) {
	cfg := graphTestConfig()
	tn := cfg.Tenants[0]
	for i := range 205 {
		g := &idp.Group{ID: fmt.Sprintf("a0000000-0000-4000-8000-%012d", i), DisplayName: fmt.Sprintf("Team %03d", i)}
		tn.Groups = append(tn.Groups, g)
		tn.Users[7].MemberOf = append(tn.Users[7].MemberOf, g.ID)
	}
	tn.AppRegistrations[0].GroupMembershipClaims = "SecurityGroup"
	srv := idptest.Start(t, idp.WithConfig(cfg))
	oc := oauth2.Config{ClientID: importerID, ClientSecret: graphSecret, RedirectURL: graphRedirect, Scopes: []string{"openid", "User.Read"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.URL + "/" + graphTenant + "/oauth2/v2.0/authorize", TokenURL: srv.URL + "/" + graphTenant + "/oauth2/v2.0/token"}}
	res := oidcAuthorize(t, oidcBrowser(srv), srv, oc.AuthCodeURL("st"), tn.Users[7].UserPrincipalName)
	tok, err := oc.Exchange(oidcRPContext(srv.Client()), res.params().Get("code"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, _ := tok.Extra("id_token").(string)
	parts := strings.Split(idt, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token %q", idt)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Sources map[string]struct {
			Endpoint string `json:"endpoint"`
		} `json:"_claim_sources"`
	}
	_ = json.Unmarshal(payload, &claims)
	ep := claims.Sources["src1"].Endpoint
	if !strings.HasPrefix(ep, "https://graph.microsoft.com/v1.0/users/") {
		t.Fatalf("no overage source in %s", payload)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+strings.TrimPrefix(ep, "https://graph.microsoft.com"), strings.NewReader(`{"securityEnabledOnly":true}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var gm struct {
		Value []string `json:"value"`
	}
	body := oidcRead(t, resp)
	_ = json.Unmarshal([]byte(body), &gm)
	if resp.StatusCode != 200 || len(gm.Value) != 205 {
		t.Errorf("getMemberObjects at the claim source: %d, %d groups, want 205: %.300s", resp.StatusCode, len(gm.Value), body)
	}
}

// TestGraphFaultsControlAPI arms, lists and disarms Graph faults over the control API.
func TestGraphFaultsControlAPI(t *testing.T) {
	cfg := graphTestConfig()
	cfg.ControlAPI = &idp.ControlAPI{Token: "graph-control-token-0123456789"}
	srv := idptest.Start(t, idp.WithConfig(cfg))
	call := func(method, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+"/_mockidp/graph/faults", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer graph-control-token-0123456789")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, oidcRead(t, resp)
	}
	if st, b := call(http.MethodPost, `{"kind":"throttle","retryAfter":3}`); st != http.StatusCreated || !strings.Contains(b, `"retryAfter":3`) {
		t.Errorf("arm: %d %s", st, b)
	}
	if st, b := call(http.MethodPost, `{"kind":"slow"}`); st != http.StatusBadRequest || !strings.Contains(b, "want throttle, unavailable or short-page") {
		t.Errorf("bad kind: %d %s", st, b)
	}
	tok := graphToken(t, srv, importerID, "https://graph.microsoft.com/.default")
	if st, h, _ := graphGet(t, srv, tok, "/v1.0/users"); st != http.StatusTooManyRequests || h.Get("Retry-After") != "3" {
		t.Errorf("armed throttle: %d %q", st, h.Get("Retry-After"))
	}
	if st, b := call(http.MethodGet, ""); st != 200 || !strings.Contains(b, `"used":1`) {
		t.Errorf("list: %d %s", st, b)
	}
	if st, _ := call(http.MethodDelete, ""); st != http.StatusNoContent || len(srv.GraphFaults()) != 0 {
		t.Errorf("disarm: %d, %d left", st, len(srv.GraphFaults()))
	}
}

// TestGraphConfigChecks: the Graph properties of the directory are checked at load.
func TestGraphConfigChecks(t *testing.T) {
	for want, edit := range map[string]func(*idp.Tenant){
		"groups[1].memberOf: no group": func(t *idp.Tenant) { t.Groups[1].MemberOf = []string{"Nobody"} },
		"users[1].manager":             func(t *idp.Tenant) { t.Users[1].Manager = "ghost@contoso.com" },
		"users[0].userType":            func(t *idp.Tenant) { t.Users[0].UserType = "Admin" },
		"users[0].deletedDateTime":     func(t *idp.Tenant) { t.Users[0].DeletedDateTime = "yesterday" },
		"resourceAccess[0].type":       func(t *idp.Tenant) { t.AppRegistrations[0].RequiredResourceAccess[0].ResourceAccess[0].Type = "role" },
		"not a Microsoft Graph Role permission": func(t *idp.Tenant) {
			t.AppRegistrations[1].RequiredResourceAccess[0].ResourceAccess[0].ID = "User.Read.Al"
		},
	} {
		cfg := graphTestConfig()
		edit(cfg.Tenants[0])
		if err := cfg.Normalize(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error with %q, got %v", want, err)
		}
	}
	if err := graphTestConfig().Normalize(); err != nil {
		t.Errorf("the test directory: %v", err)
	}
}
