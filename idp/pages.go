package idp

import (
	"bytes"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	setShared(h, "Content-Type", hdrHTML)
	setShared(h, "Cache-Control", hdrNoStore)
	setShared(h, "X-Frame-Options", hdrDeny)
	setShared(h, "X-Content-Type-Options", hdrNosniff)
	w.WriteHeader(status)
	if p, ok := data.(loginPage); ok && name == "login.html" {
		if b := s.loginPages.render(p); b != nil {
			_, _ = w.Write(b)
			return
		}
	}
	_ = pages.ExecuteTemplate(w, name, data)
}

// loginPageCache keeps login.html as rendered for a page without an error, with the flow
// handle left as a marker: what differs between two sign-ins of one app and user is then
// only the handle, spliced in per request instead of executing the template (which was
// about a fifth of what a SAML sign-in cost besides its signature).
type loginPageCache struct {
	mu    sync.Mutex
	pages map[loginPage][2]string // page with Ctx = "" -> output before and after the handle
}

// loginCtxMarker stands for the flow handle while a page is cached; like a handle, it has
// nothing the template escapes.
const loginCtxMarker = "0ctx0marker0"

// render returns the page, or nil when it is not one the cache serves: an error page
// (it carries a Request Id of its own) or a handle that is not plain base64url (a sealed
// flow: nothing in it the template escapes).
func (c *loginPageCache) render(p loginPage) []byte {
	if p.ErrorCode != 0 || p.Ctx == "" || strings.Trim(p.Ctx, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") != "" {
		return nil
	}
	ctx := p.Ctx
	p.Ctx = ""
	c.mu.Lock()
	parts, ok := c.pages[p]
	c.mu.Unlock()
	if !ok {
		p.Ctx = loginCtxMarker
		var b strings.Builder
		if err := pages.ExecuteTemplate(&b, "login.html", p); err != nil {
			return nil
		}
		before, after, found := strings.Cut(b.String(), loginCtxMarker)
		if !found || strings.Contains(after, loginCtxMarker) {
			return nil // the handle is not shown exactly once: render every time
		}
		parts = [2]string{before, after}
		p.Ctx = ""
		c.mu.Lock()
		if c.pages == nil || len(c.pages) >= 256 {
			c.pages = map[loginPage][2]string{} // bounded: logins are typed by users
		}
		c.pages[p] = parts
		c.mu.Unlock()
	}
	out := make([]byte, 0, len(parts[0])+len(ctx)+len(parts[1]))
	return append(append(append(out, parts[0]...), ctx...), parts[1]...)
}

// postForm is an auto-submitting HTML form (the HTTP-POST binding / form_post response mode).
type postForm struct {
	Action string
	Fields []formField
}

// formField is one hidden input. With b64 set, the value is its Base64 encoding (a SAML
// message), which the page writer encodes in place instead of holding it as a string too.
type formField struct {
	Name, Value string
	b64         []byte
}

// value is the field's value as the template shows it.
func (f formField) value() string {
	if f.b64 != nil {
		return base64.StdEncoding.EncodeToString(f.b64)
	}
	return f.Value
}

func (s *Server) renderPostForm(w http.ResponseWriter, action string, fields ...formField) {
	h := w.Header()
	setShared(h, "Content-Type", hdrHTML)
	setShared(h, "Cache-Control", hdrNoStore)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.postFormPage(action, fields))
}

