package idp

import (
	"net/http"
	"slices"
)

// AuthnMethodMFA is the authnmethodsreferences value Entra adds to a SAML assertion after
// multifactor authentication.
const AuthnMethodMFA = "http://schemas.microsoft.com/claims/multipleauthn"

// interruptSAML applies Conditional Access to a SAML sign-in whose user is known (and the
// condition fault armed for the browser, if any): a blocking policy is Entra's error page
// (AADSTS53003; a SAML app gets no response), an MFA policy the code prompt, after which the
// sign-in continues. It reports whether it answered.
func (s *Server) interruptSAML(w http.ResponseWriter, r *http.Request, a *samlAuthn, sess *idpSession, u *User, use *faultUse, ev *Event) bool {
	cond := condition("")
	if use != nil {
		cond = use.fault.cond
	}
	if cond != "" {
		ev.Fault = use.record([]string{conditionNote[cond]})
		if use.armed.Used > loopLimit {
			s.renderErrorPage(w, r, ErrRequestLoop.with(), ev)
			return true
		}
	}
	ca := conditionalAccess(a.tenant, u, a.app.faultKeys())
	if cond == condBlock || ca.block != nil {
		s.renderErrorPage(w, r, ErrBlockedByCA.with(), ev)
		return true
	}
	if (cond == condMFA || ca.mfa != nil) && !s.sessionMFA(sess) {
		e := *ev
		e.ID, e.Status = "", StatusInterrupted
		if e.CorrelationID == "" {
			e.CorrelationID = s.rand.guid()
		}
		s.record(&e)
		s.mfaPage(w, r, a.tenant.ID, a.app.DisplayName, sess, a.tenant, u, flowResume{SAML: samlResumeOf(a)})
		return true
	}
	return false
}

// withMFA adds multipleauthn to the authnmethodsreferences attribute after MFA.
func withMFA(attrs []attribute, mfa bool) []attribute {
	if !mfa {
		return attrs
	}
	for i := range attrs {
		if attrs[i].Name == ClaimAuthnMethodsRefs && !slices.Contains(attrs[i].Values, AuthnMethodMFA) {
			attrs[i].Values = append(slices.Clip(attrs[i].Values), AuthnMethodMFA)
		}
	}
	return attrs
}
