package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// Page is what the SP showed at the end of one step of a check, as the harness read it: the
// page and whether it is the SP's signed-in page, and for whom.
type Page struct {
	// URL, Status and Text are the final page (Status 0 when no HTTP status was seen).
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
	Text   string `json:"text,omitempty"`
	// SignedIn: the page is the SP's signed-in page by the target's success rules (never a
	// page on the IdP).
	SignedIn bool `json:"signedIn"`
	// Identity is the directory user (UPN) the signed-in page names; "" when none was
	// recognised.
	Identity string `json:"identity,omitempty"`
	// Shown is what on the page named the identity (the target's capture, or the matched
	// UPN, mail, display name, object ID, NameID or sub).
	Shown string `json:"shown,omitempty"`
	// How says which of those matched ("UPN", "mail", "display name", "object ID", "NameID",
	// "sub", "success.identity").
	How string `json:"how,omitempty"`
}

// String is the page's outcome in words: "accepted as X", "refused (500) at URL".
func (p Page) String() string {
	if p.SignedIn {
		switch {
		case p.Identity != "":
			return "accepted as " + p.Identity
		case p.Shown != "":
			return fmt.Sprintf("accepted as %q (not a directory user)", p.Shown)
		}
		return "accepted (signed-in page, identity not recognised)"
	}
	s := "refused"
	if p.Status != 0 {
		s += fmt.Sprintf(" (%d)", p.Status)
	}
	if p.URL != "" {
		s += " at " + stripQuery(p.URL) // the code and state say nothing a reader needs
	}
	return s
}

// Logout is what a sign-out left behind: the page it ended on, the SP's protected page
// opened again afterwards, and whether the IdP's own session ended.
type Logout struct {
	// Page is where the sign-out ended.
	Page Page `json:"page"`
	// After is the SP's sign-in URL (its protected page) opened again after the sign-out: a
	// signed-out SP asks for sign-in again.
	After *Page `json:"after,omitempty"`
	// AfterReachedIdP: opening the protected page again went to the IdP (the SP's session
	// was gone) rather than straight to the SP's page.
	AfterReachedIdP bool `json:"afterReachedIdP,omitempty"`
}

// Evidence is everything a fault check observed, from both ends: the SP's pages and the IdP's
// sign-in log. The runner gathers it; Judge reads nothing else.
type Evidence struct {
	// User is the account the harness signed in with at the IdP (its UPN).
	User string `json:"user"`
	// Pages are the SP's answers to each sign-in the flow made, in order. For a replay: the
	// first sign-in, then the replayed post from another browser.
	Pages []Page `json:"pages,omitempty"`
	// Logout is what the sign-out left (FlowLogout).
	Logout *Logout `json:"logout,omitempty"`
	// Events are the IdP's sign-in log entries of the check: its browser contexts' requests
	// and their back channel (token, userinfo).
	Events []idp.Event `json:"events,omitempty"`
	// Stopped names the step the driver could not take, and why ("" when every step ran).
	Stopped string `json:"stopped,omitempty"`
	// IdPTLS: the IdP (its token endpoint) was served over HTTPS.
	IdPTLS bool `json:"idpTLS,omitempty"`
	// Premise is why the check's premise did not hold in this run, with how to make it hold
	// ("" when it held); e.g. the SP never loaded the certificate the fault signs with.
	Premise string `json:"premise,omitempty"`
}

// Verdict is a check's judged result.
type Verdict struct {
	Status    reports.Status
	Observed  string
	Diagnosis string
	Fix       string
	Reason    string
	// Expected is the expectation applied (the catalog's, or the target's override).
	Expected string
}

// apply copies the verdict into a result.
func (v Verdict) apply(res *reports.Check) {
	res.Status, res.Observed, res.Diagnosis, res.Fix, res.Reason = v.Status, v.Observed, v.Diagnosis, v.Fix, v.Reason
	if v.Expected != "" {
		res.Expected = v.Expected
	}
}

