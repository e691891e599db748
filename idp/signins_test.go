package idp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// signInsPage is the body of GET /_mockidp/signins.
type signInsPage struct {
	Value    []idp.Event `json:"value"`
	NextLink string      `json:"@odata.nextLink"`
}

func getSignIns(t *testing.T, srv *idp.Server, rawURL, host, token string) (int, signInsPage, string) {
	t.Helper()
	req := httptest.NewRequest("GET", rawURL, nil)
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var page signInsPage
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("not JSON: %v\n%.300s", err, rec.Body)
		}
	}
	return rec.Code, page, rec.Body.String()
}

// TestSignInsLogBoundsValues: a 900 KB appid (and tenant, RelayState) is logged cut to the
// bound, with its original length in Truncated, and a RelayState over 8 KiB is refused with
// AADSTS90015 while one of a few hundred bytes (over the bindings' 80) is accepted.
func TestSignInsLogBoundsValues(t *testing.T) {
	srv := idptest.Start(t)
	huge := strings.Repeat("é", 450<<10) // 900 KB, two bytes a character: the cut must not split one
	// In-process: over the network the server's header limit refuses such a request line.
	srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/myapps/signin/"+url.PathEscape(huge), nil))
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	raw, _ := json.Marshal(ev)
	if len(raw) > 32<<10 {
		t.Errorf("the event is %d bytes of JSON for a 900 KB appid, want it bounded (≤ 32 KiB)", len(raw))
	}
	// The unknown app's ID is in the failure reason (AADSTS700016 quotes it).
	if ev.Truncated["failureReason"] < len(huge) {
		t.Errorf("Truncated = %v, want failureReason's original length (≥ %d)", ev.Truncated, len(huge))
	}
	if r := ev.FailureReason; !strings.HasSuffix(r, "…") || len(r) > 1<<10+len("…") || !strings.Contains(r, "éé") || !utf8.ValidString(r) {
		t.Errorf("failureReason logged as %d bytes %.80q…, want at most 1 KiB, cut between characters, ending in …", len(r), r)
	}

	cfg := srv.Config()
	saml2 := srv.LoginURL(cfg.Tenants[0])
	app := cfg.Tenants[0].EnterpriseApps[0]
	authn := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + app.SAML.Identifiers[0].Value + `</Issuer></samlp:AuthnRequest>`
	for _, tc := range []struct {
		relay string
		code  int
	}{
		{strings.Repeat("r", 300), 0},         // over SAML's 80 bytes: Entra takes it, so does the mock
		{strings.Repeat("r", 8<<10+1), 90015}, // over 8 KiB: "Requested query string is too long"
	} {
		srv.ResetEvents()
		form := url.Values{"SAMLRequest": {malPOST(authn)}, "RelayState": {tc.relay}}
		resp, err := http.PostForm(saml2, form)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ev := srv.Events()[0]
		if ev.ErrorCode != tc.code {
			t.Errorf("RelayState of %d bytes: AADSTS%d (%s), want %d", len(tc.relay), ev.ErrorCode, ev.FailureReason, tc.code)
		}
		if got := ev.Request["RelayState"]; tc.code == 90015 && (ev.Truncated["request.RelayState"] != len(tc.relay) || len(got) > 1<<10+len("…")) {
			t.Errorf("refused RelayState logged as %d bytes, Truncated %v", len(got), ev.Truncated)
		}
	}
}

// TestSignInsPaging pages the log with $top and the nextLink's $skiptoken, as Graph's
// signIns API, and refuses a bad $top with Graph's error.
func TestSignInsPaging(t *testing.T) {
	srv := idptest.Start(t)
	for range 7 {
		resp, err := http.Get(srv.URL + "/nowhere")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var ids []string
	next := srv.URL + "/_mockidp/signins?$top=3"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatalf("more than 3 pages of 3 for 7 events; next %s", next)
		}
		code, page, body := getSignIns(t, srv, next, "", "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, code, body)
		}
		if len(page.Value) > 3 {
			t.Fatalf("%d events on a page of $top=3", len(page.Value))
		}
		for _, e := range page.Value {
			ids = append(ids, e.ID)
		}
		next = page.NextLink
	}
	all := srv.Events()
	if len(ids) != len(all) {
		t.Fatalf("paged %d events, the log has %d", len(ids), len(all))
	}
	for i, e := range all {
		if ids[i] != e.ID {
			t.Fatalf("event %d: paged %s, log %s (order differs)", i, ids[i], e.ID)
		}
	}
	for _, q := range []string{"$top=0", "$top=1001", "$top=x", "$skiptoken=zz"} {
		code, _, body := getSignIns(t, srv, srv.URL+"/_mockidp/signins?"+q, "", "")
		if code != http.StatusBadRequest || !strings.Contains(body, `"code":"BadRequest"`) {
			t.Errorf("?%s: %d %s, want Graph's 400 BadRequest", q, code, body)
		}
	}
}

// TestSignInsOwnerOnly: the log and the control API refuse a foreign Host (DNS rebinding),
// and the log needs the control token once one is set.
func TestSignInsOwnerOnly(t *testing.T) {
	const token = "owner-only-test-token"
	cfg := idp.DefaultConfig()
	cfg.ControlAPI = &idp.ControlAPI{Token: token}
	cfg.PublicURL = "http://login.entra-mock.test:7443"
	srv := idptest.Start(t, idp.WithConfig(cfg))
	log := srv.URL + "/_mockidp/signins"
	for _, tc := range []struct {
		host, token string
		want        int
	}{
		{"login.entra-mock.test:7443", token, http.StatusOK},
		{"LOGIN.entra-mock.test", token, http.StatusOK},
		{"localhost:9999", token, http.StatusOK},
		{"127.0.0.1:7443", token, http.StatusOK},
		{"[::1]:7443", token, http.StatusOK},
		{"attacker.example:7443", token, http.StatusMisdirectedRequest},
		{"login.entra-mock.test.attacker.example", token, http.StatusMisdirectedRequest},
		{"", token, http.StatusMisdirectedRequest},
		{"localhost", "", http.StatusUnauthorized},
		{"localhost", "wrong-token-0123456789", http.StatusUnauthorized},
	} {
		req := httptest.NewRequest("GET", log, nil)
		req.Host = tc.host
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("Host %q, token %q: %d %.200s, want %d", tc.host, tc.token, rec.Code, rec.Body, tc.want)
		}
		if rec.Code != http.StatusOK && !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("Host %q: refusal is not the mock's JSON error: %.200s", tc.host, rec.Body)
		}
	}
	// The control API: the same Host check, before the token.
	req := httptest.NewRequest("GET", srv.URL+"/_mockidp/faults", nil)
	req.Host = "rebound.attacker.example"
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusMisdirectedRequest {
		t.Errorf("control API, foreign Host: %d, want 421", rec.Code)
	}
}

// TestSignInsNeedTokenOffLoopback: a server listening on all interfaces with no control
// token refuses the log.
func TestSignInsNeedTokenOffLoopback(t *testing.T) {
	srv := idptest.Start(t, idp.WithAddr("0.0.0.0:0"))
	code, _, body := getSignIns(t, srv, srv.URL+"/_mockidp/signins", "localhost", "")
	if code != http.StatusForbidden || !strings.Contains(body, "control token") {
		t.Errorf("no token, bound to 0.0.0.0: %d %s, want 403", code, body)
	}
}
