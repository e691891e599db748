package idp_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

func controlCall(t *testing.T, srv *idp.Server, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestControlAPI: off unless configured, refuses calls without the token, and arms a
// context-bound fault whose cookie makes that context's next sign-in carry it.
func TestControlAPI(t *testing.T) {
	rig := newFaultRig(t)
	if code, _ := controlCall(t, rig.srv, "GET", "/_mockidp/faults", "", ""); code != http.StatusNotFound {
		t.Errorf("control API without config: %d, want 404", code)
	}

	cfg := idp.DefaultConfig()
	cfg.ControlAPI = &idp.ControlAPI{Token: "0123456789abcdef-token"}
	srv := idptest.Start(t, idp.WithConfig(cfg))
	if code, out := controlCall(t, srv, "GET", "/_mockidp/faults", "wrong-token", ""); code != http.StatusUnauthorized || out["error"] != "invalid_token" {
		t.Errorf("wrong token: %d %v, want 401 invalid_token", code, out)
	}
	code, out := controlCall(t, srv, "GET", "/_mockidp/faults", cfg.ControlAPI.Token, "")
	if code != 200 || len(out["value"].([]any)) != len(idp.Faults()) {
		t.Fatalf("catalog: %d, %d entries", code, len(out["value"].([]any)))
	}
	for _, bad := range []string{``, `{"fault":"saml.nope","context":true}`, `{"fault":"saml.sig.none","bogus":1}`, `{"fault":"saml.sig.none","context":true,"user":"x"}`} {
		if code, out := controlCall(t, srv, "POST", "/_mockidp/faults/armed", cfg.ControlAPI.Token, bad); code != 400 || out["error_description"] == "" {
			t.Errorf("arm %q: %d %v, want 400 with a description", bad, code, out)
		}
	}
	code, out = controlCall(t, srv, "POST", "/_mockidp/faults/armed", cfg.ControlAPI.Token, `{"fault":"oidc.state.wrong","context":true}`)
	if code != http.StatusCreated {
		t.Fatalf("arm: %d %v", code, out)
	}
	cookie := out["cookie"].(map[string]any)
	if cookie["name"] != idp.FaultCookie || cookie["value"] != out["token"] {
		t.Fatalf("cookie %v for token %v", cookie, out["token"])
	}
	if code, out := controlCall(t, srv, "GET", "/_mockidp/faults/armed", cfg.ControlAPI.Token, ""); code != 200 || len(out["value"].([]any)) != 1 {
		t.Fatalf("armed list: %d %v", code, out)
	}
	if code, _ := controlCall(t, srv, "DELETE", "/_mockidp/faults/armed/"+out["token"].(string), cfg.ControlAPI.Token, ""); code != http.StatusNoContent {
		t.Errorf("disarm: %d", code)
	}
	if code, _ := controlCall(t, srv, "DELETE", "/_mockidp/faults/armed/"+out["token"].(string), cfg.ControlAPI.Token, ""); code != http.StatusNotFound {
		t.Errorf("second disarm: %d, want 404", code)
	}
	if len(srv.ArmedFaults()) != 0 {
		t.Errorf("still armed: %v", srv.ArmedFaults())
	}
}

// TestControlAPIArmsForAContext drives a sign-in with the cookie the control API returned.
func TestControlAPIArmsForAContext(t *testing.T) {
	rig := newFaultRig(t)
	rig.srv.Config().ControlAPI = &idp.ControlAPI{Token: "0123456789abcdef-token"}
	code, out := controlCall(t, rig.srv, "POST", "/_mockidp/faults/armed", "0123456789abcdef-token", `{"fault":"saml.audience.wrong","context":true}`)
	if code != http.StatusCreated {
		t.Fatalf("arm: %d %v", code, out)
	}
	b := idptest.NewBrowser(nil)
	c := out["cookie"].(map[string]any)
	_ = b.SetCookie(rig.srv.URL, &http.Cookie{Name: c["name"].(string), Value: c["value"].(string), Path: "/"})
	x, _ := rig.samlSignIn(t, b, 1)
	if !bytes.Contains(x, []byte("https://other-app.example.test/")) {
		t.Errorf("the armed context did not get the fault")
	}
	x, _ = rig.samlSignIn(t, idptest.NewBrowser(nil), 2)
	if bytes.Contains(x, []byte("https://other-app.example.test/")) {
		t.Errorf("another context got the fault")
	}
}

// TestArmNextSignInsOfUser arms by user (as the config file does): that user's next sign-in
// gets the fault, another user's does not, and it is used up after Count sign-ins.
func TestArmNextSignInsOfUser(t *testing.T) {
	rig := newFaultRig(t)
	if _, err := rig.srv.Arm(idp.Arming{Fault: "saml.issuer.wrong", User: "B.Simon@contoso.com", App: rig.app.DisplayName}); err != nil {
		t.Fatal(err)
	}
	x, _ := rig.samlSignIn(t, idptest.NewBrowser(nil), 1)
	if !bytes.Contains(x, []byte("72f988bf-86f1-41af-91ab-2d7cd011db47")) {
		t.Errorf("B.Simon's next sign-in did not get the fault")
	}
	x, _ = rig.samlSignIn(t, idptest.NewBrowser(nil), 2)
	if bytes.Contains(x, []byte("72f988bf-86f1-41af-91ab-2d7cd011db47")) {
		t.Errorf("the fault armed for one sign-in applied twice")
	}
	if _, err := rig.srv.Arm(idp.Arming{Fault: "saml.issuer.wrong", User: "AlexW@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	x, _ = rig.samlSignIn(t, idptest.NewBrowser(nil), 3)
	if bytes.Contains(x, []byte("72f988bf-86f1-41af-91ab-2d7cd011db47")) {
		t.Errorf("a fault armed for AlexW applied to B.Simon")
	}
	if _, err := rig.srv.Arm(idp.Arming{Fault: "saml.nope"}); err == nil {
		t.Errorf("unknown fault armed")
	}
}

// TestConfigFaults: faults in the config file are checked and armed at start.
func TestConfigFaults(t *testing.T) {
	cfg, err := idp.ParseConfig([]byte(`
tenants:
  - id: 3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15
    verifiedDomains: [contoso.com]
    users: [{id: 0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f, userPrincipalName: a@contoso.com, password: x}]
faults:
  - {fault: oidc.id_token.wrong-aud, user: a@contoso.com, count: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := idptest.Start(t, idp.WithConfig(cfg))
	armed := srv.ArmedFaults()
	if len(armed) != 1 || armed[0].Fault != "oidc.id_token.wrong-aud" || armed[0].Count != 2 || armed[0].Context {
		t.Errorf("armed from config: %+v", armed)
	}
	bad, _ := idp.ParseConfig([]byte(`
tenants:
  - id: 3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15
    verifiedDomains: [contoso.com]
faults: [{fault: saml.xsw.9}]
`))
	if err := bad.Normalize(); err == nil || !strings.Contains(err.Error(), "faults[0].fault") {
		t.Errorf("unknown fault in config: %v", err)
	}
}
