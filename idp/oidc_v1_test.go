package idp_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssoharness/ssoharness/idp"
)

// The v1.0 endpoints (oidc_v1.go) against a real RP library: coreos/go-oidc configured as a
// v1 RP is, with discovery from the authority (the mock's /{tid}/.well-known/openid-configuration,
// Entra's login.microsoftonline.com/{tid}) and the issuer pinned to Entra's v1 issuer,
// https://sts.windows.net/{tid}/, which no host serves discovery for. golang.org/x/oauth2 reads
// the v1 token response (numbers as strings).

func v1Issuer(tid string) string { return "https://sts.windows.net/" + tid + "/" }

func TestV1GoOIDCCodeFlow(t *testing.T) {
	srv := startOIDC(t)
	c := oidcBrowser(srv)
	ctx := oidc.InsecureIssuerURLContext(oidcRPContext(c), v1Issuer(contosoID))
	p, err := oidc.NewProvider(ctx, srv.URL+"/"+contosoID)
	if err != nil {
		t.Fatalf("v1 discovery: %v", err)
	}
	if got := p.Endpoint().AuthURL; got != srv.URL+"/"+contosoID+"/oauth2/authorize" {
		t.Fatalf("authorization_endpoint %s", got)
	}
	conf := oauth2.Config{ClientID: webAppID, ClientSecret: webSecret, Endpoint: p.Endpoint(), RedirectURL: webRedir, Scopes: []string{oidc.ScopeOpenID}}
	authURL := conf.AuthCodeURL("st-1", oidc.Nonce("nonce-1"), oauth2.SetAuthURLParam("resource", "https://graph.microsoft.com"))
	res := oidcAuthorize(t, c, srv, authURL, bSimon)
	q := res.params()
	if q.Get("code") == "" || q.Get("state") != "st-1" {
		t.Fatalf("authorize answered %v (%s)", q, oidcTrunc(res.body))
	}
	tok, err := conf.Exchange(ctx, q.Get("code"))
	if err != nil {
		t.Fatalf("v1 token endpoint: %v", err)
	}
	if tok.Extra("resource") != "https://graph.microsoft.com" || tok.Extra("expires_on") == nil || tok.Extra("not_before") == nil || tok.RefreshToken == "" {
		t.Errorf("v1 token response: resource %v, expires_on %v, not_before %v, refresh token %t",
			tok.Extra("resource"), tok.Extra("expires_on"), tok.Extra("not_before"), tok.RefreshToken != "")
	}
	if tok.Expiry.IsZero() {
		t.Error("x/oauth2 could not read expires_in (a string in v1)")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: webAppID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("go-oidc rejects the v1 ID token: %v", err)
	}
	if idt.Issuer != v1Issuer(contosoID) || idt.Nonce != "nonce-1" {
		t.Errorf("ID token iss %s, nonce %q", idt.Issuer, idt.Nonce)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims["ver"] != "1.0" || claims["unique_name"] != bSimon || claims["upn"] != bSimon || claims["tid"] != contosoID {
		t.Errorf("v1 ID token claims: %v", claims)
	}
	at := jwtClaims(t, tok.AccessToken)
	if at["aud"] != "https://graph.microsoft.com" || at["iss"] != v1Issuer(contosoID) || at["ver"] != "1.0" ||
		at["appid"] != webAppID || at["appidacr"] != "1" || at["scp"] != "User.Read" || at["unique_name"] != bSimon {
		t.Errorf("v1 access token claims: %v", at)
	}

	// userinfo, from the v1 discovery's userinfo_endpoint (/{tid}/openid/userinfo).
	ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("v1 userinfo: %v", err)
	}
	if ui.Subject != idt.Subject {
		t.Errorf("userinfo sub %q, ID token sub %q", ui.Subject, idt.Subject)
	}

	// The refresh token is a multi-resource refresh token: the same token, another resource.
	status, body := postToken(t, srv, "/"+contosoID+"/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
		"client_id": {webAppID}, "client_secret": {webSecret}, "resource": {webAppID}})
	if status != http.StatusOK {
		t.Fatalf("refresh for another resource: %d %v", status, body)
	}
	if at := jwtClaims(t, body["access_token"].(string)); at["aud"] != webAppID || at["scp"] != "user_impersonation" {
		t.Errorf("refreshed access token aud %v, scp %v", at["aud"], at["scp"])
	}
	if body["resource"] != webAppID || body["id_token"] == nil {
		t.Errorf("refresh response: resource %v, id_token %t", body["resource"], body["id_token"] != nil)
	}
	if _, isString := body["expires_in"].(string); !isString {
		t.Errorf("v1 expires_in is %T, want a string", body["expires_in"])
	}

	// v1 logout ends the session as v2's does.
	resp, err := c.Get(srv.URL + "/" + contosoID + "/oauth2/logout?post_logout_redirect_uri=" + url.QueryEscape(webRedir))
	if err != nil {
		t.Fatal(err)
	}
	if b := oidcRead(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, "You signed out") {
		t.Errorf("v1 logout: %d %s", resp.StatusCode, oidcTrunc(b))
	}
	var v1Events int
	for _, ev := range srv.Events() {
		if ev.Kind == idp.EventAuthorize && ev.Request["endpoint"] == "v1.0" && ev.Request["resource"] == "https://graph.microsoft.com" {
			v1Events++
		}
	}
	if v1Events == 0 {
		t.Error("the sign-in log has no v1 authorize event with its resource")
	}
}

