package scenarios

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// The request findings judge what the SP itself sends to the IdP, from the requests the mock
// IdP recorded during the run's other checks: its SAML AuthnRequests (saml.request.*) and
// its OIDC authorization requests (oidc.request.*). The values that Entra's own
// configuration decides are not repeated here: the ACS URL is config.redirect-uri's, the
// Issuer config.identifier's, NameIDPolicy config.nameid's and RequestedAuthnContext
// config.authn-context's.

// References of the request findings.
const (
	refSAMLID          = "SAML 2.0 core §1.3.4 (identifiers: unique, collision probability ≤ 2^-128), §3.2.1 (ID is xs:ID); XML Schema xs:ID / NCName (not starting with a digit)"
	refSAMLDestination = "SAML 2.0 core §3.2.1 (Destination: the recipient MUST discard a request sent elsewhere); SAML 2.0 bindings §3.4.5.2, §3.5.5.2 (signed requests MUST carry Destination)"
	refSAMLInstant     = "SAML 2.0 core §1.3.3 (UTC time), §3.2.1 (IssueInstant, required)"
	refSAMLSigned      = "SAML 2.0 metadata §2.4.4 (AuthnRequestsSigned: the SP's requests will be signed); SAML 2.0 bindings §3.4.4.1 (Redirect signature), §3.5.4 (POST signature)"
	refCapProvider     = "hashicorp/cap saml/test/provider.go (validateRequest: ID starts with a letter or underscore, Destination is the IdP's SSO location, Version, Issuer, ProtocolBinding, ACS URL)"
	refEntraReqVerify  = "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/howto-enforce-signed-saml-authentication (\"Require verification certificates\": Entra then refuses unsigned AuthnRequests)"
	refPKCES256        = "RFC 7636 §4.2 and §7.2 (S256; plain only when S256 cannot be done), RFC 9700 §2.1.1 (challenge methods that do not expose the verifier: S256)"
	refResponseMode    = "OAuth 2.0 Multiple Response Type Encoding Practices §2.1 (responses whose default mode is fragment are never encoded in the query), §5; RFC 9700 §2.1.2 (no access tokens in the authorization response: implicit grant SHOULD NOT be used)"
	refStateEntropy    = "RFC 6749 §10.10 (guessing probability ≤ 2^-128) and §10.12 (non-guessable binding value); RFC 9700 §4.7.1 (one-time use CSRF tokens)"
)

// References that name an AADSTS code, from idp's one table.
var (
	refEntraSAMLReq  = "https://learn.microsoft.com/en-us/entra/identity-platform/single-sign-on-saml-protocol (AuthnRequest: ID \"must not begin with a number\", IssueInstant a UTC DateTime Entra \"doesn't evaluate or use\"; the page says Destination is ignored, but Entra refuses a wrong one: " + idp.ErrSAMLDestination.Name() + ", MicrosoftDocs/entra-docs#679)"
	refEntraRespMode = "https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow (response_mode query \"is not supported when requesting an ID token\"; Entra answers " + idp.ErrUnsupportedRespMode.Name() + ")"
)

// requestSkew is how far an AuthnRequest's IssueInstant may be from the IdP's clock: the
// 5 minutes SAML deployments commonly allow (the skew most IdPs and SPs default to).
const requestSkew = 5 * time.Minute

// minStateBits is the least estimated entropy of an unguessable state: RFC 6749 §10.10's
// 2^-128 guessing probability.
const minStateBits = 128

