package idp_test

import (
	"encoding/json"
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
	for _, ev := range srv.Events() {
		if ev.Kind == idp.EventInternal {
			t.Fatalf("handler panicked on %q: %s", input, ev.Detail)
		}
	}
	body := rec.Body.String()
	if rec.Code >= 500 {
		t.Fatalf("status %d for %q: %.300s", rec.Code, input, body)
	}
	if strings.Contains(body, "goroutine ") || strings.Contains(body, "runtime error") {
		t.Fatalf("a stack trace or Go runtime error reached the client for %q: %.300s", input, body)
	}
	ct := rec.Header().Get("Content-Type")
	switch {
	case rec.Code >= 300 && rec.Code < 400:
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil || rec.Header().Get("Location") == "" {
			t.Fatalf("redirect %d without a usable Location for %q", rec.Code, input)
		}
		for _, v := range []url.Values{loc.Query(), parseFragment(loc.Fragment)} {
			if v.Get("error") != "" && !aadstsDesc.MatchString(v.Get("error_description")) {
				t.Fatalf("error redirect without Entra's error_description for %q: %s", input, loc)
			}
		}
	case rec.Code >= 400 && strings.HasPrefix(ct, "application/json"):
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
			Codes       []int  `json:"error_codes"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" || !aadstsDesc.MatchString(e.Description) || len(e.Codes) == 0 {
			t.Fatalf("status %d JSON is not Entra's OAuth error for %q: %.300s", rec.Code, input, body)
		}
	case rec.Code >= 400:
		rid := rec.Header().Get("x-ms-request-id")
		if !strings.HasPrefix(ct, "text/html") || !regexp.MustCompile(`AADSTS\d+`).MatchString(body) || rid == "" || !strings.Contains(body, rid) {
			t.Fatalf("status %d (%s) is not Entra's error page (AADSTS code and Request Id) for %q: %.300s", rec.Code, ct, input, body)
		}
	case strings.Contains(body, `name="error"`) && !strings.Contains(body, "AADSTS"):
		t.Fatalf("form-posted error without an AADSTS description for %q: %.300s", input, body)
	}
}

func parseFragment(f string) url.Values {
	v, _ := url.ParseQuery(f)
	return v
}
