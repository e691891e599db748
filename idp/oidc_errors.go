package idp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// OAuth-side sentinels for errors.Is; they carry only the code.
var (
	ErrInvalidClientSecret   = &Error{Code: 7000215}
	ErrExpiredClientSecret   = &Error{Code: 7000222}
	ErrMissingClientSecret   = &Error{Code: 7000218}
	ErrConsentRequired       = &Error{Code: 65001}
	ErrCrossOriginNotSPA     = &Error{Code: 9002326}
	ErrSPANotCrossOrigin     = &Error{Code: 9002327}
	ErrSPANeedsPKCE          = &Error{Code: 9002325}
	ErrPKCEMismatch          = &Error{Code: 50148}
	ErrPKCEInvalidVerifier   = &Error{Code: 501481}
	ErrResponseTypeDisabled  = &Error{Code: 700054}
	ErrUnsupportedRespMode   = &Error{Code: 70007}
	ErrInvalidScope          = &Error{Code: 70011}
	ErrCodeRedeemed          = &Error{Code: 54005}
	ErrGrantExpired          = &Error{Code: 70008}
	ErrLoginRequired         = &Error{Code: 50058}
	ErrNotMultiTenant        = &Error{Code: 50194}
	ErrMissingParameter      = &Error{Code: 900144}
	ErrMissingField          = &Error{Code: 90014}
	ErrUserNotInTenant       = &Error{Code: 50020}
	ErrMalformedRequest      = &Error{Code: 9002313}
	ErrInvalidGrant          = &Error{Code: 70000}
	ErrUnsupportedGrantType  = &Error{Code: 70003}
	ErrRedirectURIMismatched = &Error{Code: 500112}
)

func errInvalidClientSecret(appID string) *Error {
	return newError(7000215, "invalid_client", http.StatusUnauthorized,
		"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", appID)
}

func errExpiredClientSecret(appID string) *Error {
	return newError(7000222, "invalid_client", http.StatusUnauthorized,
		"The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", appID)
}