// requestFindings are the findings on the SP's SAML AuthnRequests and the OIDC ones that
// findings.go does not hold.
var requestFindings = []*finding{
	{id: "oidc.request.response-mode", protocol: "OIDC", expected: verdictRequired, references: []string{refResponseMode, refEntraRespMode},
		description: "no tokens in the query: the RP never asks for an id_token or token with response_mode=query, and asks for no access token from the authorize endpoint (implicit)",
		judge:       judgeResponseMode},
	{id: "saml.request.id", protocol: "SAML", expected: verdictRequired, references: []string{refSAMLID, refCapProvider, refEntraSAMLReq},
		description: "each AuthnRequest has a fresh, unique ID (two sign-ins never share one) that is a valid xs:ID (not starting with a digit)",
		judge:       judgeRequestID},
	{id: "saml.request.destination", protocol: "SAML", expected: verdictRequired, references: []string{refSAMLDestination, refCapProvider, refEntraSAMLReq},
		description: "the AuthnRequest's Destination, when present (required when signed), is the Login URL it was sent to (Entra refuses a mismatch with " + idp.ErrSAMLDestination.Name() + ")",
		judge:       judgeRequestDestination},
	{id: "saml.request.issue-instant", protocol: "SAML", references: []string{refSAMLInstant, refCapProvider, refEntraSAMLReq},
		description: "the AuthnRequest's IssueInstant is a UTC time within 5 minutes of the IdP's clock (a fresh request, an SP clock that is right)",
		judge:       judgeRequestInstant},
	{id: "saml.request.signed", protocol: "SAML", references: []string{refSAMLSigned, refEntraReqVerify},
		description: "an SP that says it signs its AuthnRequests (metadata AuthnRequestsSigned=\"true\", target signsRequests, or some signed requests) signs every one",
		judge:       judgeRequestSigned},
}

// sentRequest is one request of the SP as the IdP recorded it, first event of its sign-in.
type sentRequest struct {
	ev idp.Event
}

// sentRequests are the SP's requests of one kind over the run's checks, one per sign-in:
// the IdP logs a request again when it answers it (same correlation ID), and the first entry
// is the one closest to when it arrived.
func sentRequests(in FindingInput, kind idp.EventKind, field string) []sentRequest {
	var out []sentRequest
	seen := map[string]bool{}
	for _, c := range in.Results {
		ev, err := EvidenceOf(c)
		if err != nil || ev == nil {
			continue
		}
		for _, e := range ev.Events {
			if e.Kind != kind || e.Request == nil {
				continue
			}
			if _, ok := e.Request[field]; field != "" && !ok {
				continue // refused before the message was read
			}
			key := e.CorrelationID
			if key == "" {
				key = e.ID
			}
			if key != "" && seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, sentRequest{ev: e})
		}
	}
	return out
}

// noRequests is the skip verdict of a request finding that saw no request.
func noRequests(what, only string) Verdict {
	return Verdict{Status: reports.StatusSkip, Reason: fmt.Sprintf("no check of this run saw %s from the SP; run the finding with sign-in checks, e.g. --only '%s'", what, only)}
}

// ValidSAMLID reports whether id is a valid xs:ID (an NCName): a letter or underscore, then
// letters, digits, '.', '-' and '_'. Entra refuses an AuthnRequest whose ID begins with a
// digit.
func ValidSAMLID(id string) bool {
	for i, r := range id {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || r == '.' || r == '-' || unicode.Is(unicode.Mn, r)):
		default:
			return false
		}
	}
	return id != ""
}

