package idp

import (
	"errors"
	"fmt"
	"strconv"
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
	// Suberror and Claims are the token endpoint's suberror and claims challenge members
	// (Conditional Access: "basic_action" with {"access_token":{"capolids":…}}); "" = absent.
	Suberror, Claims string
}

// Error returns "AADSTSnnnnn: message".
func (e *Error) Error() string { return e.Name() + ": " + e.Message }

// Name is the code as Entra writes it, "AADSTSnnnnn".
func (e *Error) Name() string { return "AADSTS" + strconv.Itoa(e.Code) }

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same Code, so errors.Is(err, ErrReplyURLMismatch) works.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code && t.Message == ""
}

// Info is the row of the AADSTS table for e's code; a code not in the table has only Code
// and Sentinel set.
func (e *Error) Info() ErrorInfo {
	if i, ok := aadsts[e.Code]; ok {
		return i
	}
	return ErrorInfo{Code: e.Code, Sentinel: &Error{Code: e.Code}}
}

// ErrorInfo is one row of the AADSTS table (aadsts.go): what Entra answers with the code,
// and what the harness makes of it.
type ErrorInfo struct {
	// Code is the AADSTS number; it is the Sentinel's.
	Code int
	// Sentinel is the code's value for errors.Is (one of the Err* variables when exported).
	Sentinel *Error
	// OAuth is the OAuth 2.0 error sent with the code (invalid_request, invalid_client, ...).
	OAuth string
	// Status is the HTTP status of the error page or token-endpoint response.
	Status int
	// Message is the message template, with fmt verbs for the values Entra fills in.
	Message string
	// Check is the misconfiguration check (conformance catalog) that explains the error,
	// or empty when no check does.
	Check string
	// Fix is the admin's fix, in the portal's words (empty when Check is).
	Fix string
	// Reference is Microsoft's troubleshooting page for the error or its check, if any.
	Reference string
}

// Name is the code as Entra writes it, "AADSTSnnnnn".
func (i ErrorInfo) Name() string { return "AADSTS" + strconv.Itoa(i.Code) }

// LookupError is the row of the AADSTS table for code; ok is false for a code the mock
// never sends.
func LookupError(code int) (i ErrorInfo, ok bool) {
	i, ok = aadsts[code]
	return i, ok
}

// indexErrors keys the table's rows by their sentinels' codes; a code twice is a bug.
func indexErrors(rows []ErrorInfo) map[int]ErrorInfo {
	m := make(map[int]ErrorInfo, len(rows))
	for _, r := range rows {
		r.Code = r.Sentinel.Code
		if _, dup := m[r.Code]; dup {
			panic(fmt.Sprintf("idp: %s twice in the AADSTS table", r.Name()))
		}
		m[r.Code] = r
	}
	return m
}

// with is the error of sentinel e's code as the table writes it, its message template
// filled in with a.
func (e *Error) with(a ...any) *Error {
	i := aadsts[e.Code]
	return e.text(i.Message, a...)
}

// text is the error of sentinel e's code with the table's OAuth error and status, and a
// message other than the table's (Entra words some codes differently by endpoint).
func (e *Error) text(format string, a ...any) *Error {
	i := aadsts[e.Code]
	if i.Sentinel == nil {
		panic(fmt.Sprintf("idp: %s is not in the AADSTS table", e.Name()))
	}
	return &Error{Code: i.Code, OAuth: i.OAuth, Status: i.Status, Message: fmt.Sprintf(format, a...)}
}

// newError is an error outside the table's defaults (its own status or OAuth error).
// Prefer a sentinel's with or text.
func newError(code int, oauth string, status int, format string, a ...any) *Error {
	return &Error{Code: code, OAuth: oauth, Status: status, Message: fmt.Sprintf(format, a...)}
}

// withCause attaches an internal cause.
func (e *Error) withCause(err error) *Error { e.Err = err; return e }

func errReplyURLMismatch(uri, appID string) *Error { return ErrReplyURLMismatch.with(uri, appID) }

func errAppNotFound(identifier, tenantID string) *Error {
	return ErrAppNotFound.with(identifier, tenantID)
}

func errUserNotAssigned(appName, appID, upn string) *Error {
	return ErrUserNotAssigned.with(appName, appID, upn)
}

func errRedirectMissingSAML() *Error { return ErrRedirectMissingSAML.with() }

func errMalformedSAML(cause error) *Error { return ErrMalformedSAML.with().withCause(cause) }

func errSAMLInvalidID(id string) *Error { return ErrSAMLInvalidID.with(truncate(id, 256)) }

func errSAMLDestination(dest, expected string) *Error {
	return ErrSAMLDestination.with(truncate(dest, 1024), expected)
}

func errNameIDPolicy(format string) *Error { return ErrNameIDPolicy.with(format) }

func errAuthnContext(requested, appName string) *Error {
	return ErrAuthnContext.with(requested, appName)
}

func errUnsignedRequest() *Error { return ErrUnsignedRequest.with() }

func errInvalidSignature(cause error) *Error { return ErrInvalidSignature.with().withCause(cause) }

func errUnknownTenant(name string) *Error { return ErrUnknownTenant.with(name) }

func errInvalidPassword() *Error { return ErrInvalidPassword.with() }

func errUnknownUser(login, tenantName string) *Error { return ErrUnknownUser.with(login, tenantName) }

func errUserDisabled() *Error { return ErrUserDisabled.with() }

func errUnsupportedBinding() *Error { return ErrUnsupportedBinding.with() }

func errSignoutInvalid(cause error) *Error {
	return ErrSignoutInvalidRequest.with().withCause(cause)
}

func errSessionExpired() *Error { return ErrLoginRequired.with() }

// asError keeps an *Error as is and wraps any other failure of request handling (e.g. a body
// too large) as AADSTS900561, so that nothing reaches the wire as a bare 500.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return codeBadRequest.text("The endpoint only accepts well-formed requests.").withCause(err)
}
