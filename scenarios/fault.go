package scenarios

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// observe reads a page: is it the SP's authenticated page (by the target's success rules),
// and for whom. The identity is recognised from the page by any directory user's UPN, mail,
// object ID or display name, or by the NameID / sub the IdP sent in this check.
func (cr *checkRun) observe(s pageState) Page {
	p := Page{URL: s.URL, Status: s.Status, Text: s.Text}
	sc := cr.r.env.Target.success(cr.check.Protocol)
	ok := s.Status == 0 || s.Status < 400
	if sc.URL != "" {
		ok = ok && regexp.MustCompile(sc.URL).MatchString(s.URL)
	}
	if sc.Text != "" {
		ok = ok && regexp.MustCompile(sc.Text).MatchString(s.Text)
	}
	// A page on the IdP is never the SP's signed-in page.
	if hostOf(s.URL) == cr.r.env.idpHost {
		ok = false
	}
	if !ok {
		return p
	}
	p.SignedIn = true
	ids := identities(cr.r.env.Server.Config().Tenants, cr.events())
	if sc.Identity != "" {
		if m := regexp.MustCompile(sc.Identity).FindStringSubmatch(s.Text); m != nil {
			p.Shown, p.How = strings.TrimSpace(m[1]), "success.identity"
			p.Identity = ids.resolve(p.Shown)
		}
		return p
	}
	p.Identity, p.Shown, p.How = ids.find(s.Text)
	return p
}

// samlSignIn picks the target's SAML sign-in for a fault ("" reason when one fits).
func (cr *checkRun) samlSignIn(f *idp.Fault) (*SAMLSignIn, string) {
	s := cr.r.env.Target.SAML
	if slices.Contains(f.Requires, idp.RequiresTokenEncryption) && !cr.r.env.Server.HasEncryptionCertificate(cr.r.env.App) {
		return nil, "the SP has no encryption certificate (no KeyDescriptor for encryption in its metadata, no saml.encryptionCertificate), so nothing can be encrypted to it"
	}
	want := ""
	if f.ID == "saml.sp.redirect" {
		want = "redirect"
	}
	if slices.Contains(f.Requires, idp.RequiresPOSTBinding) || f.ID == "saml.sp.post" {
		want = "post"
	}
	if len(s.SignIn) == 0 {
		// IdP-initiated only: every response fault is delivered from the User access URL.
		if want != "" || slices.Contains(f.Requires, idp.RequiresSLO) {
			return nil, "the SP is IdP-initiated only (no saml.signIn): it sends no AuthnRequest and no LogoutRequest"
		}
		return &SAMLSignIn{URL: cr.r.env.Server.UserAccessURL(cr.r.env.Tenant, cr.r.env.App)}, ""
	}
	for i := range s.SignIn {
		si := &s.SignIn[i]
		if want != "" && si.Binding != want {
			continue
		}
		if slices.Contains(f.Requires, idp.RequiresSLO) && si.LogoutURL == "" {
			continue
		}
		return si, ""
	}
	switch {
	case want != "":
		return nil, fmt.Sprintf("the target declares no SAML sign-in with the HTTP-%s binding (saml.signIn[].binding: %s)", map[string]string{"post": "POST", "redirect": "Redirect"}[want], want)
	case slices.Contains(f.Requires, idp.RequiresSLO):
		return nil, "the target declares no sign-out URL (saml.signIn[].logoutUrl), so single logout cannot be tested"
	}
	return &s.SignIn[0], ""
}

