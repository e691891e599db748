package scenarios_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

const (
	judgeUser   = "B.Simon@contoso.com"
	judgeVictim = "AlexW@contoso.com"
)

// delivered is the IdP's log of a check whose fault reached every sign-in, with requests
// that meet every premise of the fault.
func delivered(f idp.Fault) []idp.Event {
	var evs []idp.Event
	steps := max(f.SignIns, 1)
	if f.Flow == idp.FlowReplay || f.Flow == idp.FlowLogout {
		steps = 1
	}
	for i := range steps {
		if f.Protocol == idp.ProtocolSAML {
			binding := idp.BindingRedirect
			if slices.Contains(f.Requires, idp.RequiresPOSTBinding) || f.ID == "saml.sp.post" {
				binding = idp.BindingPOST
			}
			evs = append(evs, idp.Event{Kind: idp.EventAuthnRequest, Binding: binding, Status: idp.StatusSuccess, UserPrincipalName: judgeUser,
				Fault: &idp.MintedFault{ID: f.ID, Step: i, Changed: []string{"what " + string(f.ID) + " changes"}}})
			continue
		}
		req := map[string]string{"nonce": "n", "state": "s", "code_challenge": "c", "response_mode": "form_post", "response_type": "code"}
		if slices.Contains(f.Requires, idp.RequiresHybrid) {
			req["response_type"] = "code id_token"
		}
		if slices.Contains(f.Requires, idp.RequiresHybridToken) {
			req["response_type"] = "code id_token token"
		}
		evs = append(evs,
			idp.Event{Kind: idp.EventAuthorize, Status: idp.StatusSuccess, Request: req,
				Fault: &idp.MintedFault{ID: f.ID, Step: i}},
			idp.Event{Kind: idp.EventToken, Binding: "client_secret_basic", Status: idp.StatusSuccess},
			idp.Event{Kind: idp.EventUserInfo, Binding: map[bool]string{true: "POST", false: "GET"}[slices.Contains(f.Requires, idp.RequiresUserInfoPOST)], Status: idp.StatusSuccess})
	}
	return evs
}

// shape is one way a check can end.
type shape struct {
	name  string
	pages func(n int) []scenarios.Page
}

func pages(n int, p scenarios.Page) []scenarios.Page {
	out := make([]scenarios.Page, n)
	for i := range out {
		out[i] = p
	}
	return out
}

var shapes = []shape{
	{"refused 403", func(n int) []scenarios.Page { return pages(n, scenarios.Page{URL: "https://sp/acs", Status: 403}) }},
	{"refused 500", func(n int) []scenarios.Page { return pages(n, scenarios.Page{URL: "https://sp/acs", Status: 500}) }},
	{"refused 200", func(n int) []scenarios.Page {
		return pages(n, scenarios.Page{URL: "https://sp/error", Status: 200})
	}},
	{"signed in as the user", func(n int) []scenarios.Page {
		return pages(n, scenarios.Page{URL: "https://sp/", Status: 200, SignedIn: true, Identity: judgeUser, How: "UPN"})
	}},
	{"signed in as another user", func(n int) []scenarios.Page {
		return pages(n, scenarios.Page{URL: "https://sp/", Status: 200, SignedIn: true, Identity: judgeVictim, Text: "Signed in as " + judgeVictim, How: "UPN"})
	}},
	{"second sign-in only accepted", func(n int) []scenarios.Page {
		p := pages(n, scenarios.Page{URL: "https://sp/acs", Status: 403})
		p[n-1] = scenarios.Page{URL: "https://sp/", Status: 200, SignedIn: true, Identity: judgeVictim, How: "UPN"}
		return p
	}},
}

