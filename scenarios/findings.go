package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ssoharness/ssoharness/reports"
)

// KindFinding: a finding about the SP drawn from every other check of the run (how it
// refuses, what its requests lack), reported once per run rather than in every check.
const KindFinding = "finding"

// finding is a check judged over the results of the run's other checks.
type finding struct {
	id, protocol, description string
	references                []string
	// expected is what the catalog shows as the expectation: verdictWarnText ("" too) for a
	// finding whose worst verdict is warn, verdictRequired for one that fails.
	expected string
	judge    func(in FindingInput) Verdict
}

// FindingInput is what a finding is judged over: the results of the run's other checks,
// with the evidence they kept, and what the target claims of the SP.
type FindingInput struct {
	// Protocol is the finding's protocol, "SAML" or "OIDC".
	Protocol string
	// Results are the run's other checks.
	Results []reports.Check
	// SignsRequests is the target's claim (or its metadata's AuthnRequestsSigned) that the
	// SP signs its AuthnRequests.
	SignsRequests bool
}

// References of the findings.
const (
	refOWASPErrors  = "OWASP ASVS 4.0 V7.4 (error handling: a generic message, no stack trace or internal detail)"
	refEntraNonce   = "Microsoft identity platform and OpenID Connect: the nonce parameter (\"Required\")"
	refOIDCNonce    = "OpenID Connect Core 1.0 §3.1.2.1 (nonce), §15.5.2 (nonce implementation notes)"
	refPKCE         = "RFC 9700 OAuth 2.0 Security Best Current Practice §2.1.1 (PKCE), RFC 7636"
	refStateCSRF    = "RFC 6749 §10.12 (CSRF: state), RFC 9700 §2.1 and §4.7"
	refEntraPKCE    = "Microsoft identity platform: authorization code flow (code_challenge \"recommended / required for SPAs\")"
	verdictWarnText = "warn"
	// verdictRequired is the expectation of a finding that fails when the SP lacks the
	// behaviour (a MUST of the references, or a request Entra refuses).
	verdictRequired = "required"
)

var findings = []*finding{
	{id: "sp.error-page", protocol: "SAML", references: []string{refOWASPErrors},
		description: "how the SP refuses: error pages with a 5xx status, a stack trace, or the assertion in them (once per run, over every refusal)",
		judge:       judgeErrorPages},
	{id: "sp.error-page", protocol: "OIDC", references: []string{refOWASPErrors},
		description: "how the RP refuses: error pages with a 5xx status, a stack trace, or the token in them (once per run, over every refusal)",
		judge:       judgeErrorPages},
	{id: "oidc.request.nonce", protocol: "OIDC", references: []string{refOIDCNonce, refEntraNonce},
		description: "the RP sends a nonce in its authorization requests (and so can bind the ID token to its session)",
		judge:       requestParam("nonce", "nonce", "Send a fresh, unguessable nonce with every authorization request, keep it in the session, and require the ID token's nonce claim to equal it.")},
	{id: "oidc.request.pkce", protocol: "OIDC", references: []string{refPKCE, refPKCES256, refEntraPKCE},
		description: "the RP sends a PKCE code_challenge with code_challenge_method S256 (not plain) in its authorization requests",
		judge:       judgePKCE},
	{id: "oidc.request.state", protocol: "OIDC", references: []string{refStateCSRF, refStateEntropy},
		description: "the RP sends an unguessable state in its authorization requests, a new one at each sign-in (CSRF protection of the redirect)",
		judge:       judgeState},
}

// JudgeFinding judges a finding of the catalog (sp.error-page, oidc.request.*) over the
// results of a run's other checks, from the evidence they kept. Like Judge, it is pure.
func JudgeFinding(id, protocol string, results []reports.Check) (Verdict, bool) {
	return JudgeFindingInput(id, FindingInput{Protocol: protocol, Results: results})
}