// oidcSignIn picks the target's OIDC sign-in for a fault.
func (cr *checkRun) oidcSignIn(f *idp.Fault) (*OIDCSignIn, string) {
	o := cr.r.env.Target.OIDC
	fits := func(si *OIDCSignIn) string {
		if f.ID == "oidc.code.query" && si.ResponseMode != "query" {
			return "a sign-in with response_mode=query (oidc.signIn[].responseMode: query)"
		}
		for _, r := range f.Requires {
			switch r {
			case idp.RequiresFormPost:
				if si.ResponseMode != "form_post" {
					return "a sign-in with response_mode=form_post (oidc.signIn[].responseMode: form_post)"
				}
			case idp.RequiresPKCE:
				if !si.PKCE {
					return "a sign-in with PKCE (oidc.signIn[].pkce: true)"
				}
			case idp.RequiresUserInfoGET:
				if si.UserInfo != "GET" {
					return "a sign-in that calls userinfo with GET (oidc.signIn[].userinfo: GET)"
				}
			case idp.RequiresUserInfoPOST:
				if si.UserInfo != "POST" {
					return "a sign-in that calls userinfo with POST (oidc.signIn[].userinfo: POST)"
				}
			case idp.RequiresUserInfo:
				if si.UserInfo == "" {
					return "a sign-in that calls userinfo (oidc.signIn[].userinfo: GET or POST)"
				}
			case idp.RequiresNonce:
				if si.Nonce != nil && !*si.Nonce {
					return "a sign-in that sends a nonce (oidc.signIn[].nonce)"
				}
			case idp.RequiresHybrid:
				if si.ResponseType != "code id_token" && si.ResponseType != "code id_token token" {
					return "a hybrid sign-in (oidc.signIn[].responseType: code id_token)"
				}
			case idp.RequiresHybridToken:
				if si.ResponseType != "code id_token token" {
					return "a hybrid sign-in with an access token (oidc.signIn[].responseType: code id_token token)"
				}
			case idp.RequiresClientSecret:
				if cr.r.env.Target.OIDC.ClientSecret == "" {
					return "a client secret (oidc.clientSecret)"
				}
			}
		}
		return ""
	}
	for i := range o.SignIn {
		if fits(&o.SignIn[i]) == "" {
			return &o.SignIn[i], ""
		}
	}
	// None is declared to fit: what the RP really sends decides (Judge's premise), unless
	// the target says outright that it sends no nonce.
	for i := range o.SignIn {
		if si := &o.SignIn[i]; si.Nonce == nil || *si.Nonce || !slices.Contains(f.Requires, idp.RequiresNonce) {
			return si, ""
		}
	}
	return nil, "the target declares that its sign-ins send no nonce (oidc.signIn[].nonce: false)"
}

// runFault runs a fault check: arm the fault for fresh browser contexts, walk the flow,
// gather the evidence and judge it.
func (cr *checkRun) runFault(ctx context.Context) {
	f := cr.check.Fault
	env := cr.r.env
	var start, logout string
	switch f.Protocol {
	case idp.ProtocolSAML:
		si, why := cr.samlSignIn(f)
		if si == nil {
			cr.skip(why)
			return
		}
		start, logout = si.URL, si.LogoutURL
		// The IdP-initiated profile is a pair: saml.idp-initiated for an SP that takes
		// unsolicited Responses, saml.idp-initiated.disallowed (RequiresSPInitiatedOnly)
		// for one that must refuse them. Each target runs the one its declaration names.
		spOnly := slices.Contains(f.Requires, idp.RequiresSPInitiatedOnly)
		if f.Flow == idp.FlowIdPInitiated && !env.Target.SAML.IdPInitiated && !spOnly {
			cr.skip("the target does not accept IdP-initiated sign-in (saml.idpInitiated: false); saml.idp-initiated.disallowed checks that it refuses it")
			return
		}
		if spOnly && env.Target.SAML.IdPInitiated {
			cr.skip("the target accepts IdP-initiated sign-in (saml.idpInitiated: true): saml.idp-initiated checks that it signs the user in; this check is for SPs that must refuse an unsolicited Response")
			return
		}
	case idp.ProtocolOIDC:
		si, why := cr.oidcSignIn(f)
		if si == nil {
			cr.skip(why)
			return
		}
		start = si.URL
	}
	af, err := env.Server.ArmContext(f.ID)
	if err != nil {
		cr.errorf("arm the fault: %v", err)
		return
	}
	defer env.Server.Disarm(af.Token)
	defer cr.finishSteps()
	ev := cr.drive(ctx, f, af.Token, start, logout)
	ev.Events = cr.events()
	ev.User = env.User.UserPrincipalName
	ev.IdPTLS = strings.HasPrefix(env.Server.URL, "https://")
	if ev.Premise == "" {
		ev.Premise = cr.certPremise(f, ev.Events)
	}
	cr.addPayloads()
	cr.res.Evidence = ev.record()
	Judge(f, ev, env.Target.override(cr.check)).apply(cr.res)
}