// TestV1Resources: resource= names Graph or an app registration; the token's version follows
// the resource's accessTokenAcceptedVersion; an unknown resource is AADSTS500011.
func TestV1Resources(t *testing.T) {
	cfg := oidcTestConfig()
	apps := cfg.Tenants[0].AppRegistrations
	apps[0].IdentifierURIs = []string{"https://contoso.example/web"}
	apps[2].IdentifierURIs = []string{"api://contoso-multi"}
	apps[2].RequestedAccessTokenVersion = 2
	srv := startOIDCWith(t, cfg)
	cc := func(resource string) (int, map[string]any) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {webAppID}, "client_secret": {webSecret}}
		if resource != "" {
			form.Set("resource", resource)
		}
		return postToken(t, srv, "/"+contosoID+"/oauth2/token", form)
	}
	for _, c := range []struct{ resource, aud, iss, ver string }{
		{"https://graph.microsoft.com", "https://graph.microsoft.com", v1Issuer(contosoID), "1.0"},
		{"00000003-0000-0000-c000-000000000000", "00000003-0000-0000-c000-000000000000", v1Issuer(contosoID), "1.0"},
		{"https://contoso.example/web", "https://contoso.example/web", v1Issuer(contosoID), "1.0"},
		{"api://contoso-multi", multiAppID, srv.URL + "/" + contosoID + "/v2.0", "2.0"},
	} {
		status, body := cc(c.resource)
		if status != http.StatusOK {
			t.Errorf("%s: %d %v", c.resource, status, body)
			continue
		}
		at := jwtClaims(t, body["access_token"].(string))
		if at["aud"] != c.aud || at["iss"] != c.iss || at["ver"] != c.ver {
			t.Errorf("%s: aud %v iss %v ver %v; want %s %s %s", c.resource, at["aud"], at["iss"], at["ver"], c.aud, c.iss, c.ver)
		}
		if body["resource"] != c.resource || body["scope"] != nil {
			t.Errorf("%s: response resource %v, scope %v (an app-only v1 response has no scope)", c.resource, body["resource"], body["scope"])
		}
	}
	status, body := cc("https://unknown.example")
	if status != http.StatusBadRequest || body["error"] != "invalid_resource" ||
		!strings.Contains(body["error_description"].(string), "AADSTS500011: The resource principal named https://unknown.example was not found in the tenant named "+contosoID+".") {
		t.Errorf("unknown resource: %d %v", status, body)
	}
	if status, body := cc(""); status != http.StatusBadRequest || !strings.Contains(body["error_description"].(string), "'resource'") {
		t.Errorf("no resource: %d %v", status, body)
	}

	// At /authorize, an unknown resource goes back to the client.
	b := oidcBrowser(srv)
	q := url.Values{"client_id": {webAppID}, "redirect_uri": {webRedir}, "response_type": {"code"}, "resource": {"https://unknown.example"}, "state": {"s"}}
	res := oidcAuthorize(t, b, srv, srv.URL+"/"+contosoID+"/oauth2/authorize?"+q.Encode(), bSimon)
	if p := res.params(); p.Get("error") != "invalid_resource" || !strings.Contains(p.Get("error_description"), "AADSTS500011") {
		t.Errorf("authorize with an unknown resource: %v", p)
	}
}

