package idp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
)

// The fuzz targets that drive the server share one verdict: a request may be refused, but
// only the way Entra refuses one. The server recovers a handler's panic into an error page,
// so a panic shows only as an internal event in the log; a fuzz target that looked at the
// status alone passed with a planted panic.

// aadstsDesc is how an OAuth error_description begins.
var aadstsDesc = regexp.MustCompile(`^AADSTS\d+: `)

// serveFuzz serves one request on a server used by a fuzz target only, with an empty log, and
// fails the input when the answer is not one Entra gives (see checkEntraAnswer).
func serveFuzz(t *testing.T, srv *idp.Server, r *http.Request, input string) *httptest.ResponseRecorder {
	t.Helper()
	srv.ResetEvents()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, r)
	checkEntraAnswer(t, srv, rec, input)
	return rec
}

// checkEntraAnswer fails when the server panicked (an internal event), answered 5xx, or
// refused the request with anything but Entra's error: its HTML error page with an AADSTS
// code and the request ID, its OAuth JSON error (error, error_description "AADSTSnnnnn: …",
// error_codes), or an OAuth error redirect or form post to the app.
func checkEntraAnswer(t *testing.T, srv *idp.Server, rec *httptest.ResponseRecorder, input string) {
	t.Helper()
	if p := entraAnswerProblem(srv.Events(), rec.Code, rec.Header(), rec.Body.Bytes()); p != "" {
		t.Fatalf("%s, for %q", p, input)
	}
}

// entraAnswerProblem is checkEntraAnswer's verdict on one answer, given the events the request
// logged: "" when it is one Entra gives, else what is wrong. The malformed-input sweep
// (sweep_test.go) shares it, with answers read from a socket instead of a recorder.
func entraAnswerProblem(events []idp.Event, code int, h http.Header, b []byte) string {
	for _, ev := range events {
		if ev.Kind == idp.EventInternal {
			return "handler panicked: " + ev.Detail
		}
	}
	body := string(b)
	if code >= 500 {
		return fmt.Sprintf("status %d: %.300s", code, body)
	}
	if strings.Contains(body, "goroutine ") || strings.Contains(body, "runtime error") {
		return fmt.Sprintf("a stack trace or Go runtime error reached the client: %.300s", body)
	}
	ct := h.Get("Content-Type")
	switch {
	case code >= 300 && code < 400:
		loc, err := url.Parse(h.Get("Location"))
		if err != nil || h.Get("Location") == "" {
			return fmt.Sprintf("redirect %d without a usable Location", code)
		}
		// The fragment as sent (escaped): decoded first, an echoed "%s" in error_description
		// would no longer parse as a query and hide the description.
		for _, v := range []url.Values{loc.Query(), parseFragment(loc.EscapedFragment())} {
			if v.Get("error") != "" && !aadstsDesc.MatchString(v.Get("error_description")) {
				return "error redirect without Entra's error_description: " + loc.String()
			}
		}
	case code >= 400 && strings.HasPrefix(ct, "application/json"):
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
			Codes       []int  `json:"error_codes"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Error == "" || !aadstsDesc.MatchString(e.Description) || len(e.Codes) == 0 {
			return fmt.Sprintf("status %d JSON is not Entra's OAuth error: %.300s", code, body)
		}
	case code >= 400:
		rid := h.Get("x-ms-request-id")
		if !strings.HasPrefix(ct, "text/html") || !aadstsCode.MatchString(body) || rid == "" || !strings.Contains(body, rid) {
			return fmt.Sprintf("status %d (%s) is not Entra's error page (AADSTS code and Request Id): %.300s", code, ct, body)
		}
	case strings.Contains(body, `name="error"`) && !strings.Contains(body, "AADSTS"):
		return fmt.Sprintf("form-posted error without an AADSTS description: %.300s", body)
	}
	return ""
}

// aadstsCode is an AADSTS error code anywhere in a page.
var aadstsCode = regexp.MustCompile(`AADSTS\d+`)

func parseFragment(f string) url.Values {
	v, _ := url.ParseQuery(f)
	return v
}