// drive walks the fault's flow and returns what the SP showed. Each sign-in of a
// multi-sign-in check runs in a fresh browser context, so that it reaches the IdP rather
// than the SP's session from the one before.
func (cr *checkRun) drive(ctx context.Context, f *idp.Fault, token, start, logout string) Evidence {
	env := cr.r.env
	user, pw := env.User.UserPrincipalName, env.User.Password
	var ev Evidence
	signIn := func(u string) (*walker, Page, bool) {
		w, err := cr.newContext(ctx, token)
		if err != nil {
			ev.Stopped = err.Error()
			return nil, Page{}, false
		}
		w.declineConsent = f.UserAction == idp.ActionDeclineConsent
		s, err := w.signIn(u, user, pw)
		p := cr.observe(s)
		cr.outcomeStep(w, s, p)
		if err != nil {
			ev.Stopped = fmt.Sprintf("sign-in from %s: %v", u, err)
			return w, p, false
		}
		return w, p, true
	}
	switch f.Flow {
	case idp.FlowIdPInitiated:
		if _, p, ok := signIn(env.Server.UserAccessURL(env.Tenant, env.App)); ok {
			ev.Pages = append(ev.Pages, p)
		}
	case idp.FlowReplay:
		from := start
		if env.Target.SAML.IdPInitiated {
			// An unsolicited Response, so that InResponseTo does not already tie it to the
			// first browser: the replay cache is what must refuse the second post.
			from = env.Server.UserAccessURL(env.Tenant, env.App)
		}
		_, first, ok := signIn(from)
		if !ok {
			return ev
		}
		if !first.SignedIn {
			ev.Stopped = fmt.Sprintf("the first, legitimate sign-in was refused (%s), so the replay could not be tested", first)
			return ev
		}
		action, fields := cr.postedResponse()
		if action == "" {
			ev.Stopped = "no SAMLResponse was posted to the SP in the first sign-in, so there is nothing to replay"
			return ev
		}
		w, err := cr.newContext(ctx, "")
		if err != nil {
			ev.Stopped = err.Error()
			return ev
		}
		w.step("replay the same SAMLResponse from another browser", pageState{URL: action}, "", false)
		s, err := w.postForm(action, fields)
		if err != nil {
			ev.Stopped = "replay the SAMLResponse: " + err.Error()
			return ev
		}
		p := cr.observe(s)
		cr.outcomeStep(w, s, p)
		ev.Pages = append(ev.Pages, p)
	case idp.FlowLogout:
		w, p, ok := signIn(start)
		if !ok {
			return ev
		}
		ev.Pages = append(ev.Pages, p)
		if !p.SignedIn {
			return ev
		}
		lo, err := cr.signOut(w, logout, start)
		if err != nil {
			ev.Stopped = err.Error()
		}
		ev.Logout = lo
	default:
		for i := range max(f.SignIns, 1) {
			if i > 0 && f.ID == "oidc.key.rotation" {
				cr.waitForKeyRefetch(ctx)
			}
			_, p, ok := signIn(start)
			if !ok {
				return ev
			}
			ev.Pages = append(ev.Pages, p)
		}
	}
	return ev
}

