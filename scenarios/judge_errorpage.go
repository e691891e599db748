package scenarios

import (
	"fmt"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// judgeErrorPage judges an error response of Entra's that the SP must show its user
// (Expectation.ErrorPage: consent declined, blocked by Conditional Access): it must sign no
// one in, must not send the user back to Entra by itself (a loop: more answered requests to
// Entra than the check's sign-ins, or Entra's loop detection, idp.ErrRequestLoop), and must end on
// a page of its own that is not a server error (5xx).
func judgeErrorPage(f *idp.Fault, ev Evidence, what string, v *Verdict) {
	if judgeReject(f, ev, what, v); v.Status != reports.StatusPass {
		return
	}
	answered, loopStop := 0, false
	for _, e := range ev.Events {
		switch {
		case e.ErrorCode == idp.ErrRequestLoop.Code:
			loopStop = true
		case (e.Kind == idp.EventAuthorize || e.Kind == idp.EventAuthnRequest) && e.Status != idp.StatusInterrupted:
			answered++
		}
	}
	last := Page{}
	if len(ev.Pages) > 0 {
		last = ev.Pages[len(ev.Pages)-1]
	}
	want := max(f.SignIns, 1)
	switch {
	case loopStop || answered > want:
		v.Status, v.Fix = reports.StatusFail, f.Fix
		v.Diagnosis = fmt.Sprintf("Entra answered the sign-in with an error (%s), and the SP sent the user straight back to Entra: %d answers for %d sign-in(s)", what, answered, want)
		if loopStop {
			v.Diagnosis += ", until Entra's loop detection stopped it (" + idp.ErrRequestLoop.Name() + ")"
		}
		v.Diagnosis += fmt.Sprintf(". The user never sees why (it ended %s). The SP %s.", last, f.Weakness)
	case last.Status >= 500:
		v.Status, v.Fix = reports.StatusFail, f.Fix
		v.Diagnosis = fmt.Sprintf("Entra answered the sign-in with an error (%s), and the SP showed a server error (%s) instead of a page that says what happened. The SP %s.", what, statusText(last), f.Weakness)
	default:
		v.Status = reports.StatusPass
	}
}
