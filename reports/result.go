package reports

import (
	"encoding/json"
	"time"
)

// Status is the verdict of one check.
type Status string

// The verdicts, in the order the summary lists them.
const (
	// StatusPass: the SP behaved as the catalog expects.
	StatusPass Status = "pass"
	// StatusFail: it did not (broken SSO for an accept check, a security hole for a reject
	// check, a misconfiguration for a config check).
	StatusFail Status = "fail"
	// StatusWarn: a profile check whose default is warn, or a config check that found
	// something that is not yet broken (a certificate expiring within 60 days).
	StatusWarn Status = "warn"
	// StatusWaived: the target overrode the expectation with a stated reason.
	StatusWaived Status = "waived"
	// StatusSkip: the check needs something the target lacks (the reason says what).
	StatusSkip Status = "skip"
	// StatusError: the check could not run (browser crash, timeout, SP unreachable). An
	// error is never a pass.
	StatusError Status = "error"
)

// Statuses lists every status in summary order.
var Statuses = []Status{StatusPass, StatusFail, StatusWarn, StatusWaived, StatusSkip, StatusError}

// Failed reports whether the status makes the run fail (exit code 1).
func (s Status) Failed() bool { return s == StatusFail || s == StatusError }

// Run is the result of one conformance run: the single structure every report (console,
// JUnit XML, JSON, HTML) is rendered from.
type Run struct {
	// Tool is the program and version that produced the run, e.g. "ssoharness conformance (devel)".
	Tool string `json:"tool"`
	// Target describes the SP under test.
	Target Target `json:"target"`
	// IdP describes the mock IdP the run used.
	IdP IdP `json:"idp"`
	// Browser is the browser's product string (e.g. "Chrome/156.0.8078.79" or "HeadlessChrome/…").
	Browser string `json:"browser,omitempty"`
	// Parallel is how many checks ran at once.
	Parallel int `json:"parallel"`
	// Started and Finished bound the run.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// DurationMS is Finished − Started in milliseconds.
	DurationMS int64 `json:"durationMs"`
	// Summary counts the checks by status.
	Summary Summary `json:"summary"`
	// Checks are the checks in catalog order.
	Checks []Check `json:"checks"`
	// Shard is set when the run is one part of a sharded run (see [Shard]).
	Shard *Shard `json:"shard,omitempty"`
}

// Target describes the SP under test as the run saw it.
type Target struct {
	// Name is the target's name.
	Name string `json:"name"`
	// File is the target file ("" for the built-in reference SPs).
	File string `json:"file,omitempty"`
	// Protocols are the protocols tested: "SAML", "OIDC", "SCIM".
	Protocols []string `json:"protocols"`
	// URLs are the SP's entry points by role (e.g. "saml.login", "oidc.login").
	URLs map[string]string `json:"urls,omitempty"`
}

// IdP describes the embedded mock IdP of the run.
type IdP struct {
	// URL is the IdP's base URL as the browser saw it.
	URL string `json:"url"`
	// TenantID is the tenant the app lives in.
	TenantID string `json:"tenantId"`
	// Apps are the enterprise app / app registration display names used.
	Apps []string `json:"apps,omitempty"`
}

// Summary counts checks by status.
type Summary struct {
	Total  int `json:"total"`  // every check; the sum of the fields below
	Pass   int `json:"pass"`   // checks with StatusPass
	Fail   int `json:"fail"`   // checks with StatusFail
	Warn   int `json:"warn"`   // checks with StatusWarn
	Waived int `json:"waived"` // checks with StatusWaived
	Skip   int `json:"skip"`   // checks with StatusSkip
	Error  int `json:"error"`  // checks with StatusError
}

// Add counts one check of status s.
func (s *Summary) Add(st Status) {
	s.Total++
	switch st {
	case StatusPass:
		s.Pass++
	case StatusFail:
		s.Fail++
	case StatusWarn:
		s.Warn++
	case StatusWaived:
		s.Waived++
	case StatusSkip:
		s.Skip++
	case StatusError:
		s.Error++
	}
}

// Count is the number of checks with status st.
func (s Summary) Count(st Status) int {
	switch st {
	case StatusPass:
		return s.Pass
	case StatusFail:
		return s.Fail
	case StatusWarn:
		return s.Warn
	case StatusWaived:
		return s.Waived
	case StatusSkip:
		return s.Skip
	case StatusError:
		return s.Error
	}
	return 0
}

// ExitCode is the process exit code for the run: 0 when nothing failed or errored (warn,
// waived and skip allowed), 1 otherwise.
func (r *Run) ExitCode() int {
	if r.Summary.Fail > 0 || r.Summary.Error > 0 {
		return 1
	}
	return 0
}