// judgeRequestID: every AuthnRequest of the run carries a valid ID no other one carried.
func judgeRequestID(in FindingInput) Verdict {
	reqs := sentRequests(in, idp.EventAuthnRequest, "ID")
	if len(reqs) == 0 {
		return noRequests("an AuthnRequest", "saml.sp.*,saml.request.*")
	}
	v := Verdict{}
	count := map[string]int{}
	var invalid []string
	refused := 0
	for _, r := range reqs {
		id := r.ev.Request["ID"]
		count[id]++
		if !ValidSAMLID(id) {
			invalid = append(invalid, fmt.Sprintf("%q", trunc(id, 40)))
			if r.ev.ErrorCode != 0 {
				refused++
			}
		}
	}
	var repeated []string
	reused := 0
	for id, n := range count {
		if n > 1 {
			repeated = append(repeated, fmt.Sprintf("%q in %d requests", trunc(id, 40), n))
			reused += n
		}
	}
	slices.Sort(repeated)
	switch {
	case len(invalid) > 0:
		v.Status = reports.StatusFail
		v.Observed = fmt.Sprintf("%d of %d AuthnRequests had an ID that is not a valid xs:ID: %s", len(invalid), len(reqs), strings.Join(first(slices.Compact(invalid), 3), ", "))
		v.Diagnosis = "An AuthnRequest's ID is an xs:ID, an XML name: it must begin with a letter or an underscore, never a digit, and be non-empty (SAML core §3.2.1). Entra refuses such a request (\"The ID must not begin with a number\") before the user signs in"
		if refused > 0 {
			v.Diagnosis += fmt.Sprintf(", as the IdP did here %d times", refused)
		}
		v.Diagnosis += "."
		v.Fix = "Generate the request ID as a prefix and random bytes, e.g. \"_\" or \"id-\" followed by 20 random bytes in hex (what crewjam/saml, ITfoxtec and Sustainsys do); never a bare GUID or a number."
	case reused > 0:
		v.Status = reports.StatusFail
		v.Observed = fmt.Sprintf("%d of %d AuthnRequests reused an ID: %s", reused, len(reqs), strings.Join(first(repeated, 3), "; "))
		v.Diagnosis = "Different sign-ins sent the same AuthnRequest ID. SAML identifiers must be unique (SAML core §1.3.4: a collision probability of at most 2^-128), and the ID is what binds Entra's Response to the sign-in that asked for it (InResponseTo): with one ID for every sign-in, a Response issued for another browser, captured or replayed, matches this browser's request too, so the SP's InResponseTo check protects nothing."
		v.Fix = "Create a new random ID for every AuthnRequest (do not build the request once and reuse it, or cache the serialized request), keep it with this browser's sign-in state, and accept only a Response whose InResponseTo is that ID."
	case len(reqs) == 1:
		v.Status, v.Reason = reports.StatusSkip, fmt.Sprintf("only one AuthnRequest in this run (ID %q, valid): whether the SP makes a new ID per sign-in needs two sign-ins", trunc(reqs[0].ev.Request["ID"], 40))
	default:
		v.Status, v.Observed = reports.StatusPass, fmt.Sprintf("%d AuthnRequests, %d distinct valid IDs", len(reqs), len(count))
	}
	return v
}

// sameURL compares two absolute URLs as a SAML recipient does: exactly, except for the case
// of the scheme and host.
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) && ua.EscapedPath() == ub.EscapedPath() && ua.RawQuery == ub.RawQuery
}

// judgeRequestDestination: a Destination, when present, is the URL the request reached; a
// signed request has one.
func judgeRequestDestination(in FindingInput) Verdict {
	reqs := sentRequests(in, idp.EventAuthnRequest, "ID")
	if len(reqs) == 0 {
		return noRequests("an AuthnRequest", "saml.sp.*,saml.request.*")
	}
	var wrong, signedNoDest []string
	with, judged := 0, 0
	for _, r := range reqs {
		d, at := r.ev.Request["Destination"], r.ev.Request["RequestURL"]
		if at == "" {
			continue // recorded by an IdP that did not keep the URL
		}
		judged++
		switch {
		case d == "" && r.ev.Request["Signed"] == "true":
			signedNoDest = append(signedNoDest, at)
		case d == "":
		case !sameURL(d, at):
			with++
			wrong = append(wrong, fmt.Sprintf("Destination %s, sent to %s", trunc(d, 120), at))
		default:
			with++
		}
	}
	v := Verdict{}
	switch {
	case judged == 0:
		v.Status, v.Reason = reports.StatusSkip, "the IdP's log does not say where the AuthnRequests arrived"
	case len(wrong) > 0:
		v.Status = reports.StatusFail
		v.Observed = fmt.Sprintf("%d of %d AuthnRequests named another Destination than the Login URL they were sent to: %s", len(wrong), judged, strings.Join(first(slices.Compact(wrong), 2), "; "))
		v.Diagnosis = "The AuthnRequest's Destination says it is meant for another endpoint than the one the SP sent it to. The recipient MUST discard such a request (SAML core §3.2.1), and Entra does: " + idp.ErrSAMLDestination.Name() + " \"Received SAML request with an unexpected destination\" (the protocol page says Destination is ignored; Microsoft support confirmed the check, MicrosoftDocs/entra-docs#679). The SP's IdP settings disagree with themselves: it sends to one Login URL and writes another (an old tenant, a hard-coded https://login.microsoftonline.com, a value copied from another app)."
		v.Fix = "Set the SP's IdP sign-on URL to the app's Login URL from Entra (Enterprise applications → the app → Single sign-on → \"Set up <app>\": Login URL, https://login.microsoftonline.com/{tenant-id}/saml2), or import the app's Federation Metadata XML, so that the SP both sends to and writes Destination from the same SingleSignOnService Location."
	case len(signedNoDest) > 0:
		v.Status = reports.StatusWarn
		v.Observed = fmt.Sprintf("%d signed AuthnRequests had no Destination (sent to %s)", len(signedNoDest), signedNoDest[0])
		v.Diagnosis = "A signed request must carry Destination (SAML bindings §3.4.5.2, §3.5.5.2): without it, a request signed for this IdP can be replayed to any other IdP that trusts the SP's key. Entra accepts a request without Destination, so sign-in works with Entra."
		v.Fix = "Write Destination (Entra's Login URL) into every AuthnRequest the SP signs."
	case with == 0:
		v.Status, v.Observed = reports.StatusPass, fmt.Sprintf("%d unsigned AuthnRequests without Destination (optional when unsigned)", judged)
	default:
		v.Status, v.Observed = reports.StatusPass, fmt.Sprintf("%d of %d AuthnRequests named a Destination, each the Login URL it was sent to", with, judged)
	}
	return v
}