func errMissingClientSecret() *Error {
	return newError(7000218, "invalid_client", http.StatusUnauthorized,
		"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
}

func errConsentRequired(appID, name string) *Error {
	return newError(65001, "consent_required", http.StatusBadRequest,
		"The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", appID, name)
}

func errCrossOriginNotSPA(origin string) *Error {
	return newError(9002326, "invalid_request", http.StatusBadRequest,
		"Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '%s'.", origin)
}

func errSPANotCrossOrigin() *Error {
	return newError(9002327, "invalid_request", http.StatusBadRequest,
		"Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.")
}

func errSPAPKCERequired() *Error {
	return newError(9002325, "invalid_request", http.StatusBadRequest,
		"Proof Key for Code Exchange is required for cross-origin authorization code redemption.")
}

func errPKCEMismatch() *Error {
	return newError(50148, "invalid_grant", http.StatusBadRequest,
		"The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.")
}

func errPKCEInvalidVerifier() *Error {
	return newError(501481, "invalid_grant", http.StatusBadRequest,
		"The Code_Verifier does not match the code_challenge supplied in the authorization request.")
}

func errResponseTypeDisabled(rt string) *Error {
	return newError(700054, "unsupported_response_type", http.StatusBadRequest,
		"Response_type '%s' isn't enabled for the application.", rt)
}

func errUnsupportedResponseType(rt string) *Error {
	return newError(70005, "unsupported_response_type", http.StatusBadRequest,
		"The response_type '%s' is not supported.", rt)
}

func errUnsupportedResponseMode(mode string) *Error {
	return newError(70007, "invalid_request", http.StatusBadRequest,
		"The application returned an unsupported value '%s' for the 'response_mode' parameter when requesting a token.", mode)
}

func errInvalidScope(scope string) *Error {
	return newError(70011, "invalid_scope", http.StatusBadRequest,
		"The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", scope)
}

func errCodeRedeemed() *Error {
	return newError(54005, "invalid_grant", http.StatusBadRequest,
		"OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
}

func errGrantExpired() *Error {
	return newError(70008, "invalid_grant", http.StatusBadRequest,
		"The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
}

func errInvalidGrant(what string) *Error {
	return newError(70000, "invalid_grant", http.StatusBadRequest,
		"The provided value for the '%s' parameter is not valid.", what)
}

func errRedirectURIMismatched(got, want string) *Error {
	return newError(500112, "invalid_grant", http.StatusBadRequest,
		"The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", got, want)
}

func errLoginRequired() *Error {
	e := errSessionExpired()
	e.Message = "A silent sign-in request was sent but no user is signed in. The cookies used to represent the user's session were not sent in the request to Azure AD. This can happen if the user is using Internet Explorer or Edge, and the web app sending the silent sign-in request is in different IE security zone than the Azure AD endpoint (login.microsoftonline.com)."
	return e
}

func errNotMultiTenant(appID, name string) *Error {
	return newError(50194, "invalid_request", http.StatusBadRequest,
		"Application '%s'(%s) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.", appID, name)
}

func errMissingParameter(name string) *Error {
	return newError(900144, "invalid_request", http.StatusBadRequest,
		"The request body must contain the following parameter: '%s'.", name)
}

func errMissingField(name string) *Error {
	return newError(90014, "invalid_request", http.StatusBadRequest,
		"The required field '%s' is missing from the credential. Ensure that you have all the necessary parameters for the login request.", name)
}

func errUserNotInTenant(login, homeTenantID, tenantName, appID, appName string) *Error {
	return newError(50020, "invalid_request", http.StatusBadRequest,
		"User account '%s' from identity provider 'https://sts.windows.net/%s/' does not exist in tenant '%s' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account.",
		login, homeTenantID, tenantName, appID, appName)
}

func errMalformedRequest(detail string) *Error {
	return newError(9002313, "invalid_request", http.StatusBadRequest,
		"Invalid request. Request is malformed or invalid. - [%s]", detail)
}

func errUnsupportedGrantType(gt string) *Error {
	return newError(70003, "unsupported_grant_type", http.StatusBadRequest,
		"The app requested an unsupported grant type '%s'.", gt)
}

func errPostOnly(method string) *Error {
	return newError(900561, "invalid_request", http.StatusBadRequest,
		"The endpoint only accepts POST, OPTIONS requests. Received a %s request.", method)
}

func errInvalidPrompt(p string) *Error {
	return newError(90023, "invalid_request", http.StatusBadRequest,
		"Invalid request. The 'prompt' parameter value '%s' is not supported.", p)
}

func errInvalidCodeChallengeMethod(m string) *Error {
	return newError(501491, "invalid_request", http.StatusBadRequest,
		"Invalid size of Code_Challenge parameter or invalid code_challenge_method '%s'.", m)
}

// wireTimestamp is the timestamp format of OAuth error bodies ("2021-10-29 17:16:31Z").
const wireTimestamp = "2006-01-02 15:04:05Z"

// description is error_description as Entra sends it: the AADSTS text and the trace block.
func (e *Error) description(ev *Event) string {
	return fmt.Sprintf("%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
		e.Error(), ev.ID, ev.CorrelationID, ev.Time.UTC().Format(wireTimestamp))
}

// errorURI is Entra's error lookup page for the code.
func (e *Error) errorURI() string {
	return "https://login.microsoftonline.com/error?code=" + strconv.Itoa(e.Code)
}

// tokenErrorBody is the token endpoint's JSON error, in Entra's field order.
type tokenErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
	Suberror         string `json:"suberror,omitempty"`
}

// writeTokenError renders e as the token endpoint's JSON error (400, or 401 for
// invalid_client) and records ev.
func (s *Server) writeTokenError(w http.ResponseWriter, e *Error, ev *Event) {
	s.prepareEvent(ev)
	s.fail(ev, e)
	status := http.StatusBadRequest
	if e.OAuth == "invalid_client" {
		status = http.StatusUnauthorized
	}
	body := tokenErrorBody{
		Error: e.OAuth, ErrorDescription: e.description(ev), ErrorCodes: []int{e.Code},
		Timestamp: ev.Time.UTC().Format(wireTimestamp), TraceID: ev.ID, CorrelationID: ev.CorrelationID,
		ErrorURI: e.errorURI(),
	}
	h := w.Header()
	h.Set("x-ms-request-id", ev.ID)
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm=""`)
	}
	writeJSON(w, status, body, true)
}

// prepareEvent gives ev its ID, correlation ID and time before rendering, so that the wire
// and the sign-in log carry the same values.
func (s *Server) prepareEvent(ev *Event) {
	if ev.ID == "" {
		ev.ID = s.rand.guid()
	}
	if ev.CorrelationID == "" {
		ev.CorrelationID = s.rand.guid()
	}
	if ev.Time.IsZero() {
		ev.Time = s.clock.Now()
	}
	ev.Protocol = "OIDC"
}

// writeJSON writes compact JSON (Entra's wire form) with the token endpoint's headers, or
// cacheable discovery headers when noStore is false.
func writeJSON(w http.ResponseWriter, status int, v any, noStore bool) {
	writeJSONBytes(w, status, encodeJSON(v), noStore)
}

// encodeJSON is v as writeJSON sends it.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Entra sends '&' and '<' literally in URLs
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// writeJSONBytes is writeJSON for a body already encoded by encodeJSON.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte, noStore bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if noStore {
		h.Set("Cache-Control", "no-store, no-cache")
		h.Set("Pragma", "no-cache")
		h.Set("Expires", "-1")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// oauthRedirect is where an authorize response (success or error) goes.
type oauthRedirect struct {
	uri   string
	mode  string // query, fragment, form_post
	state string
}

// send delivers params to the client in the response mode, with state last as Entra does.
func (s *Server) sendRedirect(w http.ResponseWriter, r *http.Request, to oauthRedirect, params [][2]string) {
	if to.state != "" {
		params = append(params, [2]string{"state", to.state})
	}
	switch to.mode {
	case "form_post":
		fields := make([]formField, len(params))
		for i, p := range params {
			fields[i] = formField{Name: p[0], Value: p[1]}
		}
		s.renderPostForm(w, to.uri, fields...)
		return
	}
	var enc bytes.Buffer
	for i, p := range params {
		if i > 0 {
			enc.WriteByte('&')
		}
		enc.WriteString(url.QueryEscape(p[0]) + "=" + url.QueryEscape(p[1]))
	}
	target := to.uri
	if to.mode == "fragment" {
		target += "#" + enc.String()
	} else {
		u, err := url.Parse(to.uri)
		if err != nil {
			target += "?" + enc.String()
		} else {
			if u.RawQuery != "" {
				u.RawQuery += "&" + enc.String()
			} else {
				u.RawQuery = enc.String()
			}
			target = u.String()
		}
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	http.Redirect(w, r, target, http.StatusFound)
}

// redirectError sends e to a trusted redirect URI in its response mode and records ev.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, to oauthRedirect, e *Error, ev *Event) {
	s.prepareEvent(ev)
	s.fail(ev, e)
	w.Header().Set("x-ms-request-id", ev.ID)
	s.sendRedirect(w, r, to, [][2]string{
		{"error", e.OAuth},
		{"error_description", e.description(ev)},
		{"error_uri", e.errorURI()},
	})
}

// oidcErrorPage renders e as Entra's HTML page (the redirect URI cannot be trusted).
func (s *Server) oidcErrorPage(w http.ResponseWriter, r *http.Request, e *Error, ev *Event) {
	s.prepareEvent(ev)
	s.renderErrorPage(w, r, e, ev)
}

// unix is a JWT NumericDate.
func unix(t time.Time) int64 { return t.Unix() }
