package scenarios_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/refsp/refscim"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// TestSCIMTargetValidate: the scim section is validated field by field, and a target may
// have only it.
func TestSCIMTargetValidate(t *testing.T) {
	if _, err := scenarios.ParseTarget([]byte("name: prov\nscim: {baseUrl: https://app.example.test/scim/v2, token: t0ken}\n")); err != nil {
		t.Fatalf("scim-only target: %v", err)
	}
	_, err := scenarios.ParseTarget([]byte("name: prov\nscim: {baseUrl: \"https://app.example.test/scim?aadOptscim062020\"}\n"))
	for _, want := range []string{"scim.baseUrl: carries Entra's aadOptscim062020 flag", "scim.token: missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
	if _, err := scenarios.ParseTarget([]byte("name: prov\nscim: {baseUrl: nope, token: x}\n")); err == nil || !strings.Contains(err.Error(), "scim.baseUrl") {
		t.Errorf("bad baseUrl: %v", err)
	}
}

// TestSCIMEvidenceReplay: a SCIM check's report evidence, judged again, gives the same
// verdict (against a weak server, so that the verdict is a failure with a diagnosis in the
// provisioning log's words); and the dialect rule turns the other dialect's failure into a
// warning.
func TestSCIMEvidenceReplay(t *testing.T) {
	srv, _ := refscim.New("tok", refscim.BooleanOnlyActive)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := scenarios.Select([]string{"scim.user.patch.active-string"}, nil)[0]
	for _, compliant := range []bool{false, true} {
		res := scenarios.RunSCIMCheck(t.Context(), c, scenarios.SCIMTarget{BaseURL: ts.URL, Token: "tok", AADOptSCIM062020: compliant}, nil)
		want := reports.StatusFail
		if compliant {
			want = reports.StatusWarn
		}
		if res.Status != want || !strings.Contains(res.Diagnosis, "SystemForCrossDomainIdentityManagementBadResponse") || !strings.Contains(res.Fix, "aadOptscim062020") {
			t.Errorf("compliant %v: %s %q %q, want %s", compliant, res.Status, res.Diagnosis, res.Fix, want)
		}
		st, obs, err := scenarios.JudgeSCIM(c, res.Evidence)
		if err != nil || st != res.Status || obs != res.Observed {
			t.Errorf("replay: %s %q %v, want %s %q", st, obs, err, res.Status, res.Observed)
		}
		var ev scenarios.SCIMEvidence
		if err := json.Unmarshal(res.Evidence, &ev); err != nil || len(ev.Steps) != 3 || ev.Steps[1].Method != "PATCH" ||
			!strings.Contains(string(ev.Steps[1].RequestBody), `"value":"False"`) {
			t.Errorf("evidence: %s", res.Evidence)
		}
	}
}

// TestSCIMCatalog: at least 15 scim.* checks, listed in the catalog with references.
func TestSCIMCatalog(t *testing.T) {
	cs := scenarios.Select([]string{"scim:*"}, nil)
	if len(cs) < 15 {
		t.Fatalf("%d scim checks", len(cs))
	}
	for _, c := range cs {
		if c.Kind != scenarios.KindSCIM || c.Protocol != scenarios.ProtocolSCIM || len(c.References) == 0 || !strings.HasPrefix(c.ID, "scim.") {
			t.Errorf("%+v", c)
		}
	}
}

// TestSCIMOnlyTargetRun: a target with only a scim section starts (the mock IdP with the
// default directory, no app) and Run runs its scim.* checks without a browser, the strict
// reference SCIM server passing them all.
func TestSCIMOnlyTargetRun(t *testing.T) {
	srv, _ := refscim.New("tok", "")
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tg, err := scenarios.ParseTarget([]byte("name: provisioning only\nscim: {baseUrl: " + ts.URL + ", token: tok}\n"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := scenarios.Start(t.Context(), tg, scenarios.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	run, err := scenarios.Run(t.Context(), env, scenarios.Options{Browser: scenarios.BrowserOptions{Path: "/nonexistent/no-browser-needed"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(scenarios.Select([]string{"scim.*"}, nil)); run.Summary.Pass != n || len(run.Checks) != n || run.Browser != "" {
		t.Errorf("summary %+v of %d checks, browser %q", run.Summary, len(run.Checks), run.Browser)
	}
}

// TestSCIMOverrideWaives: an expectation on a failing scim check waives it with the reason.
func TestSCIMOverrideWaives(t *testing.T) {
	srv, _ := refscim.New("tok", refscim.BooleanOnlyActive)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tg, err := scenarios.ParseTarget([]byte("name: prov\nscim: {baseUrl: " + ts.URL + ", token: tok}\n" +
		"expectations: [{check: scim.user.disable, expect: warn, reason: 'booleans only; aadOptscim062020 is set in production'}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := scenarios.Start(t.Context(), tg, scenarios.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	run, err := scenarios.Run(t.Context(), env, scenarios.Options{Only: []string{"scim.user.disable,scim.user.patch.active-string"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]reports.Status{}
	for _, c := range run.Checks {
		got[c.ID] = c.Status
	}
	if got["scim.user.disable"] != reports.StatusWaived || got["scim.user.patch.active-string"] != reports.StatusFail {
		t.Errorf("%v", got)
	}
}