// want is the verdict the catalog's expectation gives a shape: the rule in words, written
// independently of Judge.
func want(f idp.Fault, s string, tls bool) reports.Status {
	exp := f.Expect.Expected()
	signedInUser := s == "signed in as the user"
	refused := s == "refused 403" || s == "refused 500" || s == "refused 200"
	otherSignedIn := s == "signed in as another user" || (s == "second sign-in only accepted")
	switch exp {
	case idp.VerdictAccept:
		if signedInUser {
			return reports.StatusPass
		}
		return reports.StatusFail
	case idp.VerdictCompatible:
		switch {
		case signedInUser:
			return reports.StatusPass
		case refused:
			return reports.StatusWarn
		case s == "second sign-in only accepted":
			return reports.StatusWarn // the first was refused
		}
		return reports.StatusFail
	case idp.VerdictWarn:
		if refused {
			return reports.StatusPass
		}
		return reports.StatusWarn
	}
	if f.Expect.VictimFirst {
		// Every shape repeats one page: the victim's own first sign-in succeeded only when
		// it is the user's, and then the second (the same) took the victim's account.
		if signedInUser {
			return reports.StatusFail
		}
		return reports.StatusError // TestJudgeVictimFirst has the shapes that can pass
	}
	if refused && f.Expect.ErrorPage && s == "refused 500" {
		return reports.StatusFail // an error response Entra sends the user must read on a page, not a 500
	}
	if refused {
		return reports.StatusPass // a refusal is a refusal, whatever its status
	}
	if signedInUser && (f.Expect.OrSignedIdentity || (f.Expect.AcceptOverTLS && tls)) {
		return reports.StatusPass
	}
	if otherSignedIn && f.Expect.OrOtherAccount {
		return reports.StatusPass // the foreign account's own, not the victim's (the user's)
	}
	return reports.StatusFail
}

// TestJudgeCatalog judges every fault of the catalog against every way a check can end,
// without a browser.
func TestJudgeCatalog(t *testing.T) {
	for _, f := range idp.Faults() {
		if f.Flow == idp.FlowLogout {
			continue // TestJudgeLogout
		}
		n := max(f.SignIns, 1)
		if f.Flow == idp.FlowReplay {
			n = 1
		}
		for _, s := range shapes {
			if s.name == "second sign-in only accepted" && n < 2 {
				continue
			}
			for _, tls := range []bool{false, true} {
				ev := scenarios.Evidence{User: judgeUser, Pages: s.pages(n), Events: delivered(f), IdPTLS: tls}
				got := scenarios.Judge(&f, ev, nil)
				if w := want(f, s.name, tls); got.Status != w {
					t.Errorf("%s, %s (tls %v): %s, want %s (%s)", f.ID, s.name, tls, got.Status, w, got.Diagnosis)
				}
				if (got.Status == reports.StatusFail || got.Status == reports.StatusWarn) && (got.Diagnosis == "" || got.Fix == "") {
					t.Errorf("%s, %s: %s without a diagnosis and a fix", f.ID, s.name, got.Status)
				}
			}
		}
	}
}

// TestJudgeNeverPassesUnfinished: an IdP refusal, a step not taken and a fault never
// delivered are errors, never passes.
func TestJudgeNeverPassesUnfinished(t *testing.T) {
	for _, f := range idp.Faults() {
		signedIn := scenarios.Page{URL: "https://sp/", SignedIn: true, Identity: judgeUser}
		n := max(f.SignIns, 1)
		cases := map[string]scenarios.Evidence{
			"idp refused": {User: judgeUser, Pages: pages(1, scenarios.Page{URL: "https://login/x", Status: 200}),
				Events: []idp.Event{{Kind: idp.EventAuthnRequest, Status: idp.StatusFailure, ErrorCode: 50011, FailureReason: "reply URL"}}},
			"stopped":       {User: judgeUser, Stopped: "open https://sp: connection refused", Events: delivered(f)},
			"not delivered": {User: judgeUser, Pages: pages(n, signedIn)},
		}
		if n > 1 && f.Flow != idp.FlowReplay {
			cases["second sign-in never reached the IdP"] = scenarios.Evidence{User: judgeUser, Pages: pages(n, signedIn), Events: delivered(f)[:len(delivered(f))/n]}
		}
		for name, ev := range cases {
			if got := scenarios.Judge(&f, ev, nil); got.Status != reports.StatusError {
				t.Errorf("%s, %s: %s, want error (%s)", f.ID, name, got.Status, got.Reason)
			}
		}
	}
}

