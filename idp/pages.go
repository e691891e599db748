package idp

import (
	"embed"
	"html/template"
	"net/http"
	"strconv"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// errorPage is what Entra's "Sorry, but we're having trouble signing you in." page shows.
type errorPage struct {
	Code          int
	Message       string
	RequestID     string
	CorrelationID string
	Timestamp     string
}

// renderErrorPage records ev as a failure and writes Entra's HTML error page.
func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, e *Error, ev *Event) {
	if ev == nil {
		ev = &Event{}
	}
	ev.Status, ev.ErrorCode, ev.FailureReason = StatusFailure, e.Code, e.Message
	if e.Err != nil && ev.Detail == "" {
		ev.Detail = e.Err.Error()
	}
	s.record(ev)
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	p := errorPage{
		Code: e.Code, Message: e.Message, RequestID: ev.ID, CorrelationID: ev.CorrelationID,
		Timestamp: ev.Time.Format("2006-01-02T15:04:05Z"),
	}
	w.Header().Set("x-ms-request-id", ev.ID)
	s.renderPage(w, status, "error.html", p)
}

func (s *Server) renderPage(w http.ResponseWriter, status int, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, data)
}

// postForm is an auto-submitting HTML form (the HTTP-POST binding / form_post response mode).
type postForm struct {
	Action string
	Fields []formField
}

type formField struct{ Name, Value string }

func (s *Server) renderPostForm(w http.ResponseWriter, action string, fields ...formField) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(http.StatusOK)
	_ = pages.ExecuteTemplate(w, "post.html", postForm{Action: action, Fields: fields})
}

// loginPage is the sign-in page: the email step, then the password step.
type loginPage struct {
	Tenant     string
	AppName    string
	Action     string
	Ctx        string
	Login      string
	Step       string // "email" or "password"
	ErrorCode  int
	ErrorText  string
	RequestID  string
	Correlated string
}

func (p loginPage) Code() string { return strconv.Itoa(p.ErrorCode) }
