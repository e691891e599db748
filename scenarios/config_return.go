package scenarios

// Config checks of the way back to the SP: config.method (the binding's or response
// mode's HTTP method) and config.samesite (the SP's state cookie on the cross-site return).

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

func (cr *checkRun) checkMethod(ctx context.Context) {
	atts, docs, ok := cr.returns(ctx)
	if !ok {
		return
	}
	var seen []string
	for i, a := range atts {
		d := docs[i]
		seen = append(seen, d.Method+" "+d.URL+fmt.Sprintf(" → %d", d.Status))
		if d.Status == 405 || d.Status == 501 {
			if cr.check.Protocol == "OIDC" {
				cr.fail(fmt.Sprintf("the redirect URI answered %s with %d", d.Method, d.Status),
					fmt.Sprintf("the RP asked for response_mode=%s, so Entra answered with a %s to %s, but the RP's callback answered %d Method Not Allowed: it only handles %s", a.binding, d.Method, stripQuery(d.URL), d.Status, otherMethod(d.Method)),
					fmt.Sprintf("Route %s on the callback %s, or ask for the response mode it handles (response_mode=%s).", d.Method, stripQuery(d.URL), map[string]string{"POST": "query", "GET": "form_post"}[d.Method]))
			} else {
				cr.fail(fmt.Sprintf("the ACS answered %s with %d", d.Method, d.Status),
					fmt.Sprintf("Entra returns the SAML Response by the HTTP-POST binding (an auto-submitted form), but the SP's ACS %s answered %s with %d Method Not Allowed", stripQuery(d.URL), d.Method, d.Status),
					"Make the ACS accept POST (the only binding Entra uses for responses).")
			}
			return
		}
	}
	if cr.check.Protocol == "OIDC" {
		for _, a := range atts {
			for _, e := range a.events {
				if e.Kind == idp.EventUserInfo && e.Status == idp.StatusFailure {
					cr.fail("userinfo failed", fmt.Sprintf("the RP called userinfo with %s and Entra answered AADSTS%d: %s", e.Binding, e.ErrorCode, e.FailureReason), "Call Microsoft Graph's userinfo with GET (or POST) and the access token as a Bearer header.")
					return
				}
			}
		}
	}
	cr.pass(strings.Join(seen, "; "))
}

func otherMethod(m string) string {
	if m == "POST" {
		return "GET"
	}
	return "POST"
}

func stripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// checkSameSite judges each sign-in's trace with judgeSameSite (samesite.go): a fail ends
// the check; warnings are reported together when nothing failed.
func (cr *checkRun) checkSameSite(ctx context.Context) {
	if cr.idpInitiatedOnly() {
		cr.skip("the SP is IdP-initiated only (no saml.signIn): it keeps no request state for the POST back to need")
		return
	}
	atts, _, ok := cr.returns(ctx)
	if !ok {
		return
	}
	var notes, warnings []string
	var warned *sameSiteFinding
	for _, a := range atts {
		f := judgeSameSite(sameSiteInput{binding: a.binding, trace: a.trace, ret: returnIndex(a.trace, cr.r.env.idpHost),
			idpHost: cr.r.env.idpHost, accepted: a.outcome.SignedIn, outcome: a.outcome.String()})
		switch f.status {
		case reports.StatusFail:
			cr.fail(f.observed, f.diagnosis, f.fix)
			return
		case reports.StatusWarn:
			warnings = append(warnings, f.observed)
			if warned == nil {
				warned = &f
			}
		default:
			notes = append(notes, f.observed)
		}
	}
	if warned != nil {
		cr.warn(strings.Join(warnings, "; "), warned.diagnosis, warned.fix)
		return
	}
	cr.pass(strings.Join(notes, "; "))
}
