package idp

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AADSTS error: the value the Go API returns and the thing that renders itself
// on the wire, as Entra's HTML error page, an OAuth redirect or a token-endpoint JSON body.
// Compare with errors.Is against the Err* sentinels, which match on Code.
type Error struct {
	// Code is the AADSTS number, e.g. 50011.
	Code int
	// OAuth is the OAuth 2.0 error code used on the OAuth wire (invalid_request, ...).
	OAuth string
	// Status is the HTTP status for a page or JSON rendering.
	Status int
	// Message is the text after "AADSTSnnnnn: ".
	Message string
	// Err is an internal cause; it is logged in the sign-in log, never sent.
	Err error
}

// Error returns "AADSTSnnnnn: message".
func (e *Error) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.Code, e.Message) }

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same Code, so errors.Is(err, ErrReplyURLMismatch) works.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code && t.Message == ""
}

// Sentinels for errors.Is; they carry only the code.
var (
	ErrReplyURLMismatch      = &Error{Code: 50011}
	ErrAppNotFound           = &Error{Code: 700016}
	ErrUserNotAssigned       = &Error{Code: 50105}
	ErrRedirectMissingSAML   = &Error{Code: 750054}
	ErrMalformedSAML         = &Error{Code: 75005}
	ErrNameIDPolicy          = &Error{Code: 75016}
	ErrAuthnContext          = &Error{Code: 75011}
	ErrUnsignedRequest       = &Error{Code: 76021}
	ErrInvalidSignature      = &Error{Code: 50006}
	ErrUnknownTenant         = &Error{Code: 90002}
	ErrInvalidPassword       = &Error{Code: 50126}
	ErrUnknownUser           = &Error{Code: 50034}
	ErrUserDisabled          = &Error{Code: 50057}
	ErrUnsupportedBinding    = &Error{Code: 75003}
	ErrSignoutInvalidRequest = &Error{Code: 50061}
)

func newError(code int, oauth string, status int, format string, a ...any) *Error {
	return &Error{Code: code, OAuth: oauth, Status: status, Message: fmt.Sprintf(format, a...)}
}

// withCause attaches an internal cause.
func (e *Error) withCause(err error) *Error { e.Err = err; return e }

func errReplyURLMismatch(uri, appID string) *Error {
	return newError(50011, "invalid_request", http.StatusBadRequest,
		"The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
		uri, appID)
}

func errAppNotFound(identifier, tenantID string) *Error {
	return newError(700016, "unauthorized_client", http.StatusBadRequest,
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
		identifier, tenantID)
}

func errUserNotAssigned(appName, appID, upn string) *Error {
	return newError(50105, "invalid_grant", http.StatusBadRequest,
		"Your administrator has configured the application %s ('%s') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '%s' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application.",
		appName, appID, upn)
}

func errRedirectMissingSAML() *Error {
	return newError(750054, "invalid_request", http.StatusBadRequest,
		"SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding.")
}

func errMalformedSAML(cause error) *Error {
	return newError(75005, "invalid_request", http.StatusBadRequest,
		"The request is not a valid Saml2 protocol message.").withCause(cause)
}

func errNameIDPolicy(format string) *Error {
	return newError(75016, "invalid_request", http.StatusBadRequest,
		"Saml2 Authentication Request has invalid NameIDPolicy. NameIDPolicy Format '%s' is not supported.", format)
}

func errAuthnContext(requested, appName string) *Error {
	return newError(75011, "invalid_request", http.StatusBadRequest,
		"Authentication method 'Password' by which the user authenticated with the service doesn't match requested authentication method '%s'. Contact the %s application owner.",
		requested, appName)
}

func errUnsignedRequest() *Error {
	return newError(76021, "invalid_request", http.StatusBadRequest,
		"The request sent by client is not signed while the application requires signed requests")
}

func errInvalidSignature(cause error) *Error {
	return newError(50006, "invalid_request", http.StatusBadRequest,
		"Signature verification failed because of an invalid signature.").withCause(cause)
}

func errUnknownTenant(name string) *Error {
	return newError(90002, "invalid_tenant", http.StatusBadRequest,
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
		name)
}

func errInvalidPassword() *Error {
	return newError(50126, "invalid_grant", http.StatusBadRequest,
		"Error validating credentials due to invalid username or password.")
}

func errUnknownUser(login, tenantName string) *Error {
	return newError(50034, "invalid_grant", http.StatusBadRequest,
		"The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory.",
		login, tenantName)
}

func errUserDisabled() *Error {
	return newError(50057, "invalid_grant", http.StatusBadRequest, "The user account is disabled.")
}

func errUnsupportedBinding() *Error {
	return newError(75003, "invalid_request", http.StatusBadRequest,
		"The SAML protocol response can't be sent via bindings other than HTTP POST.")
}

func errSignoutInvalid(cause error) *Error {
	return newError(50061, "invalid_request", http.StatusBadRequest,
		"Signout request is invalid.").withCause(cause)
}

func errSessionExpired() *Error {
	return newError(50058, "login_required", http.StatusBadRequest,
		"A silent sign-in request was sent but no user is signed in.")
}

// asError keeps an *Error as is and wraps any other failure of request handling (e.g. a body
// too large) as AADSTS900561, so that nothing reaches the wire as a bare 500.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return newError(900561, "invalid_request", http.StatusBadRequest,
		"The endpoint only accepts well-formed requests.").withCause(err)
}