// TestJudgePremise: what the RP did not send makes the checks that need it skips.
func TestJudgePremise(t *testing.T) {
	for _, tc := range []struct {
		id   idp.FaultID
		edit func(evs []idp.Event)
	}{
		{"oidc.nonce.wrong", func(evs []idp.Event) { delete(evs[0].Request, "nonce") }},
		{"oidc.nonce.missing", func(evs []idp.Event) { delete(evs[0].Request, "nonce") }},
		{"oidc.state.wrong", func(evs []idp.Event) { delete(evs[0].Request, "state") }},
		{"oidc.userinfo.wrong-sub", func(evs []idp.Event) { evs[2].Kind = idp.EventKeys }},
	} {
		f, ok := idp.LookupFault(tc.id)
		if !ok {
			t.Fatalf("no fault %s", tc.id)
		}
		evs := delivered(f)
		for i := range evs {
			if evs[i].Request != nil {
				evs[i].Request = map[string]string{"nonce": "n", "state": "s", "code_challenge": "c", "response_mode": "form_post"}
			}
		}
		tc.edit(evs)
		got := scenarios.Judge(&f, scenarios.Evidence{User: judgeUser, Pages: pages(1, scenarios.Page{SignedIn: true, Identity: judgeUser}), Events: evs}, nil)
		if got.Status != reports.StatusSkip || got.Reason == "" {
			t.Errorf("%s: %s (%q), want a skip with the reason", tc.id, got.Status, got.Reason)
		}
	}
}

// TestJudgeLogout: a sign-out passes only when the SP's session and the IdP's are gone.
func TestJudgeLogout(t *testing.T) {
	f, _ := idp.LookupFault("saml.slo")
	in := scenarios.Page{URL: "https://sp/", SignedIn: true, Identity: judgeUser}
	out := scenarios.Page{URL: "https://login/saml2", Status: 200}
	evs := append(delivered(f), idp.Event{Kind: idp.EventLogoutRequest, Status: idp.StatusSuccess})
	for _, tc := range []struct {
		name string
		ev   scenarios.Evidence
		want reports.Status
	}{
		{"signed out at both", scenarios.Evidence{User: judgeUser, Pages: []scenarios.Page{in}, Events: evs,
			Logout: &scenarios.Logout{Page: scenarios.Page{URL: "https://sp/bye", Status: 200}, After: &out, AfterReachedIdP: true}}, reports.StatusPass},
		{"error page with 200, session kept", scenarios.Evidence{User: judgeUser, Pages: []scenarios.Page{in}, Events: evs,
			Logout: &scenarios.Logout{Page: scenarios.Page{URL: "https://sp/slo", Status: 200, Text: "Logout failed"}, After: &in}}, reports.StatusFail},
		{"no LogoutRequest", scenarios.Evidence{User: judgeUser, Pages: []scenarios.Page{in}, Events: delivered(f),
			Logout: &scenarios.Logout{Page: scenarios.Page{URL: "https://sp/bye"}, After: &out}}, reports.StatusFail},
		{"IdP session kept", scenarios.Evidence{User: judgeUser, Pages: []scenarios.Page{in}, Events: evs,
			Logout: &scenarios.Logout{Page: scenarios.Page{URL: "https://sp/bye"}, After: &in, AfterReachedIdP: true}}, reports.StatusFail},
		{"sign-in refused first", scenarios.Evidence{User: judgeUser, Pages: []scenarios.Page{out}, Events: delivered(f)}, reports.StatusError},
	} {
		if got := scenarios.Judge(&f, tc.ev, nil); got.Status != tc.want {
			t.Errorf("%s: %s, want %s (%s)", tc.name, got.Status, tc.want, got.Diagnosis)
		}
	}
}

// TestJudgeOverride: a target's override changes the expectation and says so.
func TestJudgeOverride(t *testing.T) {
	f, _ := idp.LookupFault("saml.audience.missing")
	ev := scenarios.Evidence{User: judgeUser, Pages: pages(1, scenarios.Page{SignedIn: true, Identity: judgeUser}), Events: delivered(f)}
	got := scenarios.Judge(&f, ev, &scenarios.Override{Check: "saml.audience.*", Expect: "warn", Reason: "the SP's docs say so"})
	if got.Status != reports.StatusWaived || got.Reason == "" {
		t.Errorf("override: %s %q, want waived with the reason", got.Status, got.Reason)
	}
}

