package provision_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/provision"
)

// TestSCIMMYWrongToken: Test Connection against the real server with a wrong secret token
// fails as the portal reports invalid credentials.
func TestSCIMMYWrongToken(t *testing.T) {
	base := startSCIMMY(t, "the-right-token-0123456789")
	s := startMock(t, base, false)
	tc, err := provision.New(s).TestConnection(context.Background(), appID)
	if err != nil {
		t.Fatal(err)
	}
	if tc.Success || tc.Step.Status != http.StatusUnauthorized || tc.ErrorCode != provision.ErrCredentialValidation ||
		!strings.Contains(tc.Message, "invalid credentials") {
		t.Errorf("test connection with a wrong token: %+v", tc)
	}
}

// TestSCIMMYUnassignDeleteScopeAll: scope all provisions every enabled user; with
// unassignAction delete a user leaving the scope (deleted here, scope all has no
// unassignment) is a DELETE, and the server no longer has it.
func TestSCIMMYUnassignDeleteScopeAll(t *testing.T) {
	base := startSCIMMY(t, scimToken)
	cfg := idp.DefaultConfig()
	app := cfg.Tenants[0].EnterpriseApps[0]
	app.Provisioning = &idp.Provisioning{TenantURL: base + "?aadOptscim062020", SecretToken: scimToken,
		Scope: idp.ProvisionAll, UnassignAction: idp.UnassignDelete}
	s := idptest.Start(t, idp.WithConfig(cfg))
	svc := provision.New(s)
	ctx := context.Background()
	log, err := svc.Cycle(ctx, appID)
	must(t, err)
	wantLog(t, "initial cycle, scope all", log, `Create Success User B.Simon@contoso.com
Create Success User AlexW@contoso.com
Create Success User MeganB@contoso.com
Other Skipped User DisabledUser@contoso.com
Create Success Group SSO Users
Create Success Group Sales
`)
	must(t, s.DeleteUser("MeganB@contoso.com"))
	log, err = svc.Cycle(ctx, appID)
	must(t, err)
	wantLog(t, "after a soft delete, unassignAction delete", log, "Delete Success User MeganB@contoso.com\n")
	if u := userByName(t, base, "MeganB@contoso.com"); u != nil {
		t.Errorf("MeganB still in the SCIM server: %v", u)
	}
}

// TestErrorCodes: what Entra's log shows for each failing answer. The endpoint here only
// injects the failures; the SCIM behaviour is tested against SCIMMY above.
func TestErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		code   string
	}{
		{409, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName taken"}`, provision.ErrEntryConflict},
		{400, `{"detail":"bad"}`, provision.ErrBadResponse},
		{403, ``, provision.ErrInsufficientRights},
		{422, ``, provision.ErrUnprocessableEntity},
		{429, ``, provision.ErrTooManyRequests},
		{500, ``, provision.ErrInternalServerError},
		{501, ``, provision.ErrNotImplemented},
		{503, ``, provision.ErrServiceUnavailable},
		{201, `not json`, provision.ErrServiceIncompatible},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			scim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "GET" {
					fmt.Fprint(w, `{"schemas":["`+provision.SchemaListResp+`"],"totalResults":0,"Resources":[]}`)
					return
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer scim.Close()
			s := startMock(t, scim.URL, false)
			log, err := provision.New(s).Cycle(context.Background(), appID)
			must(t, err)
			e := log[0]
			if e.Action != provision.ActionCreate || e.Status != provision.StatusFailure || e.ErrorCode != tc.code || e.Reason == "" {
				t.Errorf("POST answered %d: %s %s %s %q", tc.status, e.Action, e.Status, e.ErrorCode, e.Reason)
			}
			if tc.status == 409 && !strings.Contains(e.Reason, "userName taken") {
				t.Errorf("409 reason lacks the SCIM detail: %q", e.Reason)
			}
		})
	}
}

// TestControlRoute: POST /_mockidp/provisioning/{appId}/cycle is a control route: 401
// without the token, 404 before a service is attached and for an app without provisioning.
func TestControlRoute(t *testing.T) {
	s := startMock(t, "http://127.0.0.1:9/scim/v2", false)
	post := func(app, token string) int {
		req, _ := http.NewRequest("POST", s.URL+"/_mockidp/provisioning/"+app+"/cycle", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(appID, ""); got != http.StatusUnauthorized {
		t.Errorf("without the token: %d", got)
	}
	if got := post(appID, controlToken); got != http.StatusNotFound {
		t.Errorf("no service attached: %d", got)
	}
	provision.Attach(s)
	if got := post("6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", controlToken); got != http.StatusNotFound {
		t.Errorf("an app without provisioning: %d", got)
	}
	if got := post(appID, controlToken); got != http.StatusOK {
		t.Errorf("a cycle whose endpoint is down: %d (want 200 and failures in the log)", got)
	}
}

// TestSCIMMYMatchByExternalID: with externalId as the matching attribute the first cycle
// queries GET /Users?filter=externalId eq "B.Simon", matches the user the app already has
// under another userName, and PATCHes it instead of creating a second one.
//
// Finding: when the app's user has no work email, the PATCH carries {"op":"add","path":
// "emails[type eq \"work\"].value",…}, which SCIMMY rejects (400 noTarget: the filter
// matches no value), so the whole update fails; RFC 7644 3.5.2 leaves add-through-a-filter
// to no existing value unspecified.
func TestSCIMMYMatchByExternalID(t *testing.T) {
	base := startSCIMMY(t, scimToken)
	seed := func(body string) {
		req, _ := http.NewRequest("POST", base+"/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+scimToken)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("seeding a legacy user: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	seed(`{"schemas":["` + provision.SchemaUser + `"],"userName":"bsimon@legacy.example","externalId":"B.Simon","active":true,"emails":[{"type":"work","value":"bsimon@legacy.example","primary":true}]}`)
	seed(`{"schemas":["` + provision.SchemaUser + `"],"userName":"awilber@legacy.example","externalId":"AlexW","active":true}`)
	cfg := idp.DefaultConfig()
	app := cfg.Tenants[0].EnterpriseApps[0]
	app.Provisioning = &idp.Provisioning{TenantURL: base + "?aadOptscim062020", SecretToken: scimToken,
		Mappings: []idp.AttributeMapping{{Target: "externalId", Matching: true}}}
	s := idptest.Start(t, idp.WithConfig(cfg))
	log, err := provision.New(s).Cycle(context.Background(), appID)
	must(t, err)
	wantLog(t, "match by externalId", log[:2], `Update Success User B.Simon@contoso.com
Update Failure User AlexW@contoso.com [`+provision.ErrBadResponse+`]
`)
	if p := log[0].Steps[0].Path; p != `/Users?filter=externalId+eq+%22B.Simon%22` {
		t.Errorf("match query: %s", p)
	}
	if !strings.Contains(log[1].Reason, "noTarget") {
		t.Errorf("AlexW's failure: %s", log[1].Reason)
	}
	all := scimGet(t, base, "/Users?"+"filter=externalId%20eq%20%22B.Simon%22")
	if len(all) != 1 || all[0]["userName"] != "B.Simon@contoso.com" {
		t.Errorf("users with externalId B.Simon: %v", all)
	}
}
