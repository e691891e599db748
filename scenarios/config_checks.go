package scenarios

import (
	"context"
	"fmt"
	"slices"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// configCheck is a misconfiguration check of checks.md: the IdP behaves as Entra does, and
// the check explains in Entra's terms what the SP and the app disagree on.
type configCheck struct {
	id, protocol, description string
	references                []string
	run                       func(cr *checkRun, ctx context.Context)
}

// References of the checks: Microsoft's troubleshooting page of the AADSTS error a check
// explains comes from idp's AADSTS table.
var (
	refReplyURL   = idp.ErrReplyURLMismatch.Info().Reference
	refIdentifier = idp.ErrAppNotFound.Info().Reference
	refAssignment = idp.ErrUserNotAssigned.Info().Reference
	refSecret     = idp.ErrInvalidClientSecret.Info().Reference
	refSPA        = idp.ErrSPANeedsPKCE.Info().Reference
	refAudience   = idp.ErrNotMultiTenant.Info().Reference
)

const (
	refCertExpiry = "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/tutorial-manage-certificates-for-federated-single-sign-on"
	refSameSite   = "https://learn.microsoft.com/en-us/aspnet/samesite/system-web-samesite"
	refMethod     = "https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow"
	refSAMLProto  = "https://learn.microsoft.com/en-us/entra/identity-platform/single-sign-on-saml-protocol"
)

var configChecks = []*configCheck{
	{id: "config.redirect-uri", protocol: "SAML", description: "the ACS URL the SP sends is a Reply URL of the enterprise app, exactly (" + idp.ErrReplyURLMismatch.Name() + ")",
		references: []string{refReplyURL}, run: (*checkRun).checkRedirectURI},
	{id: "config.identifier", protocol: "SAML", description: "the SP's entity ID (AuthnRequest Issuer) is an Identifier of the app (" + idp.ErrAppNotFound.Name() + ")",
		references: []string{refIdentifier}, run: (*checkRun).checkIdentifier},
	{id: "config.assignment", protocol: "SAML", description: "every user of the rollout list is assigned to the app, directly or by group (" + idp.ErrUserNotAssigned.Name() + ")",
		references: []string{refAssignment}, run: (*checkRun).checkAssignment},
	{id: "config.method", protocol: "SAML", description: "the SP's ACS takes the HTTP-POST binding's POST (not only GET)",
		references: []string{refSAMLProto}, run: (*checkRun).checkMethod},
	{id: "config.cert-expiry", protocol: "SAML", description: "the app's signing certificate is valid and not within Entra's 60/30/7-day expiry notices",
		references: []string{refCertExpiry}, run: (*checkRun).checkCertExpiry},
	{id: "config.nameid", protocol: "SAML", description: "the NameIDPolicy Format the SP requests is one Entra supports (" + idp.ErrNameIDPolicy.Name() + ")",
		references: []string{refSAMLProto}, run: (*checkRun).checkNameID},
	{id: "config.authn-context", protocol: "SAML", description: "the RequestedAuthnContext the SP sends is one Entra can satisfy (" + idp.ErrAuthnContext.Name() + ")",
		references: []string{refSAMLProto}, run: (*checkRun).checkAuthnContext},
	{id: "config.samesite", protocol: "SAML", description: "the SP's request-state cookie survives the IdP's cross-site POST back (SameSite=None; Secure), not only within Chromium's 2-minute Lax+POST window",
		references: []string{refSameSite}, run: (*checkRun).checkSameSite},

	{id: "config.redirect-uri", protocol: "OIDC", description: "the redirect_uri the RP sends is registered on the app registration, exactly (" + idp.ErrReplyURLMismatch.Name() + ")",
		references: []string{refReplyURL}, run: (*checkRun).checkRedirectURI},
	{id: "config.assignment", protocol: "OIDC", description: "every user of the rollout list is assigned to the app, directly or by group (" + idp.ErrUserNotAssigned.Name() + ")",
		references: []string{refAssignment}, run: (*checkRun).checkAssignment},
	{id: "config.method", protocol: "OIDC", description: "the RP's redirect URI takes the method its response_mode implies (POST for form_post), and userinfo answers its method",
		references: []string{refMethod}, run: (*checkRun).checkMethod},
	{id: "config.client-secret", protocol: "OIDC", description: "the client secret is a valid secret Value, not expired or expiring soon (" + idp.ErrInvalidClientSecret.Name() + " / " + idp.ErrExpiredClientSecret.Name() + ")",
		references: []string{refSecret}, run: (*checkRun).checkClientSecret},
	{id: "config.spa-pkce", protocol: "OIDC", description: "SPA redirect URIs use PKCE and redeem codes cross-origin; Web ones with a secret " +
		fmt.Sprintf("(%s / %d / %d)", idp.ErrCrossOriginNotSPA.Name(), idp.ErrSPANotCrossOrigin.Code, idp.ErrPKCEMismatch.Code),
		references: []string{refSPA}, run: (*checkRun).checkSPAPKCE},
	{id: "config.tenant-audience", protocol: "OIDC", description: "a single-tenant app does not sign in through /common or /organizations (" + idp.ErrNotMultiTenant.Name() + ")",
		references: []string{refAudience}, run: (*checkRun).checkTenantAudience},
	{id: "config.samesite", protocol: "OIDC", description: "the RP's state cookie survives the IdP's cross-site form_post back (SameSite=None; Secure), not only within Chromium's 2-minute Lax+POST window",
		references: []string{refSameSite}, run: (*checkRun).checkSameSite},
}

// signInAttempt is one clean sign-in of a config check.
type signInAttempt struct {
	start    string
	user     *idp.User
	page     pageState
	outcome  Page
	err      error
	events   []idp.Event
	trace    []docEntry
	refusal  *idp.Event
	binding  string // SAML binding or OIDC response mode of the sign-in
	platform string
}

// starts are the sign-in URLs of the check's protocol with their binding / response mode.
func (cr *checkRun) starts() []signInAttempt {
	var out []signInAttempt
	if cr.check.Protocol == "SAML" {
		for _, si := range cr.r.env.Target.SAML.SignIn {
			out = append(out, signInAttempt{start: si.URL, binding: si.Binding})
		}
		if len(out) == 0 {
			// IdP-initiated only: sign in as My Apps does.
			out = append(out, signInAttempt{start: cr.r.env.Server.UserAccessURL(cr.r.env.Tenant, cr.r.env.App), binding: "idp-initiated"})
		}
	} else {
		for _, si := range cr.r.env.Target.OIDC.SignIn {
			out = append(out, signInAttempt{start: si.URL, binding: si.ResponseMode, platform: si.Platform})
		}
	}
	return out
}

// attempt signs a user in from start in a fresh browser context, with no fault.
func (cr *checkRun) attempt(ctx context.Context, a signInAttempt, u *idp.User) signInAttempt {
	if u == nil {
		u = cr.r.env.User
	}
	a.user = u
	w, err := cr.newContext(ctx, "")
	if err != nil {
		a.err = err
		return a
	}
	token := cr.tokens[len(cr.tokens)-1]
	a.page, a.err = w.signIn(a.start, u.UserPrincipalName, u.Password)
	a.outcome = cr.observe(a.page)
	cr.outcomeStep(w, a.page, a.outcome)
	a.trace = w.tab.trace()
	for _, e := range cr.events() {
		if e.Context == token || slices.ContainsFunc(a.events, func(x idp.Event) bool { return x.CorrelationID == e.CorrelationID }) {
			a.events = append(a.events, e)
		}
	}
	for i := range a.events {
		if e := a.events[i]; e.Status == idp.StatusFailure && e.ErrorCode != 0 && e.Fault == nil {
			a.refusal = &a.events[i]
			break
		}
	}
	return a
}

// runAttempts runs every sign-in of the protocol; ok is false (and the result an error)
// when one could not run at all.
func (cr *checkRun) runAttempts(ctx context.Context) ([]signInAttempt, bool) {
	defer cr.finishSteps()
	var out []signInAttempt
	for _, a := range cr.starts() {
		a = cr.attempt(ctx, a, nil)
		if a.err != nil && a.refusal == nil {
			cr.errorf("the sign-in from %s could not run: %v", a.start, a.err)
			return out, false
		}
		out = append(out, a)
	}
	cr.addPayloads()
	return out, true
}

// requestEvent is the sign-in's first request event (authn-request or authorize).
func (a signInAttempt) requestEvent() *idp.Event {
	for i := range a.events {
		if k := a.events[i].Kind; k == idp.EventAuthnRequest || k == idp.EventAuthorize {
			return &a.events[i]
		}
	}
	return nil
}

func (cr *checkRun) pass(observed string) {
	cr.res.Status, cr.res.Observed = reports.StatusPass, observed
}

func (cr *checkRun) fail(observed, diagnosis, fix string) {
	cr.res.Status, cr.res.Observed, cr.res.Diagnosis, cr.res.Fix = reports.StatusFail, observed, diagnosis, fix
}

func (cr *checkRun) warn(observed, diagnosis, fix string) {
	cr.res.Status, cr.res.Observed, cr.res.Diagnosis, cr.res.Fix = reports.StatusWarn, observed, diagnosis, fix
}

// registeredURIs are the URLs the app accepts as reply URL / redirect URI.
func (cr *checkRun) registeredURIs() []string {
	var out []string
	if cr.check.Protocol == "SAML" {
		for _, r := range cr.r.env.App.SAML.ReplyURLs {
			out = append(out, r.URL)
		}
		return out
	}
	r := cr.r.env.Registration
	out = append(out, r.Web.RedirectURIs...)
	out = append(out, r.SPA.RedirectURIs...)
	return append(out, r.PublicClient.RedirectURIs...)
}

// idpInitiatedOnly reports whether the check is a SAML one against an SP that takes
// IdP-initiated sign-in only: it sends no AuthnRequest to read values from.
func (cr *checkRun) idpInitiatedOnly() bool {
	return cr.check.Protocol == "SAML" && len(cr.r.env.Target.SAML.SignIn) == 0
}

// returnDoc is the request that brought the IdP's answer back to the SP.
func (cr *checkRun) returnDoc(a signInAttempt) *docEntry {
	if i := returnIndex(a.trace, cr.r.env.idpHost); i >= 0 {
		return &a.trace[i]
	}
	return nil
}

// returns runs the protocol's sign-ins and finds, for each, the request that brought the
// IdP's answer back to the SP; ok is false (and the result set) when one never came back.
func (cr *checkRun) returns(ctx context.Context) ([]signInAttempt, []*docEntry, bool) {
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return nil, nil, false
	}
	docs := make([]*docEntry, len(atts))
	for i, a := range atts {
		if docs[i] = cr.returnDoc(a); docs[i] == nil {
			if a.refusal != nil {
				cr.idpRefused(a.refusal)
			} else {
				cr.errorf("the sign-in from %s never came back from the IdP (ended %s)", a.start, a.outcome)
			}
			return nil, nil, false
		}
	}
	return atts, docs, true
}