// TestV1ImplicitIDToken: response_type "id_token" at the v1 endpoint gives a v1 ID token
// (openid implied) with ipaddr.
func TestV1ImplicitIDToken(t *testing.T) {
	srv := startOIDC(t)
	q := url.Values{"client_id": {webAppID}, "redirect_uri": {webRedir}, "response_type": {"id_token"}, "nonce": {"n-1"}, "state": {"s"}}
	res := oidcAuthorize(t, oidcBrowser(srv), srv, srv.URL+"/"+contosoID+"/oauth2/authorize?"+q.Encode(), bSimon)
	raw := res.params().Get("id_token")
	if raw == "" {
		t.Fatalf("no id_token: %v", res.params())
	}
	c := jwtClaims(t, raw)
	if c["ver"] != "1.0" || c["iss"] != v1Issuer(contosoID) || c["nonce"] != "n-1" || c["ipaddr"] == nil || c["aud"] != webAppID {
		t.Errorf("v1 implicit ID token: %v", c)
	}
}

// TestV1CheckSessionAndKerberos: the two other endpoints the v1 discovery advertises answer.
func TestV1CheckSessionAndKerberos(t *testing.T) {
	srv := startOIDC(t)
	resp, err := srv.Client().Get(srv.URL + "/" + contosoID + "/oauth2/checksession")
	if err != nil {
		t.Fatal(err)
	}
	if b := oidcRead(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, `postMessage(answer, e.origin)`) {
		t.Errorf("checksession: %d %s", resp.StatusCode, oidcTrunc(b))
	}
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(m, srv.URL+"/"+contosoID+"/kerberos", strings.NewReader(""))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || body["error_codes"] == nil {
			t.Errorf("%s kerberos: %d %v", m, resp.StatusCode, body)
		}
	}
}