// judgeRequestInstant: IssueInstant is a UTC dateTime within requestSkew of the IdP's clock
// when the request arrived.
func judgeRequestInstant(in FindingInput) Verdict {
	reqs := sentRequests(in, idp.EventAuthnRequest, "ID")
	if len(reqs) == 0 {
		return noRequests("an AuthnRequest", "saml.sp.*,saml.request.*")
	}
	var bad []string
	judged := 0
	var worst time.Duration
	for _, r := range reqs {
		ii, ok := r.ev.Request["IssueInstant"]
		if !ok {
			continue // recorded by an IdP that did not keep it
		}
		judged++
		t, err := time.Parse(time.RFC3339Nano, ii)
		switch {
		case ii == "":
			bad = append(bad, "no IssueInstant")
		case err != nil || !strings.HasSuffix(ii, "Z"):
			bad = append(bad, fmt.Sprintf("IssueInstant %q is not a UTC xs:dateTime", trunc(ii, 40)))
		default:
			d := t.Sub(r.ev.Time)
			if d.Abs() > requestSkew {
				if d.Abs() > worst.Abs() {
					worst = d
				}
				bad = append(bad, fmt.Sprintf("IssueInstant %s, %s the IdP's clock", ii, aheadBehind(d)))
			}
		}
	}
	v := Verdict{}
	switch {
	case judged == 0:
		v.Status, v.Reason = reports.StatusSkip, "the IdP's log does not keep the AuthnRequests' IssueInstant"
	case len(bad) == 0:
		v.Status, v.Observed = reports.StatusPass, fmt.Sprintf("%d AuthnRequests, each issued within %s of the IdP's clock", judged, requestSkew)
	default:
		v.Status = reports.StatusWarn
		v.Observed = fmt.Sprintf("%d of %d AuthnRequests: %s", len(bad), judged, strings.Join(first(slices.Compact(bad), 2), "; "))
		v.Diagnosis = "The AuthnRequest's IssueInstant is required, in UTC (SAML core §1.3.3, §3.2.1), and says when the SP made the request. Entra expects a UTC DateTime but does not evaluate it, so sign-in works with Entra; IdPs that check freshness refuse it (beyond their few minutes of skew), and an instant far from the IdP's clock means the SP reuses a request it built earlier or its clock is wrong, which also skews its own checks of the Response's NotBefore and NotOnOrAfter."
		if worst != 0 {
			v.Diagnosis += fmt.Sprintf(" The largest difference was %s.", worst.Abs().Round(time.Second))
		}
		v.Fix = "Build each AuthnRequest when the sign-in starts, with IssueInstant the current UTC time (e.g. 2025-01-31T12:00:00Z), and keep the SP host's clock synchronized (NTP)."
	}
	return v
}

func aheadBehind(d time.Duration) string {
	if d > 0 {
		return d.Round(time.Second).String() + " ahead of"
	}
	return (-d).Round(time.Second).String() + " behind"
}

