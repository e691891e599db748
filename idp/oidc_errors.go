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

func errInvalidClientSecret(appID string) *Error { return ErrInvalidClientSecret.with(appID) }

func errExpiredClientSecret(appID string) *Error { return ErrExpiredClientSecret.with(appID) }

func errMissingClientSecret() *Error { return ErrMissingClientSecret.with() }

func errConsentRequired(appID, name string) *Error { return ErrConsentRequired.with(appID, name) }

func errCrossOriginNotSPA(origin string) *Error { return ErrCrossOriginNotSPA.with(origin) }

func errSPANotCrossOrigin() *Error { return ErrSPANotCrossOrigin.with() }

func errSPAPKCERequired() *Error { return ErrSPANeedsPKCE.with() }

func errPKCEMismatch() *Error { return ErrPKCEMismatch.with() }

func errPKCEInvalidVerifier() *Error { return ErrPKCEInvalidVerifier.with() }

func errResponseTypeDisabled(rt string) *Error { return ErrResponseTypeDisabled.with(rt) }

func errUnsupportedResponseType(rt string) *Error { return codeUnsupportedResponseType.with(rt) }

func errUnsupportedResponseMode(mode string) *Error { return ErrUnsupportedRespMode.with(mode) }

func errInvalidScope(scope string) *Error { return ErrInvalidScope.with(scope) }

func errCodeRedeemed() *Error { return ErrCodeRedeemed.with() }

func errGrantExpired() *Error { return ErrGrantExpired.with() }

func errInvalidGrant(what string) *Error { return ErrInvalidGrant.with(what) }

func errRedirectURIMismatched(got, want string) *Error {
	return ErrRedirectURIMismatched.with(got, want)
}

// errLoginRequired is the authorize endpoint's wording of AADSTS50058: the table's message
// and Entra's guess at why.
func errLoginRequired() *Error {
	e := errSessionExpired()
	e.Message += " The cookies used to represent the user's session were not sent in the request to Azure AD. This can happen if the user is using Internet Explorer or Edge, and the web app sending the silent sign-in request is in different IE security zone than the Azure AD endpoint (login.microsoftonline.com)."
	return e
}

func errNotMultiTenant(appID, name string) *Error { return ErrNotMultiTenant.with(appID, name) }

func errMissingParameter(name string) *Error { return ErrMissingParameter.with(name) }

func errMissingField(name string) *Error { return ErrMissingField.with(name) }

func errUserNotInTenant(login, homeTenantID, tenantName, appID, appName string) *Error {
	return ErrUserNotInTenant.with(login, homeTenantID, tenantName, appID, appName)
}

func errMalformedRequest(detail string) *Error { return ErrMalformedRequest.with(detail) }

func errUnsupportedGrantType(gt string) *Error { return ErrUnsupportedGrantType.with(gt) }

func errPostOnly(method string) *Error { return codeBadRequest.with(method) }

func errInvalidPrompt(p string) *Error { return codeInvalidPrompt.with(p) }

func errInvalidCodeChallengeMethod(m string) *Error { return codeInvalidCodeChallengeMethod.with(m) }

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
	Claims           string `json:"claims,omitempty"`
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
		ErrorURI: e.errorURI(), Suberror: e.Suberror, Claims: e.Claims,
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
	setShared(h, "Content-Type", hdrJSON) // shared values: headers.go
	setShared(h, "X-Content-Type-Options", hdrNosniff)
	if noStore {
		setShared(h, "Cache-Control", hdrNoStore)
		setShared(h, "Pragma", hdrNoCache)
		setShared(h, "Expires", hdrExpires)
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

func errResourceNotFound(res, tenant string) *Error { return ErrResourceNotFound.with(res, tenant) }