// Judge decides a fault check from what was observed. It is a pure function: the same
// evidence gives the same verdict, whoever gathered it (the runner, the Ginkgo suite, the
// oracle tests, or a replay of recorded evidence). ov is the target's expectation override
// (nil for none).
//
// The rules, in order:
//   - the IdP refused the sign-in itself (an AADSTS error no fault made): error, naming the
//     config check that explains it — the SP was never tested;
//   - a step could not be taken: error naming the step;
//   - the premise did not hold (the SP did not send what the fault needs: a nonce, PKCE, a
//     userinfo call, a client secret, the binding; or never trusted the fault's
//     certificate): skip, saying why and how to make it hold;
//   - the fault was not delivered to every sign-in it needs: error naming the sign-in;
//   - then the outcome against the expectation. A refusal is judged by whether the SP
//     signed anyone in, never by its error page's status code (that is the separate
//     sp.error-page finding).
func Judge(f *idp.Fault, ev Evidence, ov *Override) Verdict {
	exp := f.Expect.Expected()
	v := Verdict{Expected: string(exp)}
	if ov != nil {
		exp, v.Expected = idp.Verdict(ov.Expect), ov.Expect
	}
	last := Page{}
	if len(ev.Pages) > 0 {
		last = ev.Pages[len(ev.Pages)-1]
	}
	v.Observed = observed(ev)
	if r := refusalEvent(ev.Events); r != nil && (ev.Stopped != "" || !last.SignedIn) {
		v.Status = reports.StatusError
		v.Observed = fmt.Sprintf("IdP refused: AADSTS%d", r.ErrorCode)
		v.Diagnosis = fmt.Sprintf("Entra (the mock IdP) refused the sign-in before the SP got a response: AADSTS%d: %s. The check could not test the SP; the misconfiguration check %s explains what to fix.",
			r.ErrorCode, r.FailureReason, configCheckFor(r.ErrorCode))
		v.Fix = fixForCode(r.ErrorCode)
		return v
	}
	if ev.Stopped != "" {
		v.Status, v.Diagnosis = reports.StatusError, "the check could not run: "+ev.Stopped
		return v
	}
	if why := premise(f, ev); why != "" {
		v.Status, v.Reason = reports.StatusSkip, why
		return v
	}
	if why := undelivered(f, ev); why != "" {
		v.Status, v.Diagnosis = reports.StatusError, why
		return v
	}
	if f.Flow == idp.FlowLogout {
		judgeLogout(f, ev, &v)
	} else {
		judgeOutcome(f, exp, ev, &v)
	}
	if ov != nil {
		if v.Status == reports.StatusPass || v.Status == reports.StatusWarn {
			v.Status = reports.StatusWaived
		}
		v.Reason = fmt.Sprintf("expectation overridden by the target (%s instead of %s): %s", ov.Expect, f.Expect.Expected(), ov.Reason)
	}
	return v
}

// observed is the evidence in one line: the last page, and for a multi-sign-in check each.
func observed(ev Evidence) string {
	if ev.Logout != nil {
		s := "sign-out ended " + ev.Logout.Page.String()
		if ev.Logout.After != nil {
			s += "; protected page afterwards: " + ev.Logout.After.String()
		}
		return s
	}
	var parts []string
	for _, p := range ev.Pages {
		parts = append(parts, p.String())
	}
	if len(parts) > 1 && !allSame(parts) {
		for i := range parts {
			parts[i] = fmt.Sprintf("%d: %s", i+1, parts[i])
		}
		return strings.Join(parts, "; ")
	}
	if len(parts) == 0 {
		return ""
	}
	return parts[len(parts)-1]
}

func allSame(s []string) bool {
	for _, x := range s {
		if x != s[0] {
			return false
		}
	}
	return true
}

// refusalEvent is the first failure the IdP answered on its own (not a minted fault).
func refusalEvent(evs []idp.Event) *idp.Event {
	for i := range evs {
		if e := evs[i]; e.Status == idp.StatusFailure && e.ErrorCode != 0 && e.Fault == nil {
			return &evs[i]
		}
	}
	return nil
}

// requestOf is the first event of a kind in the log (nil when none).
func requestOf(evs []idp.Event, kinds ...idp.EventKind) *idp.Event {
	for i := range evs {
		if slices.Contains(kinds, evs[i].Kind) {
			return &evs[i]
		}
	}
	return nil
}

