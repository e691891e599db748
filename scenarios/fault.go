package scenarios

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// outcome is what the browser ended on, judged by the target's Success rules.
type outcome struct {
	accepted bool
	identity string // who the page says is signed in ("" when unknown)
	status   int
	url      string
	text     string
}

func (o outcome) String() string {
	if o.accepted {
		if o.identity != "" {
			return "accepted as " + o.identity
		}
		return "accepted (signed-in page, identity not recognised)"
	}
	s := "refused"
	if o.status != 0 {
		s += fmt.Sprintf(" (%d)", o.status)
	}
	if o.url != "" {
		s += " at " + o.url
	}
	return s
}

// observe judges a page: is it the SP's authenticated page, and for whom.
func (cr *checkRun) observe(s pageState) outcome {
	o := outcome{status: s.Status, url: s.URL, text: s.Text}
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
		return o
	}
	o.accepted = true
	if sc.Identity != "" {
		if m := regexp.MustCompile(sc.Identity).FindStringSubmatch(s.Text); m != nil {
			o.identity = strings.TrimSpace(m[1])
		}
		return o
	}
	// The directory user whose UPN or mail the page shows, the longest match first (so
	// B.Simon@contoso.com is not taken for a shorter name).
	best := ""
	for _, tn := range cr.r.env.Server.Config().Tenants {
		for _, u := range tn.Users {
			for _, n := range []string{u.UserPrincipalName, u.Mail} {
				if n != "" && len(n) > len(best) && containsWord(s.Text, n) {
					best = n
				}
			}
		}
	}
	o.identity = best
	return o
}

// containsWord reports whether text contains name not followed by more of an address
// (so "B.Simon@contoso" does not count as "B.Simon@contoso.com", nor the reverse).
func containsWord(text, name string) bool {
	lt, ln := strings.ToLower(text), strings.ToLower(name)
	for i := 0; ; {
		j := strings.Index(lt[i:], ln)
		if j < 0 {
			return false
		}
		end := i + j + len(ln)
		if end >= len(lt) || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789.-_@", rune(lt[end])) ||
			(lt[end] == '.' && (end+1 >= len(lt) || !isAlnum(lt[end+1]))) {
			return true
		}
		i = end
	}
}

func isAlnum(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }

// isUser reports whether identity names the env's user.
func (cr *checkRun) isUser(identity string) bool {
	u := cr.r.env.User
	return identity != "" && (strings.EqualFold(identity, u.UserPrincipalName) || strings.EqualFold(identity, u.Mail))
}

// samlSignIn picks the target's SAML sign-in for a fault ("" reason when one fits).
func (cr *checkRun) samlSignIn(f *idp.Fault) (*SAMLSignIn, string) {
	s := cr.r.env.Target.SAML
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
			case idp.RequiresClientSecret:
				if cr.r.env.Target.OIDC.ClientSecret == "" {
					return "a client secret (oidc.clientSecret)"
				}
			}
		}
		return ""
	}
	var needs []string
	for i := range o.SignIn {
		need := fits(&o.SignIn[i])
		if need == "" {
			return &o.SignIn[i], ""
		}
		if !slices.Contains(needs, need) {
			needs = append(needs, need)
		}
	}
	return nil, "the check needs " + strings.Join(needs, ", or ") + ", which no sign-in of the target declares"
}