// judgeRequestSigned: an SP that says it signs its AuthnRequests (the target or its
// metadata) or signs some of them, signs all of them.
func judgeRequestSigned(in FindingInput) Verdict {
	reqs := sentRequests(in, idp.EventAuthnRequest, "ID")
	if len(reqs) == 0 {
		return noRequests("an AuthnRequest", "saml.sp.*,saml.request.*")
	}
	signed, judged := 0, 0
	var unsignedBy []string
	for _, r := range reqs {
		s, ok := r.ev.Request["Signed"]
		if !ok {
			continue // refused before the app (and so the signature rule) was known
		}
		judged++
		if s == "true" {
			signed++
		} else if b := bindingName(r.ev.Binding); !slices.Contains(unsignedBy, b) {
			unsignedBy = append(unsignedBy, b)
		}
	}
	v := Verdict{}
	unsigned := judged - signed
	switch {
	case judged == 0:
		v.Status, v.Reason = reports.StatusSkip, "no AuthnRequest reached the point where Entra looks at its signature"
	case unsigned == 0:
		v.Status, v.Observed = reports.StatusPass, fmt.Sprintf("all %d AuthnRequests were signed", judged)
	case signed == 0 && !in.SignsRequests:
		v.Status, v.Observed = reports.StatusPass, fmt.Sprintf("%d unsigned AuthnRequests; nothing says the SP signs them (neither the target's signsRequests nor AuthnRequestsSigned=\"true\" in the metadata it names), and Entra accepts unsigned requests unless \"Require verification certificates\" is on", judged)
	default:
		v.Status = reports.StatusWarn
		claim := "its metadata says AuthnRequestsSigned=\"true\" (or the target says signsRequests)"
		if !in.SignsRequests {
			claim = fmt.Sprintf("it signed %d of them", signed)
		}
		bindings := "binding"
		if len(unsignedBy) > 1 {
			bindings += "s"
		}
		v.Observed = fmt.Sprintf("%d of %d AuthnRequests arrived unsigned (%s %s), though %s", unsigned, judged, strings.Join(unsignedBy, " and "), bindings, claim)
		v.Diagnosis = "The SP says it signs its AuthnRequests but sends unsigned ones: its signing is not in effect (no key configured, signing switched off for one binding, a library default). Entra accepts them while the app's \"Require verification certificates\" is off, so nothing breaks today; an admin who turns it on because the SP's metadata says the requests are signed breaks every such sign-in, and until then anyone can send requests in the SP's name."
		v.Fix = "Either sign every AuthnRequest (configure the SP's signing key and certificate; with HTTP-Redirect the signature is the Signature and SigAlg query parameters, with HTTP-POST an enveloped XML signature) and upload that certificate to the app (Single sign-on → Verification certificates), or stop claiming it: AuthnRequestsSigned=\"false\" in the SP's metadata."
	}
	return v
}

func bindingName(b string) string {
	switch b {
	case idp.BindingRedirect:
		return "HTTP-Redirect"
	case idp.BindingPOST:
		return "HTTP-POST"
	}
	return b
}

// requestParam judges whether the RP's authorization requests carried a parameter, from
// every authorize request of the run's checks.
func requestParam(param, what, fix string) func(FindingInput) Verdict {
	return func(in FindingInput) Verdict {
		reqs := sentRequests(in, idp.EventAuthorize, "")
		if len(reqs) == 0 {
			return Verdict{Status: reports.StatusSkip, Reason: "no check of this run saw an authorization request from the RP"}
		}
		without := 0
		example := ""
		for _, r := range reqs {
			if r.ev.Request[param] == "" {
				without++
				if example == "" {
					example = r.ev.Request["redirect_uri"]
				}
			}
		}
		v := Verdict{}
		if without == 0 {
			v.Status, v.Observed = reports.StatusPass, fmt.Sprintf("all %d authorization requests carried %s", len(reqs), param)
			return v
		}
		v.Status = reports.StatusWarn
		v.Observed = fmt.Sprintf("%d of %d authorization requests had no %s (redirect_uri %s)", without, len(reqs), param, example)
		v.Diagnosis = fmt.Sprintf("The RP sent no %s in %d of its authorization requests: it lacks the protection the references describe, and the checks that need the %s were skipped for those sign-ins.", what, without, what)
		v.Fix = fix
		return v
	}
}

