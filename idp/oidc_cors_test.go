package idp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// msalPreflightHeaders is what MSAL.js (msal-browser 3.x) asks to send on /token: its
// telemetry and correlation headers are not CORS-safelisted, so the browser preflights.
const msalPreflightHeaders = "client-request-id,content-type,x-client-current-telemetry,x-client-last-telemetry,x-client-sku,x-client-ver,x-ms-lib-capability"

// corsDo sends req from the SPA's origin and returns the answer, body read.
func corsDo(t *testing.T, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	req.Header.Set("Origin", spaOrigin)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestCORSPreflight sends the preflights a browser sends before reading the discovery
// documents and key sets (a GET with a non-safelisted header) and before a SPA's /token
// POST, then the actual requests, and checks that each answer lets the browser through.
func TestCORSPreflight(t *testing.T) {
	srv := startOIDC(t)
	c := srv.Client()
	base := srv.URL + "/" + contosoID
	for _, path := range []string{"/v2.0/.well-known/openid-configuration", "/.well-known/openid-configuration",
		"/discovery/v2.0/keys", "/discovery/keys"} {
		for _, tenant := range []string{contosoID, "common", "organizations"} {
			u := srv.URL + "/" + tenant + path
			req, _ := http.NewRequest(http.MethodOptions, u, nil)
			req.Header.Set("Access-Control-Request-Method", "GET")
			req.Header.Set("Access-Control-Request-Headers", "client-request-id")
			resp, b := corsDo(t, c, req)
			h := resp.Header
			if resp.StatusCode != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "*" ||
				h.Get("Access-Control-Allow-Methods") != "GET, OPTIONS" || h.Get("Access-Control-Allow-Headers") != "client-request-id" || len(b) != 0 {
				t.Errorf("preflight %s: %d %v %q", u, resp.StatusCode, h, b)
			}
			req, _ = http.NewRequest(http.MethodGet, u, nil)
			resp, b = corsDo(t, c, req)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !json.Valid(b) {
				t.Errorf("GET %s from a browser: %d %v", u, resp.StatusCode, resp.Header)
			}
		}
	}

	// /token: the preflight names the POST and MSAL's headers; the POST's answers, the
	// AADSTS errors included, are readable by the SPA's origin.
	tokenURL := base + "/oauth2/v2.0/token"
	req, _ := http.NewRequest(http.MethodOptions, tokenURL, nil)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", msalPreflightHeaders)
	resp, b := corsDo(t, c, req)
	h := resp.Header
	if resp.StatusCode != http.StatusOK || h.Get("Access-Control-Allow-Origin") != spaOrigin ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || h.Get("Access-Control-Allow-Headers") != msalPreflightHeaders || len(b) != 0 {
		t.Fatalf("token preflight: %d %v %q", resp.StatusCode, h, b)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {spaAppID}, "code": {"not-a-code"}, "redirect_uri": {spaRedir}}
	req, _ = http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, b = corsDo(t, c, req)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin || !strings.Contains(string(b), "AADSTS") {
		t.Errorf("a SPA's failed redemption is not readable cross-origin: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	// A server-side client (no Origin) gets no CORS headers, as in the captured /token answers.
	resp, err := c.PostForm(tokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("a /token answer without Origin has Access-Control-Allow-Origin %q", v)
	}
}