// TestJudgeErrorPages: the error-page finding fires once, with the evidence, when refusals
// are answered with 500, and not otherwise.
func TestJudgeErrorPages(t *testing.T) {
	mk := func(status int, text string) []reports.Check {
		var out []reports.Check
		for _, id := range []string{"saml.sig.none", "saml.audience.wrong", "saml.issuer.wrong"} {
			f, _ := idp.LookupFault(idp.FaultID(id))
			ev := scenarios.Evidence{User: judgeUser, Pages: pages(1, scenarios.Page{URL: "https://sp/acs", Status: status, Text: text}), Events: delivered(f)}
			c := reports.Check{ID: id, Protocol: "SAML", Kind: scenarios.KindFault}
			c.Evidence = scenarios.RecordEvidence(ev)
			out = append(out, c)
		}
		return out
	}
	for _, tc := range []struct {
		status int
		text   string
		want   reports.Status
	}{
		{500, "Internal Server Error", reports.StatusWarn},
		{403, "Sign-in failed", reports.StatusPass},
		{200, "Traceback (most recent call last):\n  File x", reports.StatusWarn},
	} {
		v, ok := scenarios.JudgeFinding("sp.error-page", "SAML", mk(tc.status, tc.text))
		if !ok || v.Status != tc.want {
			t.Errorf("%d %q: %s, want %s", tc.status, tc.text, v.Status, tc.want)
		}
		if tc.want == reports.StatusWarn && (v.Observed == "" || v.Fix == "") {
			t.Errorf("%d: the finding has no evidence or fix: %+v", tc.status, v)
		}
	}
	if v, _ := scenarios.JudgeFinding("sp.error-page", "SAML", nil); v.Status != reports.StatusSkip {
		t.Errorf("no refusals: %s, want skip", v.Status)
	}
}

// TestRemediesNameCatalogChecks: every check idp's AADSTS table points an IdP refusal to is
// a misconfiguration check of the catalog.
func TestRemediesNameCatalogChecks(t *testing.T) {
	checks := map[string]bool{}
	for _, c := range scenarios.Catalog() {
		checks[c.ID] = true
	}
	for _, e := range []*idp.Error{idp.ErrReplyURLMismatch, idp.ErrAppNotFound, idp.ErrUserNotAssigned, idp.ErrInvalidClientSecret,
		idp.ErrExpiredClientSecret, idp.ErrSPANeedsPKCE, idp.ErrCrossOriginNotSPA, idp.ErrSPANotCrossOrigin, idp.ErrPKCEMismatch,
		idp.ErrNameIDPolicy, idp.ErrAuthnContext, idp.ErrNotMultiTenant, idp.ErrSAMLDestination, idp.ErrSAMLInvalidID} {
		r, ok := idp.LookupError(e.Code)
		if !ok || !checks[r.Check] || r.Fix == "" {
			t.Errorf("AADSTS%d: remedy %+v (ok %v): want a catalog check and a fix", e.Code, r, ok)
		}
	}
}