// Check is the result of one check.
type Check struct {
	// ID is the check ID of the catalog (checks.md), e.g. "saml.audience.wrong".
	ID string `json:"id"`
	// Protocol is "SAML", "OIDC" or "SCIM".
	Protocol string `json:"protocol"`
	// Kind is "fault" (a response the mock IdP mints), "config" (a misconfiguration check),
	// "finding" (drawn from the whole run) or "scim" (requests to the SP's SCIM endpoint).
	Kind string `json:"kind"`
	// Description says in one line what the check does.
	Description string `json:"description"`
	// Expected is the verdict a correct SP earns: "accept", "reject", "warn" (a profile
	// whose default is warn) or, for config checks, "configured".
	Expected string `json:"expected"`
	// Observed says what happened, e.g. "accepted as B.Simon@contoso.com",
	// "refused (403) at https://sp.example.test/saml/acs", "IdP refused: AADSTS50011".
	Observed string `json:"observed"`
	// Status is the verdict.
	Status Status `json:"status"`
	// Started is when the check started; DurationMS how long it took.
	Started    time.Time `json:"started"`
	DurationMS int64     `json:"durationMs"`
	// Diagnosis explains a fail, warn or error in Entra's terms (empty on pass).
	Diagnosis string `json:"diagnosis,omitempty"`
	// Fix says what to change, on the SP or in Entra.
	Fix string `json:"fix,omitempty"`
	// Reason is why a check was skipped or waived.
	Reason string `json:"reason,omitempty"`
	// References are the sources of the check.
	References []string `json:"references,omitempty"`
	// Steps are the timeline of the check in the browser.
	Steps []Step `json:"steps,omitempty"`
	// Payloads are the protocol messages seen, decoded (SAML Response, ID token, ...).
	Payloads []Payload `json:"payloads,omitempty"`
	// SignInLog is what the IdP recorded for this check's sign-ins.
	SignInLog []SignInEvent `json:"signInLog,omitempty"`
	// IdPRequests are, when the mock IdP ran as replicas behind a load balancer, the
	// requests of this check's sign-ins as the load balancer's log shows them, with the
	// replica that served each. Evidence of the setup only: the verdict never depends on it.
	IdPRequests []IdPRequest `json:"idpRequests,omitempty"`
	// Evidence is what the verdict was judged from, as the harness's judge reads it (the
	// SP's pages and the IdP's events, every token and message included): replaying it
	// through the judge gives the same verdict. Absent for checks judged otherwise.
	Evidence json.RawMessage `json:"evidence,omitempty"`
}

// Step is one moment of a check's timeline in the browser.
type Step struct {
	// Time is when the step was recorded.
	Time time.Time `json:"time"`
	// Name says what the step was ("open the SP", "IdP sign-in page", "credentials typed",
	// "posted back to the SP", "outcome", ...).
	Name string `json:"name"`
	// URL is the page the browser was on.
	URL string `json:"url,omitempty"`
	// Status is the HTTP status of that page's document, when known.
	Status int `json:"status,omitempty"`
	// Screenshot is the PNG's path relative to the report directory ("" when none).
	Screenshot string `json:"screenshot,omitempty"`
	// Note adds detail (the page's heading, a blocked cookie, ...).
	Note string `json:"note,omitempty"`
}

// Payload is a protocol message the check saw, decoded for reading.
type Payload struct {
	// Kind is "SAMLRequest", "SAMLResponse", "LogoutRequest", "LogoutResponse", "id_token",
	// "access_token" or "userinfo".
	Kind string `json:"kind"`
	// Format is "xml" or "json" (how Decoded is written).
	Format string `json:"format"`
	// Decoded is the message, pretty-printed (XML, or a JWT's header and claims as JSON).
	Decoded string `json:"decoded"`
	// Highlights are substrings of Decoded that the fault changed (to highlight).
	Highlights []string `json:"highlights,omitempty"`
}

// SignInEvent is one entry of the mock IdP's sign-in log, as the report shows it.
type SignInEvent struct {
	// Time is when the IdP recorded the event.
	Time time.Time `json:"time"`
	// Kind is authn-request, credentials, authorize, token, userinfo, logout-request, ...
	Kind string `json:"kind"`
	// Binding is the SAML binding or OAuth response mode / HTTP method.
	Binding string `json:"binding,omitempty"`
	// Status is success, failure or interrupted.
	Status string `json:"status"`
	// ErrorCode is the AADSTS code of a failure (0 on success).
	ErrorCode int `json:"errorCode,omitempty"`
	// FailureReason is the AADSTS message.
	FailureReason string `json:"failureReason,omitempty"`
	// User is the user principal name, when known.
	User string `json:"user,omitempty"`
	// Request is what the SP sent, as the IdP parsed it.
	Request map[string]string `json:"request,omitempty"`
	// Fault is the fault minted into the response, if any, and what it changed.
	Fault   string   `json:"fault,omitempty"`
	Changed []string `json:"changed,omitempty"`
	// Replica is the mock IdP replica that logged the event ("r0", "r1", ...), when the IdP
	// ran as replicas.
	Replica string `json:"replica,omitempty"`
}

// IdPRequest is one request to the mock IdP as the load balancer in front of its replicas
// logged it.
type IdPRequest struct {
	// Time is when the request began at the load balancer (millisecond precision).
	Time time.Time `json:"time"`
	// Replica is the replica that served it ("r0", "r1", ...).
	Replica string `json:"replica"`
	// Method and Path are the request's (the path without the query string).
	Method string `json:"method"`
	Path   string `json:"path"`
	// Status is the HTTP status of the answer.
	Status int `json:"status"`
	// RequestID is the IdP's request ID of the answer (x-ms-request-id: a sign-in log
	// event's ID), when it sent one.
	RequestID string `json:"requestId,omitempty"`
}