// premise says why a fault's premise did not hold, from what the SP itself sent: a check
// never assumes what the target declares.
func premise(f *idp.Fault, ev Evidence) string {
	if ev.Premise != "" {
		return ev.Premise
	}
	authz := requestOf(ev.Events, idp.EventAuthorize)
	param := func(k string) string {
		if authz == nil {
			return ""
		}
		return authz.Request[k]
	}
	for _, r := range f.Requires {
		switch r {
		case idp.RequiresNonce:
			if authz != nil && param("nonce") == "" {
				return "the RP sent no nonce in its authorization request, so there is nothing to check it against (OpenID Connect Core §3.1.2.1); the finding oidc.request.nonce reports the missing nonce"
			}
		case idp.RequiresPKCE:
			if authz != nil && param("code_challenge") == "" {
				return "the RP sent no PKCE code_challenge in its authorization request; the finding oidc.request.pkce reports it"
			}
		case idp.RequiresFormPost:
			if authz != nil && param("response_mode") != "form_post" {
				return fmt.Sprintf("the RP asked for response_mode=%s, not form_post (declare a sign-in with responseMode: form_post in the target)", orDefault(param("response_mode"), "query"))
			}
		case idp.RequiresUserInfo, idp.RequiresUserInfoGET, idp.RequiresUserInfoPOST:
			ui := requestOf(ev.Events, idp.EventUserInfo)
			if ui == nil {
				if requestOf(ev.Events, idp.EventToken) == nil {
					break // the sign-in never got that far: the outcome says why
				}
				return "the RP never called userinfo in this sign-in, so a userinfo response cannot mislead it"
			}
			if want := map[idp.Requirement]string{idp.RequiresUserInfoGET: "GET", idp.RequiresUserInfoPOST: "POST"}[r]; want != "" && ui.Binding != want {
				return fmt.Sprintf("the RP called userinfo with %s, not %s", ui.Binding, want)
			}
		case idp.RequiresClientSecret:
			if tok := requestOf(ev.Events, idp.EventToken); tok != nil && !strings.HasPrefix(tok.Binding, "client_secret") {
				return "the RP sent no client secret when it redeemed the code (a public client), so a secret-keyed token cannot be tested"
			}
		case idp.RequiresHybrid:
			if authz != nil && !slices.Contains(strings.Fields(param("response_type")), "id_token") {
				return fmt.Sprintf("the RP asked for response_type=%s, not the hybrid code id_token, so no ID token comes with the code and there is no c_hash to check (declare a sign-in with responseType: code id_token in the target if the RP uses the hybrid flow)", orDefault(param("response_type"), "code"))
			}
		case idp.RequiresHybridToken:
			if rt := strings.Fields(param("response_type")); authz != nil && !(slices.Contains(rt, "id_token") && slices.Contains(rt, "token")) {
				return fmt.Sprintf("the RP asked for response_type=%s, not code id_token token, so no access token comes with an ID token and there is no at_hash to check (declare a sign-in with responseType: code id_token token in the target if the RP uses it)", orDefault(param("response_type"), "code"))
			}
		case idp.RequiresMultiTenant:
			if a := param(idp.AuthorityField); authz != nil && a != "" && !slices.Contains([]string{"organizations", "common"}, strings.ToLower(a)) {
				return fmt.Sprintf("the RP signs in at its tenant's own authority (/%s/), whose issuer it can pin exactly: tid and the signing key's issuer tell tenants apart only for an RP that accepts many tenants (/organizations, /common); OpenID Connect itself defines neither", a)
			}
		case idp.RequiresPOSTBinding:
			if ar := requestOf(ev.Events, idp.EventAuthnRequest); ar != nil && ar.Binding != idp.BindingPOST {
				return fmt.Sprintf("the SP sent its AuthnRequest by %s, not HTTP-POST", ar.Binding)
			}
		}
	}
	if f.ID == "oidc.state.wrong" && authz != nil && param("state") == "" {
		return "the RP sent no state in its authorization request; the finding oidc.request.state reports it"
	}
	if f.ID == "saml.sp.redirect" {
		if ar := requestOf(ev.Events, idp.EventAuthnRequest); ar != nil && ar.Binding != idp.BindingRedirect {
			return fmt.Sprintf("the SP sent its AuthnRequest by %s, not HTTP-Redirect", ar.Binding)
		}
	}
	return ""
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// undelivered says which sign-in of the check never got the fault's response, as the
// IdP's log shows ("" when each did). A check passes only on what was really sent.
func undelivered(f *idp.Fault, ev Evidence) string {
	steps := map[int]bool{}
	for _, e := range ev.Events {
		if e.Fault != nil && e.Fault.ID == f.ID {
			steps[e.Fault.Step] = true
		}
	}
	want := max(f.SignIns, 1)
	if f.Flow == idp.FlowReplay || f.Flow == idp.FlowLogout {
		want = 1
	}
	for i := range want {
		if steps[i] {
			continue
		}
		ended := ""
		if i < len(ev.Pages) {
			ended = " (it ended " + ev.Pages[i].String() + ")"
		}
		if want == 1 {
			return "the fault was never delivered: the sign-in did not reach the point where the IdP answers the SP" + ended
		}
		return fmt.Sprintf("sign-in %d of %d never reached the IdP, so the fault's step %d was never sent%s; each sign-in of the check must reach the IdP (the SP answered from its own session?)", i+1, want, i+1, ended)
	}
	return ""
}

// judgeOutcome compares the pages with the expectation. Each expectation reads the pages by
// a rule of its own, so each has its own function; what the fault changed, in words, is
// worked out once for the diagnoses.
func judgeOutcome(f *idp.Fault, exp idp.Verdict, ev Evidence, v *Verdict) {
	what := changedText(f, ev)
	if f.Expect.ErrorPage && exp == idp.VerdictReject {
		judgeErrorPage(f, ev, what, v) // judge_errorpage.go
		return
	}
	switch exp {
	case idp.VerdictAccept:
		judgeAccept(f, ev, what, v)
	case idp.VerdictCompatible:
		judgeCompatible(f, ev, what, v)
	case idp.VerdictWarn:
		judgeWarn(f, ev, what, v)
	default:
		judgeReject(f, ev, what, v)
	}
}

// judgeAccept judges a valid response: every sign-in must sign in the IdP's user. A
// signed-in page whose user the harness cannot tell is an error, not a pass, since the
// check could not see whether the SP got the identity right.
func judgeAccept(f *idp.Fault, ev Evidence, what string, v *Verdict) {
	user := ev.User
	for i, p := range ev.Pages {
		if p.SignedIn && p.Identity == "" {
			v.Status = reports.StatusError
			v.Diagnosis = unrecognised(p, ev, i)
			return
		}
		if !p.SignedIn || !strings.EqualFold(p.Identity, user) {
			v.Status = reports.StatusFail
			if p.SignedIn {
				v.Diagnosis = fmt.Sprintf("The SP signed in %q, but the IdP signed in %s (%s): it %s.", p.Identity, user, what, f.Weakness)
			} else {
				v.Diagnosis = fmt.Sprintf("The SP refused a valid sign-in (%s): it ended on %s (%s). The SP %s.", f.Description, p.URL, statusText(p), f.Weakness)
			}
			v.Fix = f.Fix
			return
		}
	}
	v.Status = reports.StatusPass
}

// judgeCompatible judges a response Entra sends only with a non-default setting: signing
// in someone else fails, refusing it only warns (a compatibility problem, not a security
// one).
func judgeCompatible(f *idp.Fault, ev Evidence, what string, v *Verdict) {
	user := ev.User
	for i, p := range ev.Pages {
		switch {
		case p.SignedIn && p.Identity == "":
			v.Status, v.Diagnosis = reports.StatusError, unrecognised(p, ev, i)
			return
		case p.SignedIn && !strings.EqualFold(p.Identity, user):
			v.Status, v.Fix = reports.StatusFail, f.Fix
			v.Diagnosis = fmt.Sprintf("The SP signed in %q, but the IdP signed in %s (%s).", p.Identity, user, what)
			return
		case !p.SignedIn:
			note := ""
			if f.Expect.Note != "" {
				note = " (" + f.Expect.Note + ")"
			}
			v.Status, v.Fix = reports.StatusWarn, f.Fix
			v.Diagnosis = fmt.Sprintf("The SP refused a response Entra sends only when the admin changes a default (%s): it %s. Not a security problem, but keep Entra's default for this app%s. It ended on %s (%s).", f.Description, f.Weakness, note, p.URL, statusText(p))
			return
		}
	}
	v.Status = reports.StatusPass
}

// judgeWarn judges a response that is right to refuse but where SPs legitimately differ
// (a profile default): accepting it warns, naming the weakness, rather than failing.
func judgeWarn(f *idp.Fault, ev Evidence, what string, v *Verdict) {
	for _, p := range ev.Pages {
		if p.SignedIn {
			note := f.Expect.Note
			if note != "" {
				note = " " + note
			}
			v.Status, v.Diagnosis, v.Fix = reports.StatusWarn, fmt.Sprintf("The SP accepted a response where %s: it %s.%s", what, f.Weakness, note), f.Fix
			return
		}
	}
	v.Status = reports.StatusPass
}

// judgeReject judges an attack: the SP must not sign anyone in on any of the check's
// responses, whatever its error page looks like, except where the fault's expectation
// allows it (the victim's own first sign-in, a token fetched over TLS, the other tenant's
// own account, the identity the IdP actually signed).
func judgeReject(f *idp.Fault, ev Evidence, what string, v *Verdict) {
	user := ev.User
	// A VictimFirst check's first sign-in is the victim's own: it must succeed (the SP
	// needs the account the fault then tries to take over).
	from := 0
	if f.Expect.VictimFirst && len(ev.Pages) > 0 {
		if v0 := ev.Pages[0]; !v0.SignedIn || (v0.Identity != "" && !strings.EqualFold(v0.Identity, user)) {
			v.Status = reports.StatusError
			v.Diagnosis = fmt.Sprintf("the victim's own first sign-in (a clean response for %s) ended %s, so the SP has no account of the victim for the second sign-in to take over; the check could not test it", user, v0)
			return
		}
		from = 1
	}
	for i, p := range ev.Pages {
		if !p.SignedIn || i < from {
			continue
		}
		if f.Expect.AcceptOverTLS && ev.IdPTLS && strings.EqualFold(p.Identity, user) {
			continue // the token came from the token endpoint over TLS (OIDC Core 3.1.3.7 step 6)
		}
		if f.Expect.OrOtherAccount && !mentions(p.Text, user) && !strings.EqualFold(p.Identity, user) {
			continue // signed the other tenant's own account in, not the victim's
		}
		if f.Expect.OrSignedIdentity {
			if p.Identity == "" && p.Shown == "" {
				v.Status, v.Diagnosis = reports.StatusError, unrecognised(p, ev, i)
				return
			}
			if strings.EqualFold(p.Identity, user) {
				continue // not fooled: it signed in exactly the identity the IdP signed
			}
		}
		who := p.Identity
		if who == "" {
			who = "an unrecognised identity"
			if p.Shown != "" {
				who = fmt.Sprintf("%q", p.Shown)
			}
		}
		v.Status, v.Fix = reports.StatusFail, f.Fix
		v.Diagnosis = fmt.Sprintf("The SP accepted a response where %s, and signed in %s: it %s.", what, who, f.Weakness)
		if len(ev.Pages) > 1 {
			v.Diagnosis = fmt.Sprintf("Sign-in %d of %d: %s", i+1, len(ev.Pages), v.Diagnosis)
		}
		return
	}
	v.Status = reports.StatusPass
}

// unrecognised explains a signed-in page whose user the harness could not tell.
func unrecognised(p Page, ev Evidence, i int) string {
	var sent []string
	for _, e := range ev.Events {
		if n := e.Response["NameID"]; n != "" {
			sent = append(sent, fmt.Sprintf("NameID %q (%s)", n, e.Response["NameIDFormat"]))
		}
		if s := e.Response["sub"]; s != "" {
			sent = append(sent, fmt.Sprintf("sub %q", s))
		}
	}
	s := fmt.Sprintf("sign-in %d reached the SP's signed-in page (%s), but the harness could not tell whom it signed in: the page names no directory user by UPN, mail, display name or object ID", i+1, p.URL)
	if len(sent) > 0 {
		s += ", nor what the IdP sent (" + strings.Join(slices.Compact(sent), ", ") + ")"
	}
	return s + ". Set success.identity in the target to a regular expression whose first group captures the signed-in user from the page."
}

// changedText is what the fault changed, in words.
func changedText(f *idp.Fault, ev Evidence) string {
	var changed []string
	for _, e := range ev.Events {
		if e.Fault != nil {
			changed = append(changed, e.Fault.Changed...)
		}
	}
	if what := strings.Join(slices.Compact(changed), "; "); what != "" {
		return what
	}
	return f.Description
}

// mentions reports whether text names the user anywhere (the account a response was merged
// into, for oidc.email.unverified).
func mentions(text, user string) bool {
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '(' || r == ')' || r == ',' }) {
		w = strings.TrimPrefix(strings.TrimPrefix(w, "email:"), "mailto:")
		if strings.EqualFold(strings.Trim(w, ".;:\"'"), user) {
			return true
		}
	}
	return false
}

