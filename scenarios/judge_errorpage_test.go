package scenarios_test

import (
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// TestJudgeErrorPageLoop: an SP that answers Entra's error response by sending the user back
// to Entra fails the ErrorPage checks, whether the loop ends at its own page or at Entra's
// loop detection; one answer and a page of the SP's own passes.
func TestJudgeErrorPageLoop(t *testing.T) {
	for _, id := range []idp.FaultID{"config.consent.required", "config.ca.blocked"} {
		f, ok := idp.LookupFault(id)
		if !ok {
			t.Fatalf("%s not in the catalog", id)
		}
		answer := func(n int, loopStop bool) []idp.Event {
			var evs []idp.Event
			for range n {
				evs = append(evs,
					idp.Event{Kind: idp.EventAuthorize, Status: idp.StatusInterrupted, Fault: &idp.MintedFault{ID: id}},
					idp.Event{Kind: idp.EventAuthorize, Status: idp.StatusFailure, ErrorCode: 53003, Fault: &idp.MintedFault{ID: id}})
			}
			if loopStop {
				evs = append(evs, idp.Event{Kind: idp.EventAuthorize, Status: idp.StatusFailure, ErrorCode: idp.ErrRequestLoop.Code, Fault: &idp.MintedFault{ID: id}})
			}
			return evs
		}
		refused := []scenarios.Page{{URL: "https://sp/callback", Status: 403}}
		for _, c := range []struct {
			name   string
			events []idp.Event
			pages  []scenarios.Page
			want   reports.Status
		}{
			{"one answer, the SP's page", answer(1, false), refused, reports.StatusPass},
			{"three answers", answer(3, false), refused, reports.StatusFail},
			{"Entra's loop detection", answer(4, true), []scenarios.Page{{URL: "https://idp/t/oauth2/v2.0/authorize", Status: 400}}, reports.StatusFail},
			{"a 500", answer(1, false), []scenarios.Page{{URL: "https://sp/callback", Status: 500}}, reports.StatusFail},
		} {
			got := scenarios.Judge(&f, scenarios.Evidence{User: "u@contoso.com", Pages: c.pages, Events: c.events}, nil)
			if got.Status != c.want {
				t.Errorf("%s, %s: %s, want %s (%s)", id, c.name, got.Status, c.want, got.Diagnosis)
			}
			if got.Status == reports.StatusFail && (!strings.Contains(got.Diagnosis, "Entra") || got.Fix == "") {
				t.Errorf("%s, %s: diagnosis %q, fix %q", id, c.name, got.Diagnosis, got.Fix)
			}
		}
	}
}
