package idp

import (
	"net/http"
	"strconv"
	"time"
)

// graphError is Microsoft Graph's error envelope: {"error": {"code", "message", "innerError":
// {"date", "request-id", "client-request-id"}}}. userinfo, the sign-in log's paging and the
// mock's Graph (graph_*.go) all answer with it.
type graphError struct {
	Error graphErrorBody `json:"error"`
}

type graphErrorBody struct {
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	InnerError map[string]string `json:"innerError"`
}

// newGraphError is the envelope of one failed request; clientReqID is the caller's
// client-request-id header (Graph echoes it), or the request ID when there was none.
func newGraphError(code, msg string, at time.Time, reqID, clientReqID string) graphError {
	return graphError{Error: graphErrorBody{Code: code, Message: msg, InnerError: map[string]string{
		"date": at.UTC().Format("2006-01-02T15:04:05"), "request-id": reqID, "client-request-id": clientReqID}}}
}

// graphErr is a Graph failure on its way to the client.
type graphErr struct {
	status     int
	code, msg  string
	cause      error
	retryAfter int // seconds; 429 and 503 faults
}

// Graph's error answers to bad queries (400) and unknown objects (404).
func graphBadRequest(code, msg string) *graphErr {
	return &graphErr{status: http.StatusBadRequest, code: code, msg: msg}
}

func graphNotFound(id string) *graphErr {
	return &graphErr{status: http.StatusNotFound, code: "Request_ResourceNotFound",
		msg: "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present."}
}

// writeGraphError answers with Graph's envelope and records the request's event.
func (s *Server) writeGraphError(w http.ResponseWriter, gr *graphReq, e *graphErr) {
	ev := gr.ev
	ev.Status, ev.FailureReason = StatusFailure, e.code+": "+e.msg
	if e.cause != nil {
		ev.Detail = e.cause.Error()
	}
	h := w.Header()
	if e.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.base()+`/common/oauth2/authorize", client_id="`+graphAppID+`"`)
	}
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
		ev.Response["retryAfter"] = strconv.Itoa(e.retryAfter)
	}
	s.finishGraph(w, gr, e.status)
	writeJSON(w, e.status, newGraphError(e.code, e.msg, ev.Time, ev.ID, gr.clientReqID), true)
}
