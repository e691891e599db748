package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client sends SCIM requests to one tenant URL with the secret token, as Entra's
// provisioning service does (Authorization: Bearer, Content-Type: application/scim+json).
type Client struct {
	// BaseURL is the tenant URL without Entra's query flags (idp.Provisioning.BaseURL).
	BaseURL string
	// Token is the secret token; empty sends no Authorization header.
	Token string
	// HTTP is the client to use; nil means one with a 30 s timeout.
	HTTP *http.Client
}

// Exchange is one request and its response as a provisioning log entry shows them.
type Exchange struct {
	Method string `json:"method"`
	// Path is relative to the tenant URL, with its query.
	Path        string          `json:"path"`
	RequestBody json.RawMessage `json:"requestBody,omitempty"`
	// Status is the HTTP status; 0 when no response came.
	Status       int             `json:"status"`
	ResponseBody json.RawMessage `json:"responseBody,omitempty"`
	// Error is the transport error, when no response came.
	Error string `json:"error,omitempty"`
}

// Do sends req and returns the exchange and the decoded JSON body (nil when there is none
// or it is not JSON).
func (c *Client) Do(ctx context.Context, req Request) (Exchange, map[string]any) {
	ex := Exchange{Method: req.Method, Path: req.Path}
	var body io.Reader
	if req.Body != nil {
		b, _ := json.Marshal(req.Body)
		ex.RequestBody = b
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, strings.TrimSuffix(c.BaseURL, "/")+req.Path, body)
	if err != nil {
		ex.Error = err.Error()
		return ex, nil
	}
	hr.Header.Set("Accept", "application/scim+json")
	if req.Body != nil {
		hr.Header.Set("Content-Type", "application/scim+json")
	}
	if c.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(hr)
	if err != nil {
		ex.Error = err.Error()
		return ex, nil
	}
	defer resp.Body.Close()
	ex.Status = resp.StatusCode
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var parsed map[string]any
	if len(bytes.TrimSpace(rb)) > 0 {
		if json.Unmarshal(rb, &parsed) == nil {
			ex.ResponseBody = rb
		} else {
			q, _ := json.Marshal(string(rb))
			ex.ResponseBody = q // not JSON: kept as a JSON string
		}
	}
	return ex, parsed
}

// Entra's provisioning log error codes ("How to analyze the provisioning logs", Error codes;
// the 400 code from the Workday-to-AD troubleshooting page). Codes marked unverified are
// the mock's names where the docs list none.
const (
	ErrEntryConflict        = "EntryConflict"
	ErrBadResponse          = "SystemForCrossDomainIdentityManagementBadResponse"
	ErrServiceIncompatible  = "SystemForCrossDomainIdentityManagementServiceIncompatible"
	ErrMultipleEntries      = "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse"
	ErrDuplicateTarget      = "DuplicateTargetEntries"
	ErrUnauthorized         = "Unauthorized"
	ErrInsufficientRights   = "InsufficientRights"
	ErrMethodNotAllowed     = "MethodNotAllowed"
	ErrInvalidAnchor        = "InvalidAnchor"
	ErrUnprocessableEntity  = "UnprocessableEntity"
	ErrTooManyRequests      = "TooManyRequests"
	ErrInternalServerError  = "InternalServerError"
	ErrNotImplemented       = "NotImplemented"
	ErrTimeout              = "Timeout"
	ErrWebExceptionProtocol = "WebExceptionProtocolError"
	// ErrServiceUnavailable (502, 503, 504) is unverified: the docs' table has no code for it.
	ErrServiceUnavailable = "ServiceUnavailable"
	// ErrCredentialValidation is what the portal's Test Connection reports when the query
	// fails (unverified wording of the code).
	ErrCredentialValidation = "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable"
	// ErrSkipped is the reason of a Skipped entry.
	ErrSkipped = "EntrySynchronizationSkipped"
)

// Classify names the error Entra's provisioning log would show for an exchange that did not
// succeed, with its reason, or "" when it succeeded (any 2xx). anchored: the request
// addressed an object by the SCIM id Entra keeps (a 404 then is InvalidAnchor). Checks use
// it to diagnose in the log's words.
func Classify(ex Exchange, anchored bool) (code, reason string) {
	if ex.Status == 0 {
		if strings.Contains(ex.Error, "Timeout") || strings.Contains(ex.Error, "deadline exceeded") {
			return ErrTimeout, "The operation could not be completed because the target application took too long to respond: " + ex.Error
		}
		return ErrWebExceptionProtocol, "An HTTP protocol error occurred in connecting to the target application: " + ex.Error
	}
	if ex.Status >= 200 && ex.Status < 300 {
		return "", ""
	}
	detail := scimDetail(ex.ResponseBody)
	msg := func(code string) string {
		return fmt.Sprintf("Failed to %s in the application: StatusCode: %d %s. %s", verb(ex.Method), ex.Status, http.StatusText(ex.Status), detail)
	}
	switch ex.Status {
	case http.StatusBadRequest:
		return ErrBadResponse, msg(ErrBadResponse)
	case http.StatusUnauthorized:
		return ErrUnauthorized, msg(ErrUnauthorized) + " Check the Secret Token."
	case http.StatusForbidden:
		return ErrInsufficientRights, msg(ErrInsufficientRights)
	case http.StatusNotFound:
		if anchored {
			return ErrInvalidAnchor, "A user or group that was previously created or matched by the provisioning service no longer exists in the application. " + msg(ErrInvalidAnchor)
		}
		return ErrBadResponse, msg(ErrBadResponse)
	case http.StatusMethodNotAllowed:
		return ErrMethodNotAllowed, msg(ErrMethodNotAllowed)
	case http.StatusConflict:
		return ErrEntryConflict, "The application reports that the object already exists (HTTP 409 Conflict). Correct the conflicting attribute values, or review the matching attribute so that the existing object is matched. " + msg(ErrEntryConflict)
	case http.StatusUnprocessableEntity:
		return ErrUnprocessableEntity, msg(ErrUnprocessableEntity)
	case http.StatusTooManyRequests:
		return ErrTooManyRequests, msg(ErrTooManyRequests) + " The attempt is retried."
	case http.StatusNotImplemented:
		return ErrNotImplemented, msg(ErrNotImplemented)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return ErrServiceUnavailable, msg(ErrServiceUnavailable)
	}
	if ex.Status >= 500 {
		return ErrInternalServerError, msg(ErrInternalServerError) + " This attempt is retried in 40 minutes."
	}
	return ErrBadResponse, msg(ErrBadResponse)
}

func verb(method string) string {
	switch method {
	case "POST":
		return "create the object"
	case "PATCH":
		return "update the object"
	case "DELETE":
		return "delete the object"
	}
	return "query the object"
}

// scimDetail is the detail (or scimType) of a SCIM error body, if any.
func scimDetail(b json.RawMessage) string {
	var e struct {
		Detail   string `json:"detail"`
		ScimType string `json:"scimType"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	if e.ScimType != "" {
		return strings.TrimSpace(e.Detail + " (scimType " + e.ScimType + ")")
	}
	return e.Detail
}