// TestFidelityV1IDTokenAndDiscovery compares a v1 ID token's header and claims with Entra's
// (samples/id-token-v1-header.json, id-token-v1-claims.json) and the v1 discovery issuer with
// entra.md's (https://sts.windows.net/{tid}/).
func TestFidelityV1IDTokenAndDiscovery(t *testing.T) {
	var wantHdr, wantClaims map[string]any
	if err := json.Unmarshal(fidSample(t, "id-token-v1-header.json"), &wantHdr); err != nil {
		t.Fatal(err)
	}
	claimsJSON := fidSample(t, "id-token-v1-claims.json")
	if err := json.Unmarshal(claimsJSON, &wantClaims); err != nil {
		t.Fatal(err)
	}
	srv := startOIDC(t)
	q := url.Values{"client_id": {webAppID}, "redirect_uri": {webRedir}, "response_type": {"code"}, "scope": {"openid"}, "nonce": {"n"}, "state": {"s"}}
	res := oidcAuthorize(t, oidcBrowser(srv), srv, srv.URL+"/"+contosoID+"/oauth2/authorize?"+q.Encode(), bSimon)
	status, body := postToken(t, srv, "/"+contosoID+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {res.params().Get("code")},
		"redirect_uri": {webRedir}, "client_id": {webAppID}, "client_secret": {webSecret}})
	if status != http.StatusOK {
		t.Fatalf("%d %v", status, body)
	}
	raw := body["id_token"].(string)
	hb, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	var hdr map[string]any
	if err := json.Unmarshal(hb, &hdr); err != nil {
		t.Fatal(err)
	}
	if !sameKeys(hdr, wantHdr) || hdr["x5t"] != hdr["kid"] {
		t.Errorf("header members %v, Entra's %v (x5t = kid)", keysOf(hdr), keysOf(wantHdr))
	}
	got := jwtClaims(t, raw)
	// Entra's sample is a guest's token: idp (the home tenant's issuer) is sent only for
	// guests. A member's carries upn, which a guest's lacks; email comes with the optional
	// claim the test app has.
	guestOnly, memberOnly := []string{"idp"}, []string{"upn", "groups", "roles"}
	var missing, extra []string
	same := 0
	for k := range wantClaims {
		if _, ok := got[k]; ok {
			same++
		} else if !slices.Contains(guestOnly, k) {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if _, ok := wantClaims[k]; !ok && !slices.Contains(memberOnly, k) {
			extra = append(extra, k)
		}
	}
	t.Logf("v1 ID token: %d of Entra's %d claims (idp is guest-only); member-only extras: %v", same, len(wantClaims), memberOnly)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("v1 ID token claims: missing %v, unexpected %v", missing, extra)
	}
	if got["ver"] != wantClaims["ver"] || !strings.HasPrefix(got["iss"].(string), "https://sts.windows.net/") {
		t.Errorf("ver %v iss %v; Entra's %v %v", got["ver"], got["iss"], wantClaims["ver"], wantClaims["iss"])
	}
	if order := claimOrder(t, raw, wantClaims, claimsJSON); order != "" {
		t.Errorf("claim order differs from Entra's: %s", order)
	}
	if exp, iat := got["exp"].(float64), got["iat"].(float64); exp-iat != wantClaims["exp"].(float64)-wantClaims["iat"].(float64) {
		t.Errorf("exp - iat = %v, Entra's %v", exp-iat, wantClaims["exp"].(float64)-wantClaims["iat"].(float64))
	}

	resp, err := srv.Client().Get(srv.URL + "/" + contosoID + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if disc["issuer"] != v1Issuer(contosoID) || disc["microsoft_multi_refresh_token"] != true {
		t.Errorf("v1 discovery issuer %v, microsoft_multi_refresh_token %v", disc["issuer"], disc["microsoft_multi_refresh_token"])
	}
	resp, err = srv.Client().Get(srv.URL + "/common/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if disc["issuer"] != "https://sts.windows.net/{tenantid}/" {
		t.Errorf("common v1 discovery issuer %v", disc["issuer"])
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sameKeys(a, b map[string]any) bool { return slices.Equal(keysOf(a), keysOf(b)) }

// claimOrder compares the order of the claims both tokens carry; "" when it is the same.
func claimOrder(t *testing.T, raw string, want map[string]any, wantJSON []byte) string {
	t.Helper()
	pb, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	gotOrder, wantOrder := jsonKeyOrder(t, pb), jsonKeyOrder(t, wantJSON)
	var g, w []string
	for _, k := range gotOrder {
		if _, ok := want[k]; ok {
			g = append(g, k)
		}
	}
	for _, k := range wantOrder {
		if slices.Contains(g, k) {
			w = append(w, k)
		}
	}
	if slices.Equal(g, w) {
		return ""
	}
	return strings.Join(g, ",") + " vs Entra's " + strings.Join(w, ",")
}

// jsonKeyOrder lists the top-level member names of a JSON object in document order.
func jsonKeyOrder(t *testing.T, b []byte) []string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(string(b)))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestV1DiscoveryEndpointsAnswer walks every URL the v1 discovery documents (tenant and
// common) advertise, and kerberos_endpoint of v2's, and wants each to be served: no 404, not
// the unknown-endpoint page (AADSTS900561 "does not exist"). device_authorization_endpoint
// is another change's (device code).
func TestV1DiscoveryEndpointsAnswer(t *testing.T) {
	srv := startOIDC(t)
	get := func(u string) (int, string) {
		resp, err := srv.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, oidcRead(t, resp)
	}
	urls := map[string]bool{}
	for _, doc := range []string{"/" + contosoID + "/.well-known/openid-configuration", "/common/.well-known/openid-configuration",
		"/" + contosoID + "/v2.0/.well-known/openid-configuration"} {
		status, body := get(srv.URL + doc)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", doc, status)
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatal(err)
		}
		for k, v := range d {
			u, ok := v.(string)
			if !ok || !strings.HasPrefix(u, srv.URL) || k == "device_authorization_endpoint" {
				continue
			}
			if strings.Contains(doc, "v2.0") && k != "kerberos_endpoint" {
				continue // v2's own endpoints have their tests
			}
			urls[k+" "+u] = true
		}
	}
	if len(urls) < 14 {
		t.Fatalf("only %d endpoint URLs found: %v", len(urls), urls)
	}
	for _, ku := range slices.Sorted(maps.Keys(urls)) {
		_, u, _ := strings.Cut(ku, " ")
		status, body := get(u)
		if status == http.StatusNotFound || strings.Contains(body, "does not exist") {
			t.Errorf("%s: %d (not served)", ku, status)
		} else {
			t.Logf("%s: %d", ku, status)
		}
	}
}
