package scenarios_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// requestsAt is the IdP's clock when the requests of the request-finding tests arrive.
var requestsAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const loginURL = "https://login.example.test/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/saml2"

// sent is a run whose checks each saw one request of kind, with these recorded fields. Each
// request is logged twice (when it arrives and when it is answered), as the IdP does.
func sent(kind idp.EventKind, reqs ...map[string]string) []reports.Check {
	var out []reports.Check
	for i, r := range reqs {
		e := idp.Event{Kind: kind, CorrelationID: fmt.Sprintf("corr-%d", i), Time: requestsAt, Request: r, Binding: idp.BindingRedirect, Status: idp.StatusInterrupted}
		answered := e
		answered.Status, answered.Time = idp.StatusSuccess, requestsAt.Add(3*time.Second)
		ev := scenarios.Evidence{User: judgeUser, Events: []idp.Event{e, answered}}
		out = append(out, reports.Check{ID: "saml.sp.redirect", Kind: scenarios.KindFault, Evidence: scenarios.RecordEvidence(ev)})
	}
	return out
}

// authn is an AuthnRequest as the IdP records it: a good one, with changes.
func authn(i int, change map[string]string) map[string]string {
	r := map[string]string{"ID": fmt.Sprintf("id-%040x", i+1), "Issuer": "https://sp.example.test/saml", "IssueInstant": requestsAt.Add(-time.Second).Format(time.RFC3339),
		"Destination": loginURL, "RequestURL": loginURL, "Signed": "false"}
	for k, v := range change {
		r[k] = v
	}
	return r
}