var (
	judgeNoPKCE  = requestParam("code_challenge", "PKCE code_challenge", "Send code_challenge (S256) with every authorization request and the code_verifier when redeeming the code (MSAL and most OIDC libraries have a switch for it).")
	judgeNoState = requestParam("state", "state", "Send an unguessable state bound to the browser's session with every authorization request, and refuse a response whose state differs.")
)

// judgePKCE: every authorization request carries a code_challenge, by S256. A challenge
// without code_challenge_method is plain (RFC 7636 §4.3).
func judgePKCE(in FindingInput) Verdict {
	if v := judgeNoPKCE(in); v.Status != reports.StatusPass {
		return v
	}
	reqs := sentRequests(in, idp.EventAuthorize, "")
	var plain []string
	for _, r := range reqs {
		if m := r.ev.Request["code_challenge_method"]; m != "S256" {
			if m == "" {
				m = "none given, so plain"
			}
			if !slices.Contains(plain, m) {
				plain = append(plain, m)
			}
		}
	}
	if len(plain) == 0 {
		return Verdict{Status: reports.StatusPass, Observed: fmt.Sprintf("all %d authorization requests carried a code_challenge by S256", len(reqs))}
	}
	n := 0
	for _, r := range reqs {
		if r.ev.Request["code_challenge_method"] != "S256" {
			n++
		}
	}
	return Verdict{Status: reports.StatusWarn,
		Observed:  fmt.Sprintf("%d of %d authorization requests sent the PKCE challenge with code_challenge_method %s", n, len(reqs), strings.Join(plain, ", ")),
		Diagnosis: "With the plain method the code_challenge is the code_verifier itself, in the authorization request's URL: whoever reads that URL (browser history, proxy and IdP logs, a malicious app on the device) can redeem a stolen code, which PKCE exists to prevent. A client that can use S256 MUST use it (RFC 7636 §4.2: plain only when S256 cannot be computed), and RFC 9700 §2.1.1 asks for methods that do not expose the verifier, which today means S256; Entra supports S256. PKCE by plain still stops an attacker who only steals the code, so this is a warning, as a missing PKCE is.",
		Fix:       "Send code_challenge=BASE64URL(SHA256(code_verifier)) with code_challenge_method=S256 (MSAL does by default; in other libraries choose S256, e.g. golang.org/x/oauth2 S256ChallengeOption)."}
}

// stateBits estimates the entropy of a state value: its length times the bits of the
// smallest common alphabet its characters fit (digits, hex, base64url, printable). Long
// structured values overestimate, which the repeat check across sign-ins complements.
func stateBits(s string) float64 {
	alphabet := 10.0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F'):
			alphabet = math.Max(alphabet, 16)
		case unicode.IsLetter(r) && r < 128, r == '-', r == '_':
			alphabet = math.Max(alphabet, 64)
		default:
			alphabet = 95
		}
	}
	return float64(len(s)) * math.Log2(alphabet)
}

// judgeState: every authorization request carries a state, of at least minStateBits
// estimated entropy, never one another sign-in sent.
func judgeState(in FindingInput) Verdict {
	if v := judgeNoState(in); v.Status != reports.StatusPass {
		return v
	}
	reqs := sentRequests(in, idp.EventAuthorize, "")
	count := map[string]int{}
	var short []string
	pkce := true
	for _, r := range reqs {
		s := r.ev.Request["state"]
		count[s]++
		if b := stateBits(s); b < minStateBits && count[s] == 1 {
			short = append(short, fmt.Sprintf("%q (about %.0f bits)", trunc(s, 40), b))
		}
		pkce = pkce && r.ev.Request["code_challenge_method"] == "S256"
	}
	reused := 0
	var repeated []string
	for s, n := range count {
		if n > 1 {
			reused += n
			repeated = append(repeated, fmt.Sprintf("%q in %d requests", trunc(s, 40), n))
		}
	}
	slices.Sort(repeated)
	slices.Sort(short)
	if reused == 0 && len(short) == 0 {
		if len(reqs) == 1 {
			return Verdict{Status: reports.StatusPass, Observed: fmt.Sprintf("1 authorization request, its state about %.0f bits (one sign-in: whether each gets a new state is not shown)", stateBits(reqs[0].ev.Request["state"]))}
		}
		return Verdict{Status: reports.StatusPass, Observed: fmt.Sprintf("%d authorization requests, %d distinct states of at least %d bits (estimated)", len(reqs), len(count), minStateBits)}
	}
	var what []string
	if reused > 0 {
		what = append(what, fmt.Sprintf("%d of %d reused a state (%s)", reused, len(reqs), strings.Join(first(repeated, 2), "; ")))
	}
	if len(short) > 0 {
		what = append(what, fmt.Sprintf("states shorter than %d bits: %s", minStateBits, strings.Join(first(short, 2), ", ")))
	}
	v := Verdict{Status: reports.StatusWarn, Observed: strings.Join(what, "; ")}
	v.Diagnosis = "The state is the RP's CSRF defence of the redirect back (RFC 6749 §10.12): it must be a fresh, non-guessable value bound to the browser, used once (RFC 9700 §4.7.1). A constant, short or repeated state can be guessed or copied into a forged authorization response, which then signs the victim in to the attacker's account (login CSRF)."
	if pkce {
		v.Diagnosis += " The RP does use PKCE with S256, which RFC 9700 §2.1 accepts as CSRF protection on its own, so this is not exploitable while Entra enforces PKCE for the code; the state should still be fixed."
	}
	v.Fix = "Generate the state from a cryptographic random source for every sign-in (at least 16 random bytes, e.g. 32 base64url characters), store it in the browser's session or a SameSite=None; Secure cookie, and refuse a response whose state differs or was already used."
	return v
}