// judgeLogout passes a sign-out only when its effects are there: the SP's session is gone
// (its protected page asks for sign-in again) and so is the IdP's.
func judgeLogout(f *idp.Fault, ev Evidence, v *Verdict) {
	if len(ev.Pages) == 0 || !ev.Pages[0].SignedIn {
		p := Page{}
		if len(ev.Pages) > 0 {
			p = ev.Pages[0]
		}
		v.Status, v.Diagnosis = reports.StatusError, fmt.Sprintf("the sign-in before the sign-out was refused (%s), so the sign-out could not be tested", p)
		return
	}
	lo := ev.Logout
	if lo == nil {
		v.Status, v.Diagnosis = reports.StatusError, "the sign-out was never started"
		return
	}
	var req, resp *idp.Event
	for i := range ev.Events {
		switch ev.Events[i].Kind {
		case idp.EventLogoutRequest:
			req = &ev.Events[i]
		case idp.EventLogoutResponse:
			resp = &ev.Events[i]
		}
	}
	fail := func(d string) {
		v.Status, v.Diagnosis, v.Fix = reports.StatusFail, d, f.Fix
	}
	switch {
	case req == nil && resp == nil:
		fail(fmt.Sprintf("The SP's sign-out (ended %s) never sent a LogoutRequest to Entra, so Entra's session stays and the next sign-in is silent.", lo.Page))
		v.Fix = "Send a SAML LogoutRequest to Entra's Logout URL (https://login.microsoftonline.com/{tenant}/saml2) on sign-out."
	case req != nil && req.Status != idp.StatusSuccess:
		fail(fmt.Sprintf("Entra refused the SP's LogoutRequest: AADSTS%d: %s", req.ErrorCode, req.FailureReason))
	case lo.After == nil:
		v.Status, v.Diagnosis = reports.StatusError, "the protected page was not opened again after the sign-out, so whether the SP's session ended is unknown"
	case lo.After.SignedIn && !lo.AfterReachedIdP:
		fail(fmt.Sprintf("After the sign-out (which ended %s), the SP's protected page still shows the user signed in (%s) without a new sign-in: the SP kept its session. It %s.", lo.Page, lo.After, f.Weakness))
	case lo.After.SignedIn:
		fail(fmt.Sprintf("After the sign-out (which ended %s), opening the SP signed the user in again from Entra's session without asking for credentials: Entra's session was not ended.", lo.Page))
		v.Fix = "Complete SAML single logout with Entra (LogoutRequest to the Logout URL, then accept Entra's LogoutResponse) so Entra ends its session too."
	default:
		v.Status = reports.StatusPass
	}
}

func statusText(p Page) string {
	s := fmt.Sprintf("HTTP %d", p.Status)
	if l := firstLine(p.Text); l != "" {
		s += ": " + l
	}
	return s
}
