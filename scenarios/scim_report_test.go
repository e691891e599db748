package scenarios_test

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/refsp/refscim"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// TestSCIMReportSchema: a run of scim.* checks makes a report.json that the report schema
// accepts (protocol SCIM, kind scim, the exchanges as evidence), and JUnit and HTML render.
func TestSCIMReportSchema(t *testing.T) {
	srv, _ := refscim.New("tok", refscim.DuplicateOK)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	run := &reports.Run{Tool: "test", Started: time.Now(), Target: reports.Target{Name: "scim", Protocols: []string{"SCIM"}},
		IdP: reports.IdP{URL: "https://login.example.test", TenantID: "t"}}
	for _, c := range scenarios.Select([]string{"scim.user.create*"}, nil) {
		run.Checks = append(run.Checks, scenarios.RunSCIMCheck(t.Context(), c, scenarios.SCIMTarget{BaseURL: ts.URL, Token: "tok"}, nil))
	}
	run.Finished = time.Now()
	run.Recount()
	if run.Summary.Fail != 1 || run.Summary.Pass != 1 {
		t.Errorf("summary %+v", run.Summary)
	}
	var b bytes.Buffer
	if err := reports.WriteJSON(&b, run); err != nil {
		t.Fatal(err)
	}
	if err := reports.ValidateJSON(b.Bytes()); err != nil {
		t.Error(err)
	}
	if err := reports.WriteJUnit(&bytes.Buffer{}, run); err != nil {
		t.Error(err)
	}
	if err := reports.WriteHTML(&bytes.Buffer{}, run, ""); err != nil {
		t.Error(err)
	}
}
