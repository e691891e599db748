package refsaml

import (
	"bytes"
	"html"
	"net/url"
	"time"

	"github.com/crewjam/saml"
)

// The weaknesses of the SP's own AuthnRequest: each sends, in one respect, a request that
// hashicorp/cap's test IdP (saml/test/provider.go) or the SAML specifications refuse, and
// validates Responses exactly as Strict does. No Response shows them; the request findings
// (saml.request.*) judge them from the requests the IdP logged.
const (
	// FixedRequestID sends the same AuthnRequest ID at every sign-in, as an SP does that
	// builds its request once (or caches the serialized one): InResponseTo then binds a
	// Response to no particular sign-in.
	FixedRequestID Weakness = "fixed-request-id"
	// StaleIssueInstant writes an IssueInstant an hour old, as an SP does that reuses a
	// request built earlier or runs on a clock an hour behind.
	StaleIssueInstant Weakness = "stale-issue-instant"
	// WrongDestination sends the request to the Login URL of the IdP metadata but writes
	// another one into Destination: Entra's public Login URL for "common", as a hard-coded
	// or copied IdP URL does.
	WrongDestination Weakness = "wrong-destination"
	// ClaimsSignedRequests says AuthnRequestsSigned="true" in its metadata but never signs
	// its AuthnRequests (signing not in effect: no key configured).
	ClaimsSignedRequests Weakness = "claims-signed-requests"
)

// fixedRequestID is FixedRequestID's one ID: a valid xs:ID, so that Entra takes it.
const fixedRequestID = "id-refsaml-fixed-request"

// staleBy is how old StaleIssueInstant's IssueInstant is.
const staleBy = time.Hour

// wrongDestination is WrongDestination's Destination: Entra's production Login URL of the
// "common" endpoint, where the harness's IdP is not.
const wrongDestination = "https://login.microsoftonline.com/common/saml2"

// weakenRequest changes the AuthnRequest crewjam made, for the request weaknesses, before it
// is tracked and sent.
func (s *SP) weakenRequest(req *saml.AuthnRequest) {
	switch s.weakness {
	case FixedRequestID:
		req.ID = fixedRequestID
	case StaleIssueInstant:
		req.IssueInstant = req.IssueInstant.Add(-staleBy)
	case WrongDestination:
		if u, err := url.Parse(req.Destination); err == nil && u.Host != "login.microsoftonline.com" {
			req.Destination = wrongDestination
		}
	}
}

// weakenMetadata changes the SP's metadata for the request weaknesses.
func (s *SP) weakenMetadata(md *saml.EntityDescriptor) {
	if s.weakness != ClaimsSignedRequests {
		return
	}
	for i := range md.SPSSODescriptors {
		signed := true
		md.SPSSODescriptors[i].AuthnRequestsSigned = &signed
	}
}

// sendTo keeps WrongDestination's request going where the IdP metadata says (loc): crewjam
// sends a request to its Destination, which that weakness changed. u is the HTTP-Redirect
// URL crewjam built.
func (s *SP) sendTo(u *url.URL, loc string) {
	if s.weakness != WrongDestination {
		return
	}
	if l, err := url.Parse(loc); err == nil {
		u.Scheme, u.Host, u.Path, u.RawPath = l.Scheme, l.Host, l.Path, l.RawPath
	}
}

// postTo is sendTo for the HTTP-POST binding: form is crewjam's auto-submitting form, whose
// action is the request's Destination.
func (s *SP) postTo(form []byte, loc string) []byte {
	if s.weakness != WrongDestination {
		return form
	}
	return bytes.Replace(form, []byte(`action="`+html.EscapeString(wrongDestination)+`"`), []byte(`action="`+html.EscapeString(loc)+`"`), 1)
}
