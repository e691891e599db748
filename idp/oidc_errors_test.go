package idp_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssoharness/ssoharness/idp"
)

var oidcDescRE = regexp.MustCompile(`^AADSTS(\d+): .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)

// assertTokenError checks an x/oauth2 error against Entra's token-endpoint JSON shape.
func assertTokenError(t *testing.T, err error, oauthErr string, code, status int) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want a token error, got %v", err)
	}
	checkTokenBody(t, re.Response.StatusCode, re.Body, oauthErr, code, status)
}

func checkTokenBody(t *testing.T, gotStatus int, body []byte, oauthErr string, code, status int) {
	t.Helper()
	var b struct {
		Error, ErrorDescription                     string
		ErrorCodes                                  []int
		Timestamp, TraceID, CorrelationID, ErrorURI string
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	keys := []string{"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}
	for _, k := range keys {
		if raw[k] == nil {
			t.Errorf("error body lacks %s: %s", k, body)
		}
	}
	_ = json.Unmarshal(raw["error"], &b.Error)
	_ = json.Unmarshal(raw["error_description"], &b.ErrorDescription)
	_ = json.Unmarshal(raw["error_codes"], &b.ErrorCodes)
	_ = json.Unmarshal(raw["error_uri"], &b.ErrorURI)
	if gotStatus != status || b.Error != oauthErr || len(b.ErrorCodes) != 1 || b.ErrorCodes[0] != code ||
		!oidcDescRE.MatchString(b.ErrorDescription) || !strings.HasPrefix(b.ErrorDescription, fmt.Sprintf("AADSTS%d:", code)) ||
		b.ErrorURI != fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", code) {
		t.Errorf("want %d %s AADSTS%d, got %d %s", status, oauthErr, code, gotStatus, body)
	}
}

// assertRedirectError checks an error delivered to the redirect URI.
func assertRedirectError(t *testing.T, srv *idp.Server, res oidcResult, oauthErr string, code int) {
	t.Helper()
	p := res.params()
	if p.Get("error") != oauthErr || !oidcDescRE.MatchString(p.Get("error_description")) ||
		!strings.HasPrefix(p.Get("error_description"), fmt.Sprintf("AADSTS%d:", code)) {
		t.Errorf("want redirect error %s AADSTS%d, got %v %v %.300q", oauthErr, code, res.location, p, res.body)
	}
	assertLogged(t, srv, "authorize", code)
}

// assertPage checks Entra's HTML error page.
func assertPage(t *testing.T, srv *idp.Server, res oidcResult, code int) {
	t.Helper()
	if res.location != nil || res.resp.StatusCode < 400 || !strings.Contains(res.body, fmt.Sprintf("AADSTS%d", code)) {
		t.Errorf("want the error page with AADSTS%d, got %d %v %.300q", code, res.resp.StatusCode, res.location, res.body)
	}
	assertLogged(t, srv, "", code)
}

func assertLogged(t *testing.T, srv *idp.Server, kind idp.EventKind, code int) {
	t.Helper()
	for _, e := range srv.Events() {
		if e.ErrorCode == code && (kind == "" || e.Kind == kind) && e.Protocol == "OIDC" {
			return
		}
	}
	t.Errorf("no OIDC %s event with AADSTS%d in the sign-in log", kind, code)
}

func TestOIDCAuthorizeErrors(t *testing.T) {
	srv := startOIDC(t)
	base := srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize?"
	q := func(kv ...string) string {
		v := url.Values{"client_id": {webAppID}, "redirect_uri": {webRedir}, "response_type": {"code"}, "scope": {"openid profile"}, "state": {"s"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v.Encode()
	}
	pages := []struct {
		url  string
		code int
	}{
		{base + q("redirect_uri", "https://rp.example.test/other"), 50011},
		{base + q("client_id", "0b0b0b0b-0000-4000-8000-000000000000"), 700016},
		{srv.URL + "/common/oauth2/v2.0/authorize?" + q(), 50194},
		{base + q("client_id", ""), 900144},
		{srv.URL + "/nosuch.example/oauth2/v2.0/authorize?" + q(), 90002},
		{base + q() + "&client_id=" + webAppID, 9002313},
	}
	for _, p := range pages {
		assertPage(t, srv, oidcAuthorize(t, oidcBrowser(srv), srv, p.url, bSimon), p.code)
	}
	redirects := []struct {
		url, err string
		code     int
	}{
		{base + q("response_type", "id_token", "client_id", spaAppID, "redirect_uri", spaRedir, "nonce", "n"), "unsupported_response_type", 700054},
		{base + q("response_mode", "bogus"), "invalid_request", 70007},
		{base + q("scope", "openid bad<scope>"), "invalid_scope", 70011},
		{base + q("scope", ""), "invalid_request", 900144},
		{base + q("prompt", "none"), "login_required", 50058},
		{base + q("client_id", gatedAppID), "access_denied", 65004}, // the consent page, posted without Accept: Cancel
	}
	for _, r := range redirects {
		assertRedirectError(t, srv, oidcAuthorize(t, oidcBrowser(srv), srv, r.url, bSimon), r.err, r.code)
	}
}

func TestOIDCUserNotAssignedAndNotInTenant(t *testing.T) {
	srv := startOIDC(t)
	cfg := srv.Config()
	gated := cfg.Tenants[0].AppRegistration(gatedAppID)
	yes := true
	gated.AdminConsentGranted = &yes
	u := srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize?" + url.Values{"client_id": {gatedAppID}, "redirect_uri": {webRedir},
		"response_type": {"code"}, "scope": {"openid"}}.Encode()
	assertPage(t, srv, oidcAuthorize(t, oidcBrowser(srv), srv, u, "eve@contoso.onmicrosoft.com"), 50105)
	// 50020: the request is accepted through /common for a multi-tenant app, then the app
	// becomes single-tenant before a fabrikam user finishes signing in.
	multi := cfg.Tenants[0].AppRegistration(multiAppID)
	b := oidcBrowser(srv)
	resp, err := b.Get(srv.URL + "/common/oauth2/v2.0/authorize?" + url.Values{"client_id": {multiAppID}, "redirect_uri": {webRedir},
		"response_type": {"code"}, "scope": {"openid"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	action, v := oidcFormOf(t, oidcRead(t, resp))
	multi.SignInAudience = idp.AudienceMyOrg
	v.Set("login", fabUser)
	v.Set("step", "password")
	v.Set("passwd", bPassword)
	resp, err = b.PostForm(srv.URL+action, v)
	if err != nil {
		t.Fatal(err)
	}
	assertPage(t, srv, oidcResult{resp: resp, body: oidcRead(t, resp)}, 50020)
}

func TestOIDCTokenErrors(t *testing.T) {
	srv := startOIDC(t)
	c := srv.Client()
	tokenURL := srv.URL + "/" + contosoID + "/oauth2/v2.0/token"
	code := func(clientID, redirect string, opts ...oauth2.AuthCodeOption) string {
		u := srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize?" + url.Values{"client_id": {clientID}, "redirect_uri": {redirect},
			"response_type": {"code"}, "scope": {"openid offline_access"}}.Encode()
		cfg := oauth2.Config{ClientID: clientID, RedirectURL: redirect, Scopes: []string{"openid", "offline_access"},
			Endpoint: oauth2.Endpoint{AuthURL: srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize"}}
		if len(opts) > 0 {
			u = cfg.AuthCodeURL("s", opts...)
		}
		res := oidcAuthorize(t, oidcBrowser(srv), srv, u, bSimon)
		return res.params().Get("code")
	}
	post := func(form url.Values, hdr ...string) (int, []byte) {
		req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, []byte(oidcRead(t, resp))
	}
	web := func(extra ...string) url.Values {
		v := url.Values{"grant_type": {"authorization_code"}, "client_id": {webAppID}, "redirect_uri": {webRedir}, "client_secret": {webSecret}}
		for i := 0; i < len(extra); i += 2 {
			if extra[i+1] == "" {
				v.Del(extra[i])
			} else {
				v.Set(extra[i], extra[i+1])
			}
		}
		return v
	}
	verifier := oauth2.GenerateVerifier()
	cases := []struct {
		name   string
		run    func() (int, []byte)
		err    string
		code   int
		status int
	}{
		{"wrong secret", func() (int, []byte) { return post(web("code", code(webAppID, webRedir), "client_secret", "nope")) }, "invalid_client", 7000215, 401},
		{"expired secret", func() (int, []byte) { return post(web("code", code(webAppID, webRedir), "client_secret", oldSecret)) }, "invalid_client", 7000222, 401},
		{"no secret", func() (int, []byte) { return post(web("code", code(webAppID, webRedir), "client_secret", "")) }, "invalid_client", 7000218, 401},
		{"cross-origin web", func() (int, []byte) {
			return post(web("code", code(webAppID, webRedir)), "Origin", spaOrigin)
		}, "invalid_request", 9002326, 400},
		{"spa without origin", func() (int, []byte) {
			return post(url.Values{"grant_type": {"authorization_code"}, "client_id": {spaAppID}, "redirect_uri": {spaRedir},
				"code": {code(spaAppID, spaRedir, oauth2.S256ChallengeOption(verifier))}, "code_verifier": {verifier}})
		}, "invalid_request", 9002327, 400},
		{"pkce mismatch", func() (int, []byte) {
			return post(web("code", code(webAppID, webRedir, oauth2.S256ChallengeOption(verifier)), "code_verifier", oauth2.GenerateVerifier()))
		}, "invalid_grant", 50148, 400},
		{"pkce verifier missing", func() (int, []byte) {
			return post(web("code", code(webAppID, webRedir, oauth2.S256ChallengeOption(verifier))))
		}, "invalid_grant", 501481, 400},
		{"expired code", func() (int, []byte) {
			cd := code(webAppID, webRedir)
			srv.Clock().Advance(11 * 60e9)
			defer srv.Clock().Advance(-11 * 60e9)
			return post(web("code", cd))
		}, "invalid_grant", 70008, 400},
		{"no grant_type", func() (int, []byte) { return post(url.Values{"client_id": {webAppID}}) }, "invalid_request", 900144, 400},
		{"unsupported grant", func() (int, []byte) { return post(web("grant_type", "password")) }, "unsupported_grant_type", 70003, 400},
		{"cc scope", func() (int, []byte) {
			return post(url.Values{"grant_type": {"client_credentials"}, "client_id": {webAppID}, "client_secret": {webSecret}, "scope": {"User.Read"}})
		}, "invalid_scope", 70011, 400},
		{"unknown client", func() (int, []byte) { return post(web("client_id", "0b0b0b0b-0000-4000-8000-000000000000")) }, "unauthorized_client", 700016, 400},
		{"bad basic base64", func() (int, []byte) { return post(web("client_secret", ""), "Authorization", "Basic !!!") }, "invalid_request", 9002313, 400},
		{"duplicate param", func() (int, []byte) {
			v := web("code", "x")
			v.Add("code", "y")
			return post(v)
		}, "invalid_request", 9002313, 400},
		{"json body", func() (int, []byte) {
			req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(`{"grant_type":"client_credentials"`))
			req.Header.Set("Content-Type", "application/json")
			resp, _ := c.Do(req)
			return resp.StatusCode, []byte(oidcRead(t, resp))
		}, "invalid_request", 900144, 400},
		{"get", func() (int, []byte) {
			resp, _ := c.Get(tokenURL)
			return resp.StatusCode, []byte(oidcRead(t, resp))
		}, "invalid_request", 900561, 400},
		{"unknown tenant", func() (int, []byte) {
			resp, _ := c.PostForm(srv.URL+"/nope.example/oauth2/v2.0/token", web())
			return resp.StatusCode, []byte(oidcRead(t, resp))
		}, "invalid_tenant", 90002, 400},
		{"missing field code", func() (int, []byte) { return post(web()) }, "invalid_request", 900144, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, body := tc.run()
			checkTokenBody(t, st, body, tc.err, tc.code, tc.status)
			assertLogged(t, srv, "", tc.code)
		})
	}
	_ = base64.StdEncoding
	_ = oidc.ScopeOpenID
}