// waitForKeyRefetch waits past the refetch limit RPs commonly put on their key set (one
// fetch a minute), so that an RP which rate-limits refetches is not failed for it.
func (cr *checkRun) waitForKeyRefetch(ctx context.Context) {
	d := cr.r.o.KeyRefetchWait
	if d <= 0 {
		return
	}
	if cr.w != nil {
		cr.w.step(fmt.Sprintf("wait %s (the key-set refetch limit RPs may apply) before the token signed with the new key", d), pageState{}, "", false)
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// signOut opens the SP's sign-out URL, then its protected page again: a signed-out SP asks
// for sign-in, so that visit goes to the IdP (which, its session ended, asks too).
func (cr *checkRun) signOut(w *walker, logout, start string) (*Logout, error) {
	n := w.tab.committed()
	if err := w.navigate(logout); err != nil {
		return nil, err
	}
	s, err := w.settle(n)
	lo := &Logout{Page: cr.observe(s)}
	w.step("after the sign-out: "+lo.Page.String(), s, firstLine(s.Text), true)
	if err != nil {
		return lo, fmt.Errorf("sign out at %s: %w", logout, err)
	}
	before := len(w.tab.trace())
	n = w.tab.committed()
	if err := w.navigate(start); err != nil {
		return lo, err
	}
	s, err = w.settle(n)
	after := cr.observe(s)
	lo.After = &after
	for _, d := range w.tab.trace()[before:] {
		if hostOf(d.URL) == cr.r.env.idpHost {
			lo.AfterReachedIdP = true
		}
	}
	w.step("the protected page again: "+after.String(), s, firstLine(s.Text), true)
	if err != nil {
		return lo, fmt.Errorf("open the protected page after the sign-out: %w", err)
	}
	return lo, nil
}

// outcomeStep records the page a sign-in ended on.
func (cr *checkRun) outcomeStep(w *walker, s pageState, p Page) {
	w.step("outcome: "+p.String(), s, firstLine(s.Text), true)
}

// postedResponse is the SAMLResponse form the browser posted to the SP (action and fields).
func (cr *checkRun) postedResponse() (string, url.Values) {
	for _, t := range cr.tabs {
		for _, d := range t.trace() {
			if d.Method == "POST" && strings.Contains(d.PostData, "SAMLResponse=") && hostOf(d.URL) != cr.r.env.idpHost {
				if v, err := url.ParseQuery(d.PostData); err == nil {
					return d.URL, v
				}
			}
		}
	}
	return "", nil
}

// idpRefused reports a check the IdP itself refused: the SP's request (or the app's setup)
// is wrong, so the fault never reached the SP. That is an error, never a pass.
func (cr *checkRun) idpRefused(e *idp.Event) {
	cr.res.Observed = fmt.Sprintf("IdP refused: AADSTS%d", e.ErrorCode)
	cr.res.Status = reports.StatusError
	cr.res.Diagnosis = fmt.Sprintf("Entra (the mock IdP) refused the sign-in before the SP got a response: AADSTS%d: %s. The check could not test the SP; the misconfiguration check %s explains what to fix.",
		e.ErrorCode, e.FailureReason, configCheckFor(e.ErrorCode))
	cr.res.Fix = fixForCode(e.ErrorCode)
}

// configCheckFor names the misconfiguration check that explains an AADSTS code (idp's
// AADSTS table).
func configCheckFor(code int) string {
	if i, ok := idp.LookupError(code); ok && i.Check != "" {
		return i.Check
	}
	return "of the report"
}

// fixForCode is the admin's fix for an AADSTS error, in the portal's words (idp's AADSTS
// table).
func fixForCode(code int) string {
	i, _ := idp.LookupError(code)
	return i.Fix
}

// certPremise says why a certificate fault's premise did not hold: the response is signed
// with a certificate of the app's metadata, which tests the SP's check of the certificate's
// validity only if the SP trusts that certificate — it must have loaded a metadata that
// lists it. An SP that loaded the metadata before the run never saw it, and would refuse
// for an unknown key, exactly as for saml.sig.untrusted-key: that tells nothing.
func (cr *checkRun) certPremise(f *idp.Fault, evs []idp.Event) string {
	if f.ID != "saml.cert.expired" && f.ID != "saml.cert.not-yet-valid" {
		return ""
	}
	if cr.r.env.Target.SAML != nil && cr.r.env.Target.SAML.FaultCertificates {
		return "" // the target says the SP was given them before the run
	}
	thumb := ""
	for _, e := range evs {
		if e.Fault != nil && e.Fault.Certificate != "" {
			thumb = e.Fault.Certificate
		}
	}
	if thumb == "" {
		return ""
	}
	for _, e := range cr.r.env.Events() {
		if e.Kind == idp.EventMetadata && e.Status == idp.StatusSuccess && strings.Contains(e.Response["certificates"], thumb) {
			return ""
		}
	}
	return fmt.Sprintf("the SP never loaded a federation metadata that lists the certificate %s this fault signs with (it read the IdP's metadata before the run, or was given the certificate alone), so a refusal would only mean \"unknown key\" — as in saml.sig.untrusted-key — and tells nothing about the certificate's validity. To test it, let the SP load the app's metadata from the mock IdP after the run has started, or give it the metadata `mockidp metadata --fault-certs --key-dir DIR` prints (serve the run with the same key directory: target idp.keyDir) and set saml.faultCertificates: true in the target", thumb)
}