// runFault runs a fault check: arm the fault for a fresh browser context, walk the flow,
// judge the outcome.
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
		if f.Flow == idp.FlowIdPInitiated && !env.Target.SAML.IdPInitiated {
			cr.skip("the target does not accept IdP-initiated sign-in (saml.idpInitiated: false)")
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
	w, err := cr.newContext(ctx, af.Token)
	if err != nil {
		cr.errorf("%v", err)
		return
	}
	defer cr.finishSteps()
	user, pw := env.User.UserPrincipalName, env.User.Password
	var s pageState
	var o outcome
	first := func(u string) bool {
		if s, err = w.signIn(u, user, pw); err != nil {
			return false
		}
		o = cr.observe(s)
		return true
	}
	switch f.Flow {
	case idp.FlowIdPInitiated:
		first(env.Server.UserAccessURL(env.Tenant, env.App))
	case idp.FlowReplay:
		from := start
		if env.Target.SAML.IdPInitiated {
			// An unsolicited Response, so that InResponseTo does not already tie it to the
			// first browser: the replay cache is what must refuse the second post.
			from = env.Server.UserAccessURL(env.Tenant, env.App)
		}
		if !first(from) {
			break
		}
		if !o.accepted {
			cr.outcomeStep(w, s, o)
			cr.errorf("the first, legitimate sign-in was refused (%s), so the replay could not be tested", o)
			cr.addPayloads()
			return
		}
		cr.outcomeStep(w, s, o)
		action, fields := cr.postedResponse()
		if action == "" {
			cr.errorf("no SAMLResponse was posted to the SP in the first sign-in, so there is nothing to replay")
			return
		}
		if w, err = cr.newContext(ctx, ""); err != nil {
			cr.errorf("%v", err)
			return
		}
		w.step("replay the same SAMLResponse from another browser", pageState{URL: action}, "", false)
		if s, err = w.postForm(action, fields); err == nil {
			o = cr.observe(s)
		}
	case idp.FlowLogout:
		if !first(start) {
			break
		}
		if !o.accepted {
			cr.outcomeStep(w, s, o)
			cr.errorf("the sign-in before the sign-out was refused (%s)", o)
			return
		}
		cr.outcomeStep(w, s, o)
		n := w.tab.committed()
		if err = w.navigate(logout); err == nil {
			if s, err = w.settle(n); err == nil {
				o = cr.observeLogout(s)
			}
		}
	default:
		for i := range max(f.SignIns, 1) {
			if i > 0 {
				cr.outcomeStep(w, s, o)
			}
			if !first(start) || !o.accepted {
				break
			}
		}
	}
	if err != nil {
		cr.outcomeStep(w, s, cr.observe(s))
		cr.addPayloads()
		if r := cr.idpRefusal(); r != nil {
			cr.idpRefused(r)
			return
		}
		cr.errorf("the check could not run: %v", err)
		return
	}
	cr.outcomeStep(w, s, o)
	cr.addPayloads()
	cr.res.Observed = o.String()
	if r := cr.idpRefusal(); r != nil && !o.accepted {
		cr.idpRefused(r)
		return
	}
	if len(cr.minted()) == 0 && !f.Benign() {
		cr.errorf("the fault was never delivered: the sign-in did not reach the point where the IdP answers the SP (ended %s)", o)
		return
	}
	cr.judge(f, o)
}

// outcomeStep records the page a sign-in ended on.
func (cr *checkRun) outcomeStep(w *walker, s pageState, o outcome) {
	w.step("outcome: "+o.String(), s, firstLine(s.Text), true)
}

// observeLogout judges the page after a sign-out: signed out means the SP no longer shows
// the user, nothing was refused, and the IdP took the LogoutRequest.
func (cr *checkRun) observeLogout(s pageState) outcome {
	o := cr.observe(s)
	signedOut := !o.accepted && (s.Status == 0 || s.Status < 400) && !strings.Contains(s.Text, "AADSTS")
	idpOK := false
	for _, e := range cr.events() {
		if e.Kind == "logout-request" && e.Status == idp.StatusSuccess {
			idpOK = true
		}
	}
	out := outcome{status: s.Status, url: s.URL, text: s.Text}
	if signedOut && idpOK {
		out.accepted, out.identity = true, cr.r.env.User.UserPrincipalName
	}
	return out
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

// judge turns the outcome into a verdict against the catalog's (or the target's)
// expectation, with the diagnosis.
func (cr *checkRun) judge(f *idp.Fault, o outcome) {
	exp := f.Expect.Expected()
	ov := cr.r.env.Target.override(cr.check)
	if ov != nil {
		exp = idp.Verdict(ov.Expect)
		cr.res.Expected = ov.Expect
	}
	status := verdict(f, exp, o, cr.isUser)
	if status == reports.StatusFail || status == reports.StatusWarn {
		cr.res.Diagnosis, cr.res.Fix = cr.diagnose(f, exp, o)
	}
	if ov != nil {
		if status == reports.StatusPass || status == reports.StatusWarn {
			status = reports.StatusWaived
		}
		cr.res.Reason = fmt.Sprintf("expectation overridden by the target (%s instead of %s): %s", ov.Expect, f.Expect.Expected(), ov.Reason)
	}
	cr.res.Status = status
}

// verdict judges an outcome against an expectation.
func verdict(f *idp.Fault, exp idp.Verdict, o outcome, isUser func(string) bool) reports.Status {
	switch exp {
	case idp.VerdictAccept:
		if o.accepted && isUser(o.identity) {
			return reports.StatusPass
		}
		return reports.StatusFail
	case idp.VerdictWarn:
		if o.accepted {
			return reports.StatusWarn
		}
		return reports.StatusPass
	}
	if !o.accepted {
		if o.status >= 500 {
			return reports.StatusFail // a refusal must be an error page, not a server error
		}
		return reports.StatusPass
	}
	if f.Expect.OrSignedIdentity && isUser(o.identity) {
		return reports.StatusPass // not fooled: it signed in exactly the identity the IdP signed
	}
	if f.Expect.OrOtherAccount && !mentionsVictim(o.text, isUser) {
		return reports.StatusPass // signed the other tenant's own account in, not the victim's
	}
	return reports.StatusFail
}

// mentionsVictim reports whether the page names the victim anywhere (the account it was
// merged into, for oidc.email.unverified).
func mentionsVictim(text string, isUser func(string) bool) bool {
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '(' || r == ')' || r == ',' }) {
		w = strings.TrimPrefix(strings.TrimPrefix(w, "email:"), "mailto:")
		if isUser(strings.Trim(w, ".;:\"'")) {
			return true
		}
	}
	return false
}

