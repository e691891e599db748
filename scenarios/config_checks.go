package scenarios

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

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

const (
	refReplyURL   = "https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50011-reply-url-mismatch"
	refIdentifier = "https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts700016-unauthorized-client"
	refAssignment = "https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50105-user-not-assigned-role"
	refCertExpiry = "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/tutorial-manage-certificates-for-federated-single-sign-on"
	refSecret     = "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes"
	refSPA        = "https://learn.microsoft.com/en-us/entra/identity-platform/reference-third-party-cookies-spas"
	refSameSite   = "https://learn.microsoft.com/en-us/aspnet/samesite/system-web-samesite"
	refMethod     = "https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow"
	refSAMLProto  = "https://learn.microsoft.com/en-us/entra/identity-platform/single-sign-on-saml-protocol"
	refAudience   = "https://learn.microsoft.com/en-us/entra/identity-platform/howto-convert-app-to-be-multi-tenant"
)

var configChecks = []*configCheck{
	{id: "config.redirect-uri", protocol: "SAML", description: "the ACS URL the SP sends is a Reply URL of the enterprise app, exactly (AADSTS50011)",
		references: []string{refReplyURL}, run: (*checkRun).checkRedirectURI},
	{id: "config.identifier", protocol: "SAML", description: "the SP's entity ID (AuthnRequest Issuer) is an Identifier of the app (AADSTS700016)",
		references: []string{refIdentifier}, run: (*checkRun).checkIdentifier},
	{id: "config.assignment", protocol: "SAML", description: "every user of the rollout list is assigned to the app, directly or by group (AADSTS50105)",
		references: []string{refAssignment}, run: (*checkRun).checkAssignment},
	{id: "config.method", protocol: "SAML", description: "the SP's ACS takes the HTTP-POST binding's POST (not only GET)",
		references: []string{refSAMLProto}, run: (*checkRun).checkMethod},
	{id: "config.cert-expiry", protocol: "SAML", description: "the app's signing certificate is valid and not within Entra's 60/30/7-day expiry notices",
		references: []string{refCertExpiry}, run: (*checkRun).checkCertExpiry},
	{id: "config.nameid", protocol: "SAML", description: "the NameIDPolicy Format the SP requests is one Entra supports (AADSTS75016)",
		references: []string{refSAMLProto}, run: (*checkRun).checkNameID},
	{id: "config.authn-context", protocol: "SAML", description: "the RequestedAuthnContext the SP sends is one Entra can satisfy (AADSTS75011)",
		references: []string{refSAMLProto}, run: (*checkRun).checkAuthnContext},
	{id: "config.samesite", protocol: "SAML", description: "the SP's request-state cookie survives the IdP's cross-site POST back (SameSite=None; Secure), not only within Chromium's 2-minute Lax+POST window",
		references: []string{refSameSite}, run: (*checkRun).checkSameSite},

	{id: "config.redirect-uri", protocol: "OIDC", description: "the redirect_uri the RP sends is registered on the app registration, exactly (AADSTS50011)",
		references: []string{refReplyURL}, run: (*checkRun).checkRedirectURI},
	{id: "config.assignment", protocol: "OIDC", description: "every user of the rollout list is assigned to the app, directly or by group (AADSTS50105)",
		references: []string{refAssignment}, run: (*checkRun).checkAssignment},
	{id: "config.method", protocol: "OIDC", description: "the RP's redirect URI takes the method its response_mode implies (POST for form_post), and userinfo answers its method",
		references: []string{refMethod}, run: (*checkRun).checkMethod},
	{id: "config.client-secret", protocol: "OIDC", description: "the client secret is a valid secret Value, not expired or expiring soon (AADSTS7000215 / AADSTS7000222)",
		references: []string{refSecret}, run: (*checkRun).checkClientSecret},
	{id: "config.spa-pkce", protocol: "OIDC", description: "SPA redirect URIs use PKCE and redeem codes cross-origin; Web ones with a secret (AADSTS9002326 / 9002327 / 50148)",
		references: []string{refSPA}, run: (*checkRun).checkSPAPKCE},
	{id: "config.tenant-audience", protocol: "OIDC", description: "a single-tenant app does not sign in through /common or /organizations (AADSTS50194)",
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

// xmlAttr reads an attribute of the first element with that local name in an XML text.
func xmlAttr(x, elem, attr string) string {
	re := regexp.MustCompile(`<(?:\w+:)?` + elem + `\b[^>]*\s` + attr + `="([^"]*)"`)
	if m := re.FindStringSubmatch(x); m != nil {
		return m[1]
	}
	return ""
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

// checkStatic compares a value the SP declares (its metadata or the target) with the app's
// setting, for an IdP-initiated-only SP: Entra posts to the app's default Reply URL with
// the default Identifier as Audience, whatever the SP would have asked for.
func (cr *checkRun) checkStatic(what, have string, want []string, setting string) {
	app := cr.r.env.App
	if slices.Contains(want, have) {
		cr.pass(fmt.Sprintf("the app's default %s %s is one the SP declares", what, have))
		return
	}
	diff, closest := explainDiff(have, want)
	cr.fail(fmt.Sprintf("the app's %s is not the SP's", what),
		fmt.Sprintf("Entra sends IdP-initiated responses with the app's default %s %s, but the SP declares [%s] — %s", what, have, strings.Join(want, ", "), diff),
		fmt.Sprintf("In Entra: Enterprise applications → %s → Single sign-on → Basic SAML Configuration → %s: set %s as the default (or upload the SP's metadata file).", app.DisplayName, setting, closest))
}

func (cr *checkRun) checkRedirectURI(ctx context.Context) {
	if cr.idpInitiatedOnly() {
		cr.checkStatic("Reply URL", cr.r.env.App.SAML.DefaultReplyURL(), cr.r.env.Target.SAML.ACSURLs, "Reply URL (Assertion Consumer Service URL)")
		return
	}
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return
	}
	reg := cr.registeredURIs()
	var sent []string
	for _, a := range atts {
		ev := a.requestEvent()
		if ev == nil {
			cr.errorf("the sign-in from %s never reached the IdP (ended %s)", a.start, a.outcome)
			return
		}
		var uri string
		if cr.check.Protocol == "SAML" {
			uri = xmlAttr(ev.Request["XML"], "AuthnRequest", "AssertionConsumerServiceURL")
		} else {
			uri = ev.Request["redirect_uri"]
		}
		if ev.ErrorCode == idp.ErrReplyURLMismatch.Code {
			var what, where, fix string
			if cr.check.Protocol == "OIDC" {
				platform := "Web"
				if a.platform == "spa" {
					platform = "Single-page application"
				}
				what, where, fix = "redirect_uri", "redirect URIs", "App registrations → "+cr.r.env.Registration.DisplayName+" → Authentication → "+platform+" → Redirect URIs"
			} else {
				what, where, fix = "ACS", "Reply URLs", "Enterprise applications → "+cr.r.env.App.DisplayName+" → Single sign-on → Basic SAML Configuration → Reply URL (Assertion Consumer Service URL)"
			}
			diff, closest := explainDiff(uri, reg)
			cr.fail("IdP refused: AADSTS50011",
				fmt.Sprintf("the SP sent %s %s but %s are [%s] — %s (AADSTS50011: %s)", what, uri, where, strings.Join(reg, ", "), diff, ev.FailureReason),
				addFix(fix, uri, closest))
			return
		}
		if uri == "" {
			uri = "(none: the app's default Reply URL)"
		}
		sent = append(sent, uri)
	}
	cr.pass("registered: " + strings.Join(slices.Compact(sent), ", "))
}

// addFix is the fix for an unregistered URL: add it, or send the closest registered one.
func addFix(where, uri, closest string) string {
	if closest == "" {
		return fmt.Sprintf("In Entra: %s: add %s exactly.", where, uri)
	}
	return fmt.Sprintf("In Entra: %s: add %s exactly; or change the SP to send %s.", where, uri, closest)
}

// explainDiff says how a sent URL differs from the closest registered one, and which that is.
func explainDiff(sent string, reg []string) (string, string) {
	if len(reg) == 0 {
		return "none is registered", "(register one)"
	}
	best, bestScore := reg[0], math.MaxInt
	for _, r := range reg {
		if d := editDistance(strings.ToLower(sent), strings.ToLower(r)); d < bestScore {
			best, bestScore = r, d
		}
	}
	su, err1 := url.Parse(sent)
	ru, err2 := url.Parse(best)
	if err1 != nil || err2 != nil {
		return "not a URL the app has", best
	}
	var hosts []string
	for _, r := range reg {
		if u, err := url.Parse(r); err == nil && !slices.Contains(hosts, u.Host) {
			hosts = append(hosts, u.Host)
		}
	}
	if su.Host != "" && !slices.Contains(hosts, su.Host) && len(hosts) > 1 {
		// Per-customer subdomains and custom domains: one that was never added at all.
		return fmt.Sprintf("no URI on %s is registered at all (registered hosts: %s): a subdomain or custom domain that was never added", su.Host, strings.Join(hosts, ", ")), ""
	}
	var why []string
	switch {
	case strings.TrimRight(sent, "/") == strings.TrimRight(best, "/") && strings.HasSuffix(sent, "/"):
		return "trailing slash (the SP adds one the app lacks)", best
	case strings.TrimRight(sent, "/") == strings.TrimRight(best, "/"):
		return "trailing slash (the app has one the SP lacks)", best
	}
	if su.Scheme != ru.Scheme {
		why = append(why, fmt.Sprintf("scheme %s vs %s", su.Scheme, ru.Scheme))
	}
	if !strings.EqualFold(su.Hostname(), ru.Hostname()) {
		why = append(why, fmt.Sprintf("host %s vs %s", su.Hostname(), ru.Hostname()))
	}
	if su.Port() != ru.Port() {
		why = append(why, fmt.Sprintf("port %q vs %q", su.Port(), ru.Port()))
	}
	if su.Path != ru.Path {
		if strings.EqualFold(su.Path, ru.Path) {
			why = append(why, fmt.Sprintf("path case %s vs %s (Entra compares paths case-sensitively)", su.Path, ru.Path))
		} else {
			why = append(why, fmt.Sprintf("path %s vs %s", su.Path, ru.Path))
		}
	}
	if su.RawQuery != ru.RawQuery {
		why = append(why, fmt.Sprintf("query %q vs %q", su.RawQuery, ru.RawQuery))
	}
	if len(why) == 0 {
		return "differs from " + best, best
	}
	return strings.Join(why, ", ") + " (closest: " + best + ")", best
}

// editDistance is the Levenshtein distance of two strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

func (cr *checkRun) checkIdentifier(ctx context.Context) {
	if cr.idpInitiatedOnly() {
		cr.checkStatic("Identifier (Entity ID)", cr.r.env.App.SAML.DefaultIdentifier(), []string{cr.r.env.Target.SAML.EntityID}, "Identifier (Entity ID)")
		return
	}
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return
	}
	var ids []string
	for _, i := range cr.r.env.App.SAML.Identifiers {
		ids = append(ids, i.Value)
	}
	for _, a := range atts {
		ev := a.requestEvent()
		if ev == nil {
			cr.errorf("the sign-in from %s never reached the IdP (ended %s)", a.start, a.outcome)
			return
		}
		if ev.ErrorCode == idp.ErrAppNotFound.Code {
			iss := ev.Request["Issuer"]
			diff, closest := explainDiff(iss, ids)
			if !strings.Contains(iss, "://") {
				diff = "not among them"
			}
			cr.fail("IdP refused: AADSTS700016",
				fmt.Sprintf("the SP's AuthnRequest Issuer is %s but the app's Identifiers (Entity ID) are [%s] — %s (AADSTS700016: %s)", iss, strings.Join(ids, ", "), diff, ev.FailureReason),
				fmt.Sprintf("In Entra: Enterprise applications → %s → Single sign-on → Basic SAML Configuration → Identifier (Entity ID): add %s exactly; or set the SP's entity ID to %s.", cr.r.env.App.DisplayName, iss, closest))
			return
		}
	}
	cr.pass("the SP's Issuer is an Identifier of " + cr.r.env.App.DisplayName)
}

func (cr *checkRun) checkNameID(ctx context.Context) {
	cr.checkRequestCode(ctx, idp.ErrNameIDPolicy.Code, func(ev *idp.Event) (string, string) {
		f := xmlAttr(ev.Request["XML"], "NameIDPolicy", "Format")
		return fmt.Sprintf("the SP requests NameIDPolicy Format %s, which Entra does not issue (AADSTS75016: %s)", f, ev.FailureReason), fixForCode(idp.ErrNameIDPolicy.Code)
	}, func(evs []*idp.Event) string {
		for _, ev := range evs {
			if f := xmlAttr(ev.Request["XML"], "NameIDPolicy", "Format"); f != "" {
				return "NameIDPolicy Format " + f
			}
		}
		return "no NameIDPolicy Format requested (Entra's default applies)"
	})
}

func (cr *checkRun) checkAuthnContext(ctx context.Context) {
	cr.checkRequestCode(ctx, idp.ErrAuthnContext.Code, func(ev *idp.Event) (string, string) {
		re := regexp.MustCompile(`AuthnContextClassRef>([^<]+)<`)
		m := re.FindStringSubmatch(ev.Request["XML"])
		cls := "?"
		if m != nil {
			cls = m[1]
		}
		return fmt.Sprintf("the SP requires authentication context %s, which the user's sign-in does not satisfy (AADSTS75011: %s)", cls, ev.FailureReason), fixForCode(idp.ErrAuthnContext.Code)
	}, func(evs []*idp.Event) string {
		for _, ev := range evs {
			if strings.Contains(ev.Request["XML"], "RequestedAuthnContext") {
				return "RequestedAuthnContext satisfiable"
			}
		}
		return "no RequestedAuthnContext"
	})
}

func (cr *checkRun) checkTenantAudience(ctx context.Context) {
	cr.checkRequestCode(ctx, idp.ErrNotMultiTenant.Code, func(ev *idp.Event) (string, string) {
		return fmt.Sprintf("the RP signs in through a multi-tenant endpoint, but %s is a single-tenant app (signInAudience %s) (AADSTS50194: %s)",
			cr.r.env.Registration.DisplayName, cr.r.env.Registration.SignInAudience, ev.FailureReason), fixForCode(idp.ErrNotMultiTenant.Code)
	}, func([]*idp.Event) string { return "the endpoint fits the app's sign-in audience" })
}

// checkRequestCode is a config check that fails when the IdP answers the SP's request with
// one AADSTS code.
func (cr *checkRun) checkRequestCode(ctx context.Context, code int, explain func(*idp.Event) (string, string), ok func([]*idp.Event) string) {
	if cr.idpInitiatedOnly() {
		cr.skip("the SP is IdP-initiated only (no saml.signIn): it sends no AuthnRequest whose values Entra could refuse")
		return
	}
	atts, good := cr.runAttempts(ctx)
	if !good {
		return
	}
	var evs []*idp.Event
	for _, a := range atts {
		ev := a.requestEvent()
		if ev == nil {
			cr.errorf("the sign-in from %s never reached the IdP (ended %s)", a.start, a.outcome)
			return
		}
		if ev.ErrorCode == code {
			d, f := explain(ev)
			cr.fail(fmt.Sprintf("IdP refused: AADSTS%d", code), d, f)
			return
		}
		evs = append(evs, ev)
	}
	cr.pass(ok(evs))
}

func (cr *checkRun) checkAssignment(ctx context.Context) {
	env := cr.r.env
	if len(env.Target.Rollout) == 0 {
		cr.skip("the target lists no rollout users (rollout: [UPNs of the users who will sign in])")
		return
	}
	required, name := false, ""
	if cr.check.Protocol == "SAML" {
		required, name = env.App.AssignmentRequired, "Enterprise applications → "+env.App.DisplayName
	} else {
		required, name = env.Registration.AssignmentRequired, "Enterprise applications → "+env.Registration.DisplayName
	}
	defer cr.finishSteps()
	start := cr.starts()[0]
	var refused, other []string
	for _, upn := range env.Target.Rollout {
		u := env.rolloutUser(upn)
		a := cr.attempt(ctx, start, u)
		switch {
		case a.refusal != nil && a.refusal.ErrorCode == idp.ErrUserNotAssigned.Code:
			refused = append(refused, u.UserPrincipalName)
		case a.refusal != nil:
			other = append(other, fmt.Sprintf("%s: AADSTS%d %s", u.UserPrincipalName, a.refusal.ErrorCode, firstLine(a.refusal.FailureReason)))
		case a.err != nil:
			cr.errorf("the sign-in of %s could not run: %v", u.UserPrincipalName, a.err)
			return
		case !a.outcome.SignedIn:
			other = append(other, fmt.Sprintf("%s: Entra signed them in but the SP refused (%s)", u.UserPrincipalName, a.outcome))
		}
	}
	switch {
	case len(refused) > 0:
		cr.fail(fmt.Sprintf("IdP refused %d of %d rollout users: AADSTS50105", len(refused), len(env.Target.Rollout)),
			fmt.Sprintf("not assigned to the app (AADSTS50105, assignment required): %s", strings.Join(refused, ", ")),
			fmt.Sprintf("In Entra: %s → Users and groups → Add user/group: assign %s (or a group they are in); or set Properties → Assignment required? to No.", name, strings.Join(refused, ", ")))
	case len(other) > 0:
		cr.fail(fmt.Sprintf("%d of %d rollout users could not sign in", len(other), len(env.Target.Rollout)), strings.Join(other, "; "), "Fix each user as the AADSTS message says (disabled account, wrong password in the test directory, ...).")
	default:
		how := "assignment is not required"
		if required {
			how = "each is assigned"
		}
		cr.pass(fmt.Sprintf("all %d rollout users signed in (%s)", len(env.Target.Rollout), how))
	}
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

func (cr *checkRun) checkCertExpiry(ctx context.Context) {
	env := cr.r.env
	var active *idp.SigningKey
	for _, k := range env.Server.AppKeys(env.App) {
		if k.Active {
			active = k
		}
	}
	if active == nil {
		cr.errorf("the app has no active signing certificate")
		return
	}
	now := env.Server.Clock().Now()
	c := active.Cert
	left := c.NotAfter.Sub(now)
	days := int(math.Floor(left.Hours() / 24))
	where := "Enterprise applications → " + env.App.DisplayName + " → Single sign-on → SAML Certificates"
	obs := fmt.Sprintf("active certificate %s valid %s to %s", active.Thumbprint(), c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly))
	switch {
	case now.After(c.NotAfter):
		cr.fail(obs, fmt.Sprintf("the app's active SAML signing certificate (thumbprint %s) expired on %s; SPs that check validity refuse every sign-in", active.Thumbprint(), c.NotAfter.UTC().Format(time.RFC3339)),
			where+": create a new certificate, make it active, and upload it (or the new metadata) to the SP before removing the old one.")
	case now.Before(c.NotBefore):
		cr.fail(obs, fmt.Sprintf("the app's active SAML signing certificate is not valid until %s", c.NotBefore.UTC().Format(time.RFC3339)), where+": activate a certificate that is valid now.")
	case days < 60:
		horizon := 60
		if days < 7 {
			horizon = 7
		} else if days < 30 {
			horizon = 30
		}
		cr.warn(obs, fmt.Sprintf("the app's active SAML signing certificate expires in %d days (within Entra's %d-day notice)", days, horizon),
			where+": add a new certificate now, give the SP both (metadata URL refresh or upload), then make the new one active before "+c.NotAfter.UTC().Format(time.DateOnly)+".")
	default:
		cr.pass(obs + fmt.Sprintf(" (%d days left)", days))
	}
}

func (cr *checkRun) checkClientSecret(ctx context.Context) {
	env := cr.r.env
	secret := env.Target.OIDC.ClientSecret
	if secret == "" {
		cr.skip("the target uses no client secret (public client or SPA)")
		return
	}
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return
	}
	sent := false
	for _, a := range atts {
		for _, e := range a.events {
			if e.Kind == idp.EventToken && strings.HasPrefix(e.Binding, "client_secret") {
				sent = true
			}
		}
	}
	if !sent {
		cr.skip("the RP never sent a client secret when it redeemed a code in this run (no client_secret_basic or client_secret_post token request), so there is no secret of its to check")
		return
	}
	where := "App registrations → " + env.Registration.DisplayName + " → Certificates & secrets"
	for _, a := range atts {
		for _, e := range a.events {
			if e.Kind == idp.EventToken && (e.ErrorCode == idp.ErrInvalidClientSecret.Code || e.ErrorCode == idp.ErrExpiredClientSecret.Code) {
				d := "the RP's client secret is not a secret of the app (AADSTS7000215): it may be the Secret ID instead of the Value, or a deleted secret"
				if e.ErrorCode == idp.ErrExpiredClientSecret.Code {
					d = "the RP's client secret has expired (AADSTS7000222)"
				}
				cr.fail(fmt.Sprintf("IdP refused the code redemption: AADSTS%d", e.ErrorCode), d+": "+e.FailureReason, where+": "+fixForCode(e.ErrorCode))
				return
			}
		}
	}
	now := env.Server.Clock().Now()
	for _, p := range env.Registration.PasswordCredentials {
		if p.SecretText != secret {
			continue
		}
		left := p.Expires().Sub(now)
		days := int(left.Hours() / 24)
		obs := fmt.Sprintf("secret %s… valid until %s", p.Hint(), p.Expires().UTC().Format(time.DateOnly))
		if days < 60 {
			cr.warn(obs, fmt.Sprintf("the RP's client secret expires in %d days; when it does, every sign-in fails with AADSTS7000222", days),
				where+": create a new client secret, deploy it to the RP, then delete the old one before "+p.Expires().UTC().Format(time.DateOnly)+".")
			return
		}
		cr.pass(obs + fmt.Sprintf(" (%d days left)", days))
		return
	}
	cr.pass("the code redemption with the RP's secret succeeded")
}

func (cr *checkRun) checkSPAPKCE(ctx context.Context) {
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return
	}
	for _, a := range atts {
		for _, e := range a.events {
			switch e.ErrorCode {
			case idp.ErrSPANeedsPKCE.Code, idp.ErrCrossOriginNotSPA.Code, idp.ErrSPANotCrossOrigin.Code, idp.ErrPKCEMismatch.Code:
				cr.fail(fmt.Sprintf("IdP refused: AADSTS%d", e.ErrorCode),
					fmt.Sprintf("the redirect URI's platform and the RP's code redemption disagree (AADSTS%d: %s)", e.ErrorCode, e.FailureReason), fixForCode(e.ErrorCode))
				return
			}
		}
	}
	cr.pass("each redirect URI's platform fits how the RP redeems its codes")
}