func TestValidSAMLID(t *testing.T) {
	for id, want := range map[string]bool{
		"id-0123abc": true, "_d2f1": true, "ONELOGIN_4fee": true, "a.b-c_d": true, "é1": true,
		"": false, "1abc": false, "0f8e2a10-5b7c": false, "-a": false, ".a": false, "a b": false, "a:b": false, "a/b": false,
	} {
		if got := scenarios.ValidSAMLID(id); got != want {
			t.Errorf("ValidSAMLID(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestJudgeSAMLRequestFindings: the judgements of the SP's AuthnRequests, each against
// requests that have the behaviour (pass) and that lack it (fail or warn, with the values).
func TestJudgeSAMLRequestFindings(t *testing.T) {
	good := []map[string]string{authn(0, nil), authn(1, nil)}
	for _, tc := range []struct {
		name, id string
		signs    bool
		reqs     []map[string]string
		want     reports.Status
		observed string // a part of Observed (or Reason, for a skip)
	}{
		{"fresh IDs", "saml.request.id", false, good, reports.StatusPass, "2 distinct valid IDs"},
		{"one ID for every sign-in", "saml.request.id", false, []map[string]string{authn(0, map[string]string{"ID": "id-fixed"}), authn(1, map[string]string{"ID": "id-fixed"}), authn(2, nil)}, reports.StatusFail, `"id-fixed" in 2 requests`},
		{"an ID beginning with a digit", "saml.request.id", false, []map[string]string{authn(0, map[string]string{"ID": "3f8e2a10"}), authn(1, nil)}, reports.StatusFail, `"3f8e2a10"`},
		{"an empty ID", "saml.request.id", false, []map[string]string{authn(0, map[string]string{"ID": ""})}, reports.StatusFail, "not a valid xs:ID"},
		{"one sign-in", "saml.request.id", false, good[:1], reports.StatusSkip, "needs two sign-ins"},
		{"no AuthnRequest", "saml.request.id", false, nil, reports.StatusSkip, "no check of this run saw an AuthnRequest"},

		{"Destination is the Login URL", "saml.request.destination", false, good, reports.StatusPass, "each the Login URL"},
		{"host case differs", "saml.request.destination", false, []map[string]string{authn(0, map[string]string{"Destination": strings.Replace(loginURL, "login.example", "LOGIN.example", 1)})}, reports.StatusPass, "each the Login URL"},
		{"no Destination, unsigned", "saml.request.destination", false, []map[string]string{authn(0, map[string]string{"Destination": ""})}, reports.StatusPass, "optional when unsigned"},
		{"another tenant's Login URL", "saml.request.destination", false, []map[string]string{authn(0, map[string]string{"Destination": "https://login.microsoftonline.com/common/saml2"}), authn(1, nil)}, reports.StatusFail, "Destination https://login.microsoftonline.com/common/saml2, sent to " + loginURL},
		{"trailing slash", "saml.request.destination", false, []map[string]string{authn(0, map[string]string{"Destination": loginURL + "/"})}, reports.StatusFail, "1 of 1"},
		{"signed without Destination", "saml.request.destination", true, []map[string]string{authn(0, map[string]string{"Destination": "", "Signed": "true"})}, reports.StatusWarn, "signed AuthnRequests had no Destination"},
		{"no URL recorded", "saml.request.destination", false, []map[string]string{authn(0, map[string]string{"RequestURL": ""})}, reports.StatusSkip, "does not say where"},

		{"fresh IssueInstant", "saml.request.issue-instant", false, good, reports.StatusPass, "within 5m0s"},
		{"4 minutes ahead", "saml.request.issue-instant", false, []map[string]string{authn(0, map[string]string{"IssueInstant": requestsAt.Add(4 * time.Minute).Format(time.RFC3339)})}, reports.StatusPass, "within"},
		{"an hour old", "saml.request.issue-instant", false, []map[string]string{authn(0, map[string]string{"IssueInstant": requestsAt.Add(-time.Hour).Format(time.RFC3339)}), authn(1, nil)}, reports.StatusWarn, "1h0m0s behind the IdP's clock"},
		{"10 minutes ahead", "saml.request.issue-instant", false, []map[string]string{authn(0, map[string]string{"IssueInstant": requestsAt.Add(10 * time.Minute).Format(time.RFC3339Nano)})}, reports.StatusWarn, "10m0s ahead of"},
		{"local time with an offset", "saml.request.issue-instant", false, []map[string]string{authn(0, map[string]string{"IssueInstant": "2026-03-01T13:00:00+01:00"})}, reports.StatusWarn, "not a UTC xs:dateTime"},
		{"no IssueInstant", "saml.request.issue-instant", false, []map[string]string{authn(0, map[string]string{"IssueInstant": ""})}, reports.StatusWarn, "no IssueInstant"},

		{"unsigned, no claim", "saml.request.signed", false, good, reports.StatusPass, "nothing says the SP signs them"},
		{"all signed", "saml.request.signed", true, []map[string]string{authn(0, map[string]string{"Signed": "true"})}, reports.StatusPass, "all 1 AuthnRequests were signed"},
		{"claimed, unsigned", "saml.request.signed", true, good, reports.StatusWarn, "2 of 2 AuthnRequests arrived unsigned (HTTP-Redirect binding), though its metadata says"},
		{"signs some", "saml.request.signed", false, []map[string]string{authn(0, map[string]string{"Signed": "true"}), authn(1, nil)}, reports.StatusWarn, "though it signed 1 of them"},
		{"refused before the app was known", "saml.request.signed", true, []map[string]string{{"ID": "id-1"}}, reports.StatusSkip, "signature"},
	} {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
			v, ok := scenarios.JudgeFindingInput(tc.id, scenarios.FindingInput{Protocol: "SAML", Results: sent(idp.EventAuthnRequest, tc.reqs...), SignsRequests: tc.signs})
			if !ok {
				t.Fatalf("%s is not a finding", tc.id)
			}
			if v.Status != tc.want || !strings.Contains(v.Observed+v.Reason, tc.observed) {
				t.Errorf("%s %q%q, want %s with %q", v.Status, v.Observed, v.Reason, tc.want, tc.observed)
			}
			if (v.Status == reports.StatusFail || v.Status == reports.StatusWarn) && (v.Diagnosis == "" || v.Fix == "") {
				t.Errorf("no diagnosis or fix: %+v", v)
			}
			if v.Expected == "" {
				t.Error("no expectation")
			}
		})
	}
}

// TestJudgeOIDCRequestFindings: PKCE by S256 and an unguessable state, new at each sign-in.
func TestJudgeOIDCRequestFindings(t *testing.T) {
	req := func(i int, change map[string]string) map[string]string {
		r := map[string]string{"client_id": "c", "redirect_uri": "https://rp/cb", "response_type": "code", "nonce": "n",
			"state": fmt.Sprintf("Yx3kq9VbT2mW8rL0pZ4nHc7sJf1dGe6%d", i), "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}
		for k, v := range change {
			if v == "-" {
				delete(r, k)
			} else {
				r[k] = v
			}
		}
		return r
	}
	for _, tc := range []struct {
		name, id string
		reqs     []map[string]string
		want     reports.Status
		observed string
	}{
		{"S256", "oidc.request.pkce", []map[string]string{req(0, nil), req(1, nil)}, reports.StatusPass, "by S256"},
		{"plain", "oidc.request.pkce", []map[string]string{req(0, map[string]string{"code_challenge_method": "plain"}), req(1, nil)}, reports.StatusWarn, "1 of 2 authorization requests sent the PKCE challenge with code_challenge_method plain"},
		{"no method (plain)", "oidc.request.pkce", []map[string]string{req(0, map[string]string{"code_challenge_method": "-"})}, reports.StatusWarn, "none given, so plain"},
		{"no PKCE", "oidc.request.pkce", []map[string]string{req(0, map[string]string{"code_challenge": "-", "code_challenge_method": "-"})}, reports.StatusWarn, "had no code_challenge"},

		{"random states", "oidc.request.state", []map[string]string{req(0, nil), req(1, nil), req(2, nil)}, reports.StatusPass, "3 distinct states"},
		{"one sign-in", "oidc.request.state", []map[string]string{req(0, nil)}, reports.StatusPass, "one sign-in"},
		{"a constant state", "oidc.request.state", []map[string]string{req(0, map[string]string{"state": "Yx3kq9VbT2mW8rL0pZ4nHc7sJf1dGe6Q"}), req(1, map[string]string{"state": "Yx3kq9VbT2mW8rL0pZ4nHc7sJf1dGe6Q"})}, reports.StatusWarn, "2 of 2 reused a state"},
		{"a short state", "oidc.request.state", []map[string]string{req(0, map[string]string{"state": "12345678"}), req(1, nil)}, reports.StatusWarn, `"12345678" (about 27 bits)`},
		{"16 hex digits", "oidc.request.state", []map[string]string{req(0, map[string]string{"state": "0123456789abcdef"})}, reports.StatusWarn, "about 64 bits"},
		{"32 hex digits", "oidc.request.state", []map[string]string{req(0, map[string]string{"state": "0123456789abcdef0123456789abcdef"})}, reports.StatusPass, "128 bits"},
		{"no state", "oidc.request.state", []map[string]string{req(0, map[string]string{"state": "-"})}, reports.StatusWarn, "had no state"},

		{"code by query", "oidc.request.response-mode", []map[string]string{req(0, map[string]string{"response_mode": "query"}), req(1, nil)}, reports.StatusPass, "none asking for tokens"},
		{"hybrid by form_post", "oidc.request.response-mode", []map[string]string{req(0, map[string]string{"response_type": "code id_token", "response_mode": "form_post"})}, reports.StatusPass, "none asking"},
		{"hybrid, default mode (fragment)", "oidc.request.response-mode", []map[string]string{req(0, map[string]string{"response_type": "code id_token"})}, reports.StatusPass, "none asking"},
		{"ID token in the query", "oidc.request.response-mode", []map[string]string{req(0, map[string]string{"response_type": "code id_token", "response_mode": "query"}), req(1, nil)}, reports.StatusFail, "response_type=code+id_token response_mode=query"},
		{"implicit ID token in the query", "oidc.request.response-mode", []map[string]string{req(0, map[string]string{"response_type": "id_token", "response_mode": "query"})}, reports.StatusFail, "tokens in the query"},
		{"implicit access token", "oidc.request.response-mode", []map[string]string{req(0, map[string]string{"response_type": "id_token token", "response_mode": "fragment"})}, reports.StatusWarn, "access token from the authorize endpoint: response_type=id_token+token"},
	} {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
			v, ok := scenarios.JudgeFindingInput(tc.id, scenarios.FindingInput{Protocol: "OIDC", Results: sent(idp.EventAuthorize, tc.reqs...)})
			if !ok {
				t.Fatalf("%s is not a finding", tc.id)
			}
			if v.Status != tc.want || !strings.Contains(v.Observed+v.Reason, tc.observed) {
				t.Errorf("%s %q%q, want %s with %q", v.Status, v.Observed, v.Reason, tc.want, tc.observed)
			}
			if (v.Status == reports.StatusWarn || v.Status == reports.StatusFail) && (v.Diagnosis == "" || v.Fix == "") {
				t.Errorf("no diagnosis or fix: %+v", v)
			}
		})
	}
}
