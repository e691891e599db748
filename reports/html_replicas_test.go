package reports_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/reports"
)

// TestHTMLIdPRequests: a check's requests per replica (a run with IdP replicas) are listed,
// escaped, under the sign-in log; a check without them shows no such table.
func TestHTMLIdPRequests(t *testing.T) {
	now := time.Now()
	r := &reports.Run{Started: now, Finished: now, Checks: []reports.Check{
		{ID: "saml.audience.wrong", Protocol: "SAML", Kind: "fault", Status: reports.StatusPass, Started: now,
			IdPRequests: []reports.IdPRequest{
				{Time: now, Replica: "r0", Method: "GET", Path: "/t/saml2", Status: 200},
				{Time: now, Replica: "r1", Method: "POST", Path: "/t/login<x>", Status: 302, RequestID: "abc"},
			}},
		{ID: "saml.ok", Protocol: "SAML", Kind: "fault", Status: reports.StatusPass, Started: now},
	}}
	r.Recount()
	page := renderHTML(t, r, t.TempDir())
	if n := strings.Count(page, "IdP requests by replica"); n != 1 {
		t.Fatalf("%d tables of IdP requests, want 1", n)
	}
	for _, want := range []string{"<td>r1</td><td>POST</td><td>/t/login&lt;x&gt;</td>", "<td>r0</td><td>GET</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