// postFormPage is post.html executed for action and fields. The template's work per page is
// mostly escaping the ~8 KB SAMLResponse value through reflection; the page is therefore
// assembled from the template's own output around sentinel values (taken once), the action
// as the template escapes it (cached: Reply URLs and redirect URIs are few), and field names
// and values escaped as the template escapes attribute values. TestPostFormPageMatchesTemplate
// holds it to the template's bytes.
func (s *Server) postFormPage(action string, fields []formField) []byte {
	parts := postParts()
	esc, ok := s.postActions.get(action)
	if parts == nil || !ok {
		fields = slices.Clone(fields)
		for i := range fields {
			fields[i] = formField{Name: fields[i].Name, Value: fields[i].value()}
		}
		var buf bytes.Buffer
		_ = pages.ExecuteTemplate(&buf, "post.html", postForm{Action: action, Fields: fields})
		if parts != nil {
			if b := buf.Bytes(); len(fields) == 0 && bytes.HasPrefix(b, []byte(parts.head)) && bytes.HasSuffix(b, []byte(parts.none)) {
				s.postActions.put(action, string(b[len(parts.head):len(b)-len(parts.none)]))
			} else {
				var nb bytes.Buffer
				_ = pages.ExecuteTemplate(&nb, "post.html", postForm{Action: action})
				if b := nb.Bytes(); bytes.HasPrefix(b, []byte(parts.head)) && bytes.HasSuffix(b, []byte(parts.none)) {
					s.postActions.put(action, string(b[len(parts.head):len(b)-len(parts.none)]))
				}
			}
		}
		return buf.Bytes()
	}
	n := len(parts.head) + len(esc) + len(parts.none) + len(parts.tail)
	for _, f := range fields {
		n += len(parts.between) + len(f.Name) + len(parts.nameValue) + len(f.Value) + 16
		if f.b64 != nil {
			n += base64.StdEncoding.EncodedLen(len(f.b64)) * 17 / 16 // about one '+' in 64 becomes "&#43;"
		}
	}
	b := make([]byte, 0, n)
	b = append(b, parts.head...)
	b = append(b, esc...)
	if len(fields) == 0 {
		return append(b, parts.none...)
	}
	for i, f := range fields {
		if i == 0 {
			b = append(b, parts.first...)
		} else {
			b = append(b, parts.between...)
		}
		b = appendAttrEscaped(b, f.Name)
		b = append(b, parts.nameValue...)
		if f.b64 != nil {
			enc := b64Scratch.Get().(*[]byte)
			*enc = base64.StdEncoding.AppendEncode((*enc)[:0], f.b64)
			b = appendAttrEscaped(b, *enc)
			b64Scratch.Put(enc)
		} else {
			b = appendAttrEscaped(b, f.Value)
		}
	}
	return append(b, parts.tail...)
}

// b64Scratch holds Base64 text on its way into a page.
var b64Scratch = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// htmlAttrReplacement is html/template's escaping of a quoted attribute value
// (htmlReplacementTable in html/template/html.go): only these ASCII characters change.
var htmlAttrReplacement = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// htmlAttrSpecial marks the bytes htmlAttrReplacement replaces.
var htmlAttrSpecial = func() (t [256]bool) {
	for c, r := range htmlAttrReplacement {
		t[c] = r != ""
	}
	return t
}()

// appendAttrEscaped appends s escaped as html/template escapes a plain string in a quoted
// attribute value. Bytes of multi-byte (or invalid) UTF-8 are all ≥ 0x80 and pass unchanged,
// as they do there.
func appendAttrEscaped[S ~string | ~[]byte](dst []byte, s S) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; htmlAttrSpecial[c] {
			dst = append(dst, s[last:i]...)
			dst = append(dst, htmlAttrReplacement[c]...)
			last = i + 1
		}
	}
	return append(dst, s[last:]...)
}

// postFormParts is post.html cut at its values:
// head ACTION (none | first NAME nameValue VALUE {between NAME nameValue VALUE} tail).
type postFormParts struct {
	head, none, first, nameValue, between, tail string
}

var postPartsOnce = sync.OnceValue(func() *postFormParts {
	const action, n1, v1, n2, v2 = "zqACTIONqz", "zqNAME1qz", "zqVALUE1qz", "zqNAME2qz", "zqVALUE2qz"
	render := func(fields ...formField) string {
		var b strings.Builder
		if err := pages.ExecuteTemplate(&b, "post.html", postForm{Action: action, Fields: fields}); err != nil {
			return ""
		}
		return b.String()
	}
	cut := func(s string, seps ...string) []string {
		var out []string
		for _, sep := range seps {
			before, after, ok := strings.Cut(s, sep)
			if !ok || strings.Contains(after, sep) {
				return nil
			}
			out, s = append(out, before), after
		}
		return append(out, s)
	}
	two := cut(render(formField{Name: n1, Value: v1}, formField{Name: n2, Value: v2}), action, n1, v1, n2, v2)
	none := cut(render(), action)
	if two == nil || none == nil || two[0] != none[0] {
		return nil // the template no longer has this shape: render it every time
	}
	p := &postFormParts{head: two[0], first: two[1], nameValue: two[2], between: two[3], tail: two[5], none: none[1]}
	if two[4] != p.nameValue {
		return nil
	}
	// The cut must reproduce a render it was not taken from.
	if one := render(formField{Name: n1, Value: v1}); one != p.head+action+p.first+n1+p.nameValue+v1+p.tail {
		return nil
	}
	return p
})

func postParts() *postFormParts { return postPartsOnce() }

// postActionCache maps a form action to its escaped form in post.html.
type postActionCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *postActionCache) get(action string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[action]
	return v, ok
}

func (c *postActionCache) put(action, escaped string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 256 {
		c.m = map[string]string{} // bounded, however many URLs the directory has
	}
	c.m[action] = escaped
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
