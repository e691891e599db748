package idp

import (
	"net/http"
	"sync"
	"time"
)

// Event is one entry of the sign-in log: one protocol request the server answered, with what
// the SP sent, what the server did and, for failures, the AADSTS code. Scenarios assert on
// these instead of scraping pages.
type Event struct {
	// ID is the Request Id shown on error pages and sent as x-ms-request-id.
	ID string `json:"id"`
	// CorrelationID ties together the events of one sign-in (request, credentials, response).
	CorrelationID string `json:"correlationId"`
	// Context is the value of the browser's FaultCookie on the requests a browser makes
	// (authn-request, authorize, credentials, idp-initiated, logout): a harness that gives
	// each browser context its own cookie finds that context's sign-ins by it, armed fault or
	// not, and their back-channel events (token, userinfo) by CorrelationID.
	Context  string    `json:"context,omitempty"`
	Time     time.Time `json:"createdDateTime"`
	TenantID string    `json:"tenantId,omitempty"`
	AppID    string    `json:"appId,omitempty"`
	AppName  string    `json:"appDisplayName,omitempty"`
	UserID   string    `json:"userId,omitempty"`
	// UserPrincipalName is the user who signed in, or the login that was typed.
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	// Protocol is "SAML", "OIDC", "WS-Federation" (ProtocolWSFed) or "Graph" (ProtocolGraph).
	Protocol string `json:"protocol"`
	// Kind says what the request was (EventAuthnRequest, EventAuthorize, ...).
	Kind EventKind `json:"kind"`
	// Binding is the SAML binding or OAuth response mode / HTTP method used by the SP.
	Binding string `json:"binding,omitempty"`
	// Request is what the SP sent, as parsed.
	Request map[string]string `json:"request,omitempty"`
	// Response is what the server sent back (IDs, destination, NameID, signing, ...).
	Response map[string]string `json:"response,omitempty"`
	// Status is success, failure or interrupted (credentials were asked for).
	Status string `json:"status"`
	// ErrorCode is the AADSTS code of a failure, 0 on success.
	ErrorCode int `json:"errorCode"`
	// FailureReason is the AADSTS message of a failure.
	FailureReason string `json:"failureReason,omitempty"`
	// Detail is an internal cause (parse error, signature error), never shown to the browser.
	Detail string `json:"detail,omitempty"`
	// Fault is the fault minted into this response, if one was armed for it.
	Fault *MintedFault `json:"fault,omitempty"`
	// Truncated gives the original length in bytes of each value the log cut (see
	// events_bound.go), by JSON name: "appId", "request.RelayState", "request.#keys" (the
	// number of entries a map had when some were dropped). nil when nothing was cut.
	Truncated map[string]int `json:"truncated,omitempty"`

	seq uint64 // position in the log, from 1; the paging of GET /_mockidp/signins uses it
}

// AuthorityField is the key of an authorize event's Request that holds the authority's tenant
// path segment the RP signed in at: a tenant ID or domain, "organizations", "common" or
// "consumers".
const AuthorityField = "path.tenant"

// EventKind says what a logged request was.
type EventKind string

// Event kinds of the sign-in log.
const (
	EventAuthnRequest   EventKind = "authn-request"   // a SAML AuthnRequest (SP-initiated sign-in)
	EventIdPInitiated   EventKind = "idp-initiated"   // a sign-in from the User access URL
	EventLogoutRequest  EventKind = "logout-request"  // a SAML LogoutRequest from the SP
	EventLogoutResponse EventKind = "logout-response" // a SAML LogoutResponse sent to the IdP
	EventCredentials    EventKind = "credentials"     // the sign-in page's email or password post
	EventMetadata       EventKind = "metadata"        // federation metadata
	EventCertificate    EventKind = "certificate"     // a certificate download
	EventAuthorize      EventKind = "authorize"       // an OAuth 2.0 / OIDC authorization request
	EventToken          EventKind = "token"           // a token request (code, refresh, client credentials)
	EventUserInfo       EventKind = "userinfo"        // a userinfo request
	EventDeviceCode     EventKind = "device-code"     // a device authorization request (/devicecode)
	EventDeviceLogin    EventKind = "device-login"    // the device login page: a code entered, approved or declined
	EventKeys           EventKind = "keys"            // the JWKS
	EventDiscovery      EventKind = "discovery"       // OpenID discovery
	EventOIDCLogout     EventKind = "logout"          // the OIDC end-session endpoint
	EventLogoutNotice   EventKind = "logout-notice"   // a sign-out sent to another app of the session (SAML LogoutRequest, OIDC front-channel)
	EventInternal       EventKind = "internal"        // a request that failed inside the server
	EventNotFound       EventKind = "not-found"       // a path the server does not serve
)

// Event status values.
const (
	StatusSuccess     = "success"
	StatusFailure     = "failure"
	StatusInterrupted = "interrupted"
)

type eventLog struct {
	mu     sync.Mutex
	events []Event
	limit  int    // entries kept, newest (Retention.Events); 0: no limit
	seq    uint64 // the last event's seq
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.seq++
	e.seq = l.seq
	if l.limit > 0 && len(l.events) >= l.limit {
		// Drop the oldest tenth at once: one copy per limit/10 entries, not one per entry.
		n := len(l.events) - l.limit + max(l.limit/10, 1)
		clear(l.events[:n])
		l.events = append(l.events[:0], l.events[n:]...)
	}
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// Events returns a copy of the sign-in log, oldest first.
func (s *Server) Events() []Event {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return append([]Event(nil), s.events.events...)
}

// ResetEvents clears the sign-in log.
func (s *Server) ResetEvents() {
	s.events.mu.Lock()
	s.events.events = nil
	s.events.mu.Unlock()
}

// browserContext is the FaultCookie value a browser request carries ("" when none).
func browserContext(r *http.Request) string {
	if c, err := r.Cookie(FaultCookie); err == nil {
		return c.Value
	}
	return ""
}

// record completes an event (ID, time) and appends it to the log.
func (s *Server) record(e *Event) {
	if e.ID == "" {
		e.ID = s.rand.guid()
	}
	if e.CorrelationID == "" {
		e.CorrelationID = s.rand.guid()
	}
	if e.Time.IsZero() {
		e.Time = s.clock.Now()
	}
	if e.Status == "" {
		e.Status = StatusSuccess
	}
	e.bound()
	s.events.add(*e)
}