// TestJudgeRequestFindings: an RP whose authorization requests lack a nonce, PKCE or a state
// gets one warning for the run, with the count; one that sends them passes.
func TestJudgeRequestFindings(t *testing.T) {
	f, _ := idp.LookupFault("oidc.code.query")
	mk := func(params map[string]string) []reports.Check {
		var out []reports.Check
		for i := range 3 {
			req := maps.Clone(params)
			if req["state"] != "" {
				req["state"] += fmt.Sprint(i) // a new state per sign-in
			}
			ev := scenarios.Evidence{User: judgeUser, Pages: pages(1, scenarios.Page{SignedIn: true, Identity: judgeUser}),
				Events: []idp.Event{{Kind: idp.EventAuthorize, Status: idp.StatusSuccess, Request: req, Fault: &idp.MintedFault{ID: f.ID}}}}
			out = append(out, reports.Check{ID: string(f.ID), Protocol: "OIDC", Kind: scenarios.KindFault, Evidence: scenarios.RecordEvidence(ev)})
		}
		return out
	}
	all := map[string]string{"nonce": "n", "state": "Yx3kq9VbT2mW8rL0pZ4nHc7sJf1dGe6", "code_challenge": "c", "code_challenge_method": "S256", "redirect_uri": "https://rp/cb"}
	none := map[string]string{"redirect_uri": "https://rp/cb"}
	for _, id := range []string{"oidc.request.nonce", "oidc.request.pkce", "oidc.request.state"} {
		if v, ok := scenarios.JudgeFinding(id, "OIDC", mk(all)); !ok || v.Status != reports.StatusPass {
			t.Errorf("%s with every parameter: %s (ok %v)", id, v.Status, ok)
		}
		v, _ := scenarios.JudgeFinding(id, "OIDC", mk(none))
		if v.Status != reports.StatusWarn || v.Fix == "" || !strings.Contains(v.Observed, "3 of 3") {
			t.Errorf("%s without it: %s %q", id, v.Status, v.Observed)
		}
	}
}

// TestJudgeVictimFirst judges the nOAuth checks, whose first sign-in is the victim's own:
// the verdict is on the second, and a first sign-in that is not the victim's is an error.
func TestJudgeVictimFirst(t *testing.T) {
	victim := scenarios.Page{URL: "https://sp/", Status: 200, SignedIn: true, Identity: judgeUser, Text: "Signed in as " + judgeUser, How: "UPN"}
	refused := scenarios.Page{URL: "https://sp/acs", Status: 403}
	other := scenarios.Page{URL: "https://sp/", Status: 200, SignedIn: true, Shown: "mallory@fabrikam.example", Text: "Signed in as mallory@fabrikam.example\nAccount: tid/oid"}
	merged := scenarios.Page{URL: "https://sp/", Status: 200, SignedIn: true, Shown: "mallory@fabrikam.example",
		Text: "Signed in as mallory@fabrikam.example\nAccount: email:" + judgeUser}
	n := 0
	for _, f := range idp.Faults() {
		if !f.Expect.VictimFirst {
			continue
		}
		n++
		for _, c := range []struct {
			name  string
			pages []scenarios.Page
			want  reports.Status
		}{
			{"victim, then refused", []scenarios.Page{victim, refused}, reports.StatusPass},
			{"victim, then the other account", []scenarios.Page{victim, other}, reports.StatusPass},
			{"victim, then merged into the victim's account", []scenarios.Page{victim, merged}, reports.StatusFail},
			{"victim, then the victim", []scenarios.Page{victim, victim}, reports.StatusFail},
			{"victim refused", []scenarios.Page{refused, refused}, reports.StatusError},
		} {
			got := scenarios.Judge(&f, scenarios.Evidence{User: judgeUser, Pages: c.pages, Events: delivered(f)}, nil)
			if got.Status != c.want {
				t.Errorf("%s, %s: %s, want %s (%s)", f.ID, c.name, got.Status, c.want, got.Diagnosis)
			}
		}
	}
	if n == 0 {
		t.Error("no catalog fault has VictimFirst")
	}
}

// TestJudgeHybridPremise: a hybrid check against an RP that asked for the code flow skips,
// saying so, whatever the RP did with the (unchanged) code-flow response.
func TestJudgeHybridPremise(t *testing.T) {
	f, ok := idp.LookupFault("oidc.hybrid.c_hash")
	if !ok {
		t.Fatal("no oidc.hybrid.c_hash")
	}
	evs := delivered(f)
	evs[0].Request = map[string]string{"nonce": "n", "state": "s", "response_type": "code"}
	signedIn := scenarios.Page{URL: "https://sp/", Status: 200, SignedIn: true, Identity: judgeUser, How: "UPN"}
	got := scenarios.Judge(&f, scenarios.Evidence{User: judgeUser, Pages: []scenarios.Page{signedIn}, Events: evs}, nil)
	if got.Status != reports.StatusSkip || !strings.Contains(got.Reason, "code id_token") {
		t.Errorf("code flow: %s (%s), want skip naming the hybrid response type", got.Status, got.Reason)
	}
}