// diagnose explains a fail or warn in Entra's terms, with the fix.
func (cr *checkRun) diagnose(f *idp.Fault, exp idp.Verdict, o outcome) (string, string) {
	var changed []string
	for _, m := range cr.minted() {
		changed = append(changed, m.Changed...)
	}
	what := strings.Join(slices.Compact(changed), "; ")
	if what == "" {
		what = f.Description
	}
	user := cr.r.env.User.UserPrincipalName
	switch {
	case exp == idp.VerdictAccept && o.accepted:
		return fmt.Sprintf("The SP signed in %q, but the IdP signed in %s (%s): it %s.", o.identity, user, what, f.Weakness), f.Fix
	case exp == idp.VerdictAccept:
		return fmt.Sprintf("The SP refused a valid sign-in (%s): it ended on %s (%s). The SP %s.", f.Description, o.url, statusText(o), f.Weakness), f.Fix
	case exp == idp.VerdictWarn:
		note := f.Expect.Note
		if note != "" {
			note = " " + note
		}
		return fmt.Sprintf("The SP accepted a response where %s: it %s.%s", what, f.Weakness, note), f.Fix
	case !o.accepted && o.status >= 500:
		return fmt.Sprintf("The SP refused the bad response, but with HTTP %d (a server error) at %s instead of an error page: %s", o.status, o.url, what),
			"Catch the validation error and answer with a 4xx error page that says sign-in failed; a 500 hides the cause and trips alerting. " + f.Fix
	}
	who := o.identity
	if who == "" {
		who = "an unrecognised identity"
	}
	return fmt.Sprintf("The SP accepted a response where %s, and signed in %s: it %s.", what, who, f.Weakness), f.Fix
}

func statusText(o outcome) string {
	s := fmt.Sprintf("HTTP %d", o.status)
	if l := firstLine(o.text); l != "" {
		s += ": " + l
	}
	return s
}

// configCheckFor names the misconfiguration check that explains an AADSTS code.
func configCheckFor(code int) string {
	switch code {
	case 50011:
		return "config.redirect-uri"
	case 700016:
		return "config.identifier"
	case 50105:
		return "config.assignment"
	case 7000215, 7000222:
		return "config.client-secret"
	case 9002325, 9002326, 9002327, 50148:
		return "config.spa-pkce"
	case 75016:
		return "config.nameid"
	case 75011:
		return "config.authn-context"
	case 50194:
		return "config.tenant-audience"
	}
	return "of the report"
}

// fixForCode is the admin's fix for an AADSTS error, in the portal's words.
func fixForCode(code int) string {
	switch code {
	case 50011:
		return "Make the Reply URL (SAML) / redirect URI (OIDC) registered in Entra exactly equal to what the SP sends — scheme, host, port, path, case and trailing slash."
	case 700016:
		return "Enterprise applications → the app → Single sign-on → Basic SAML Configuration → Identifier (Entity ID): add the SP's entity ID exactly."
	case 50105:
		return "Enterprise applications → the app → Users and groups → Add user/group (or set Properties → Assignment required? to No)."
	case 7000215:
		return "Certificates & secrets: copy a secret's Value (not its Secret ID) into the SP."
	case 7000222:
		return "Certificates & secrets: create a new client secret, put it in the SP, then delete the expired one."
	case 9002326, 9002327, 50148, 9002325:
		return "Register the redirect URI under the platform the app really is: Web for a server-side app that redeems codes with a secret; Single-page application (with PKCE) for browser code."
	case 75016:
		return "Request a NameIDPolicy Format Entra supports (unspecified, emailAddress, persistent, transient), or none."
	case 75011:
		return "Do not send RequestedAuthnContext, or send one Entra can satisfy (e.g. PasswordProtectedTransport with Comparison=minimum)."
	case 50194:
		return "Use the tenant-specific endpoint (https://login.microsoftonline.com/{tenant-id}/…) or make the app multitenant."
	}
	return ""
}