// JudgeFindingInput is JudgeFinding with what the target claims of the SP (the input's
// Protocol selects the finding's protocol). Like Judge, it is pure.
func JudgeFindingInput(id string, in FindingInput) (Verdict, bool) {
	for _, f := range allFindings() {
		if f.id == id && strings.EqualFold(f.protocol, in.Protocol) {
			in.Protocol = f.protocol
			v := f.judge(in)
			if v.Expected == "" {
				v.Expected = f.expectation()
			}
			return v, true
		}
	}
	return Verdict{}, false
}

// allFindings is the catalog's findings: how the SP refuses and what its OIDC requests
// carry (findings), then what its SAML AuthnRequests say (requestFindings).
func allFindings() []*finding { return append(slices.Clone(findings), requestFindings...) }

// expectation is the finding's expected verdict as the catalog shows it.
func (f *finding) expectation() string {
	if f.expected == "" {
		return verdictWarnText
	}
	return f.expected
}

// stackTrace matches what stack traces of common stacks look like in a page's text.
var stackTrace = regexp.MustCompile(`Traceback \(most recent call last\)|\bgoroutine \d+ \[|\bpanic: |Exception in thread|\n\s*at [\w$.]+\([\w.]+\.java:\d+\)|\n\s*at [\w.<>]+\(.*\) in .+:line \d+|\bStack trace:|\.rb:\d+:in |Fatal error: .* on line \d+`)

// leak matches a protocol message echoed into a page.
var leak = regexp.MustCompile(`<(saml2?:|samlp:)?(Assertion|Response)\b[^>]*xmlns|\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.`)

// judgeErrorPages looks at every refusal of the run's fault checks: a refusal is right
// whatever page says it (the fault checks judged that), but a 5xx hides the cause and trips
// alerting, and a stack trace or an echoed assertion leaks the internals.
func judgeErrorPages(in FindingInput) Verdict {
	protocol, results := in.Protocol, in.Results
	var bad, shown []string
	refusals := 0
	for _, c := range results {
		if c.Kind != KindFault || !strings.EqualFold(c.Protocol, protocol) {
			continue
		}
		ev, err := EvidenceOf(c)
		if err != nil || ev == nil {
			continue
		}
		for _, p := range ev.Pages {
			if p.SignedIn {
				continue
			}
			refusals++
			var what []string
			if p.Status >= 500 {
				what = append(what, fmt.Sprintf("HTTP %d", p.Status))
			}
			if stackTrace.MatchString(p.Text) {
				what = append(what, "a stack trace")
			}
			if leak.MatchString(p.Text) {
				what = append(what, "the protocol message itself")
			}
			if len(what) > 0 && !slices.Contains(bad, c.ID) {
				bad = append(bad, c.ID)
				if len(shown) < 4 {
					shown = append(shown, fmt.Sprintf("%s: %s at %s", c.ID, strings.Join(what, ", "), stripQuery(p.URL)))
				}
			}
		}
	}
	v := Verdict{Expected: verdictWarnText}
	switch {
	case refusals == 0:
		v.Status, v.Reason = reports.StatusSkip, "no check of this run saw the SP refuse a response"
	case len(bad) == 0:
		v.Status, v.Observed = reports.StatusPass, fmt.Sprintf("%d refusals, each an error page with a 4xx or 2xx status and no internals", refusals)
	default:
		v.Status = reports.StatusWarn
		v.Observed = fmt.Sprintf("%d of %d refusals: %s", len(bad), refusals, strings.Join(shown, "; "))
		if len(bad) > len(shown) {
			v.Observed += fmt.Sprintf("; and %d more", len(bad)-len(shown))
		}
		v.Diagnosis = fmt.Sprintf("The SP refused every bad response it should have (the checks %s say so), but its error page is a server error or shows internals: a 5xx makes monitoring page someone for every failed sign-in and hides the reason from the user; a stack trace or an echoed assertion helps an attacker. This is reported once for the run; the security checks themselves pass on a refusal whatever its status.",
			strings.Join(bad, ", "))
		v.Fix = "Catch sign-in validation errors and answer with an error page (4xx, e.g. 401 or 403) that says the sign-in failed and how to get help, with a correlation ID; log the cause server-side."
	}
	return v
}