// first returns at most n elements of s.
func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// trunc cuts s to n characters for a message.
func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// judgeResponseMode: no authorization request asks for tokens in the query (fail: the
// specifications forbid it and Entra refuses it: idp.ErrUnsupportedRespMode), and none asks for an
// access token from the authorize endpoint (warn: RFC 9700 §2.1.2).
func judgeResponseMode(in FindingInput) Verdict {
	reqs := sentRequests(in, idp.EventAuthorize, "")
	if len(reqs) == 0 {
		return Verdict{Status: reports.StatusSkip, Reason: "no check of this run saw an authorization request from the RP"}
	}
	var inQuery, implicit []string
	for _, r := range reqs {
		rt, mode := strings.Fields(r.ev.Request["response_type"]), r.ev.Request["response_mode"]
		what := fmt.Sprintf("response_type=%s response_mode=%s", strings.Join(rt, "+"), mode)
		if (slices.Contains(rt, "id_token") || slices.Contains(rt, "token")) && mode == "query" && !slices.Contains(inQuery, what) {
			inQuery = append(inQuery, what)
		}
		if slices.Contains(rt, "token") && !slices.Contains(implicit, what) {
			implicit = append(implicit, what)
		}
	}
	switch {
	case len(inQuery) > 0:
		return Verdict{Status: reports.StatusFail,
			Observed:  fmt.Sprintf("authorization requests asked for tokens in the query: %s", strings.Join(first(inQuery, 2), "; ")),
			Diagnosis: "The RP asks for an ID token (or an access token) to come back in the redirect's query string. Tokens in the query end up in browser history, proxy and server logs and Referer headers; a response type that returns tokens is never encoded in the query (OAuth 2.0 Multiple Response Type Encoding Practices §2.1), and Entra refuses the request (" + idp.ErrUnsupportedRespMode.Name() + "), so these sign-ins fail.",
			Fix:       "Use the authorization code flow: response_type=code with response_mode=query or form_post, and take the ID token from the token endpoint. If the RP needs the ID token from the authorize endpoint (hybrid flow), use response_mode=form_post."}
	case len(implicit) > 0:
		return Verdict{Status: reports.StatusWarn,
			Observed:  fmt.Sprintf("authorization requests asked for an access token from the authorize endpoint: %s", strings.Join(first(implicit, 2), "; ")),
			Diagnosis: "The RP uses the implicit grant (or a hybrid response type with token): access tokens returned by the authorization endpoint can leak and be replayed, and RFC 9700 §2.1.2 says clients SHOULD NOT use it.",
			Fix:       "Use the authorization code flow with PKCE (response_type=code) and redeem the code at the token endpoint; in the app registration, switch off Authentication → Implicit grant → Access tokens."}
	}
	return Verdict{Status: reports.StatusPass, Observed: fmt.Sprintf("%d authorization requests, none asking for tokens in the query or from the authorize endpoint", len(reqs))}
}
