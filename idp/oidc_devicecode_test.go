package idp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// deviceAppID is a public client ("Allow public client flows": isFallbackPublicClient), as a
// CLI that signs in by device code is registered.
const deviceAppID = "aaaaaaaa-0000-4000-8000-000000000005"

// deviceTestConfig is oidcTestConfig with the public client "Contoso CLI".
func deviceTestConfig() *idp.Config {
	cfg := oidcTestConfig()
	cfg.Tenants[0].AppRegistrations = append(cfg.Tenants[0].AppRegistrations, &idp.AppRegistration{
		AppID: deviceAppID, DisplayName: "Contoso CLI", IsFallbackPublicClient: true,
		PublicClient: idp.RedirectPlatform{RedirectURIs: []string{"http://localhost"}},
	})
	return cfg
}

// approveDevice does in a browser what the user of a device code does: opens the mock's
// verification URI, enters the code, signs in as login and presses button ("continue" or
// "cancel") on "Are you trying to sign in to …?". It returns the last page.
func approveDevice(t *testing.T, b *idptest.Browser, verificationURI, userCode, login, button string) *idptest.Page {
	t.Helper()
	p, err := b.Get(verificationURI)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = b.Submit(p, "code-form", map[string]string{"otc": userCode}); err != nil {
		t.Fatal(err)
	}
	if p, err = b.Continue(p, login, bPassword); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Form(button + "-form"); !ok {
		t.Fatalf("no %s button after sign-in: %s", button, oidcTrunc(p.String()))
	}
	if p, err = b.Submit(p, button+"-form", nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeviceCodeFlow drives the device authorization grant with golang.org/x/oauth2's RFC
// 8628 client (endpoint from the v2 discovery document through go-oidc) and a browser.
func TestDeviceCodeFlow(t *testing.T) {
	t.Parallel() // a server of its own; mostly waiting on the client's polling interval
	srv := idptest.StartTLS(t, idp.WithConfig(deviceTestConfig()))
	ctx := oidcRPContext(srv.Client())
	prov, err := oidc.NewProvider(ctx, srv.URL+"/"+contosoID+"/v2.0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: deviceAppID, Endpoint: prov.Endpoint(), Scopes: []string{"openid", "profile", "offline_access", "User.Read"}}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams // a public client: no Basic header
	if cfg.Endpoint.DeviceAuthURL != srv.URL+"/"+contosoID+"/oauth2/v2.0/devicecode" {
		t.Fatalf("device_authorization_endpoint = %q", cfg.Endpoint.DeviceAuthURL)
	}
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if !regexp.MustCompile(`^[A-Z0-9]{9}$`).MatchString(da.UserCode) || da.VerificationURI != srv.URL+"/devicelogin" || da.Interval != 5 ||
		time.Until(da.Expiry) < 14*time.Minute || len(da.DeviceCode) < 100 {
		t.Fatalf("device auth response: %+v", da)
	}
	// Before the user acts: authorization_pending, AADSTS70016.
	poll := func() (int, map[string]any) {
		resp, err := srv.Client().PostForm(cfg.Endpoint.TokenURL, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
			"client_id": {deviceAppID}, "device_code": {da.DeviceCode}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if st, m := poll(); st != 400 || m["error"] != "authorization_pending" || !strings.HasPrefix(m["error_description"].(string), "AADSTS70016: The provided request has not yet been authorized by the user.") {
		t.Fatalf("pending poll: %d %v", st, m)
	}
	b := idptest.NewBrowser(srv.Client())
	done := approveDevice(t, b, da.VerificationURI, strings.ToLower(da.UserCode[:4])+"-"+da.UserCode[4:], bSimon, "continue")
	if !strings.Contains(done.Text(), "You have signed in to the Contoso CLI application on your device. You may now close this window.") {
		t.Fatalf("done page: %s", oidcTrunc(done.String()))
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	da.Interval = 1 // x/oauth2 waits the interval before its first poll; the user has approved
	tok, err := cfg.DeviceAccessToken(pctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: deviceAppID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	var c map[string]any
	_ = idt.Claims(&c)
	if c["preferred_username"] != bSimon || c["tid"] != contosoID || tok.RefreshToken == "" {
		t.Errorf("claims %v, refresh token %t", c, tok.RefreshToken != "")
	}
	// Single use: the code is spent.
	if st, m := poll(); st != 400 || m["error"] != "bad_verification_code" {
		t.Errorf("second redemption: %d %v", st, m)
	}
	// The same code cannot be entered again.
	p, _ := b.Get(da.VerificationURI)
	p, _ = b.Submit(p, "code-form", map[string]string{"otc": da.UserCode})
	if !strings.Contains(p.Text(), "That code didn't work") {
		t.Errorf("reused code on the page: %s", oidcTrunc(p.String()))
	}
	var kinds []string
	for _, ev := range srv.Events() {
		if ev.Kind == idp.EventDeviceCode || ev.Kind == idp.EventDeviceLogin || ev.Kind == idp.EventToken {
			kinds = append(kinds, string(ev.Kind)+":"+string(ev.Status))
		}
	}
	want := "device-code:success token:failure device-login:interrupted device-login:success token:success token:failure device-login:failure"
	if strings.Join(kinds, " ") != want {
		t.Errorf("sign-in log:\n got %s\nwant %s", strings.Join(kinds, " "), want)
	}
}

// deviceStart posts to a devicecode endpoint and decodes the answer.
func deviceStart(t *testing.T, srv *idp.Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: not JSON: %s", path, b)
	}
	return resp.StatusCode, m
}

// TestDeviceCodeErrors: declined, expired, unknown codes, a confidential client without its
// secret, v1's resource= and the endpoint's own errors.
func TestDeviceCodeErrors(t *testing.T) {
	t.Parallel() // a server of its own; mostly waiting on the client's polling interval
	clock := idp.NewClock()
	srv := idptest.StartTLS(t, idp.WithConfig(deviceTestConfig()), idp.WithClock(clock))
	tokenURL := srv.URL + "/" + contosoID + "/oauth2/v2.0/token"
	ctx := oidcRPContext(srv.Client())
	cfg := oauth2.Config{ClientID: deviceAppID, Scopes: []string{"openid", "User.Read"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: srv.URL + "/" + contosoID + "/oauth2/v2.0/devicecode", TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	redeem := func(da *oauth2.DeviceAuthResponse) error {
		da.Interval = 1
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := cfg.DeviceAccessToken(c, da)
		return err
	}

	// Cancel on the confirmation page: authorization_declined.
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := approveDevice(t, idptest.NewBrowser(srv.Client()), da.VerificationURI, da.UserCode, bSimon, "cancel")
	if !strings.Contains(p.Text(), "You didn't sign in to the Contoso CLI application") {
		t.Errorf("declined page: %s", oidcTrunc(p.String()))
	}
	assertTokenError(t, redeem(da), "authorization_declined", 70000, 400)

	// 15 minutes later: expired_token (AADSTS70020) at /token, AADSTS70019 on the page.
	da, err = cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(16 * time.Minute)
	assertTokenError(t, redeem(da), "expired_token", 70020, 400)
	b := idptest.NewBrowser(srv.Client())
	p, _ = b.Get(da.VerificationURI)
	p, _ = b.Submit(p, "code-form", map[string]string{"otc": da.UserCode})
	if !strings.Contains(p.Text(), "The code you entered has expired") {
		t.Errorf("expired code on the page: %s", oidcTrunc(p.String()))
	}
	assertLogged(t, srv, idp.EventDeviceLogin, 70019)

	// An unknown device code: bad_verification_code.
	assertTokenError(t, redeem(&oauth2.DeviceAuthResponse{DeviceCode: "DAQABnosuchcode"}), "bad_verification_code", 70018, 400)

	// A confidential client without "Allow public client flows" must authenticate.
	web := oauth2.Config{ClientID: webAppID, Scopes: []string{"openid"}, Endpoint: cfg.Endpoint}
	wda, err := web.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wda.Interval = 1
	_, err = web.DeviceAccessToken(ctx, wda)
	assertTokenError(t, err, "invalid_client", 7000218, 401)

	// v1: resource=, verification_url, and expires_in and interval as strings (ADAL's format).
	st, m := deviceStart(t, srv, "/"+contosoID+"/oauth2/devicecode", url.Values{"client_id": {deviceAppID}, "resource": {"https://graph.microsoft.com"}})
	if st != 200 || m["verification_url"] != srv.URL+"/devicelogin" || m["verification_uri"] != nil || m["expires_in"] != "900" || m["interval"] != "5" ||
		!strings.HasPrefix(m["message"].(string), "To sign in, use a web browser to open the page "+srv.URL+"/devicelogin and enter the code ") {
		t.Errorf("v1 devicecode: %d %v", st, m)
	}
	for _, c := range []struct {
		path string
		form url.Values
		err  string
		code int
	}{
		{"/" + contosoID + "/oauth2/devicecode", url.Values{"client_id": {deviceAppID}}, "invalid_request", 900144},
		{"/" + contosoID + "/oauth2/v2.0/devicecode", url.Values{"client_id": {deviceAppID}}, "invalid_request", 900144},
		{"/" + contosoID + "/oauth2/v2.0/devicecode", url.Values{"scope": {"openid"}}, "invalid_request", 900144},
		{"/" + contosoID + "/oauth2/v2.0/devicecode", url.Values{"client_id": {"bbbbbbbb-0000-4000-8000-000000000000"}, "scope": {"openid"}}, "unauthorized_client", 700016},
		{"/common/oauth2/v2.0/devicecode", url.Values{"client_id": {deviceAppID}, "scope": {"openid"}}, "invalid_request", 50194},
		{"/nosuchtenant.example/oauth2/v2.0/devicecode", url.Values{"client_id": {deviceAppID}, "scope": {"openid"}}, "invalid_tenant", 90002},
	} {
		st, m := deviceStart(t, srv, c.path, c.form)
		codes, _ := m["error_codes"].([]any)
		if st != 400 || m["error"] != c.err || len(codes) != 1 || codes[0] != float64(c.code) {
			t.Errorf("%s %v: %d %v", c.path, c.form, st, m)
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/" + contosoID + "/oauth2/v2.0/devicecode")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("GET devicecode: %d", resp.StatusCode)
	}
}

// TestDeviceConfirmForeignPost: the confirmation form is bound to the session that was shown
// it; another browser's post with the same code and nonce approves nothing.
func TestDeviceConfirmForeignPost(t *testing.T) {
	t.Parallel() // a server of its own; mostly waiting on the client's polling interval
	srv := idptest.StartTLS(t, idp.WithConfig(deviceTestConfig()))
	ctx := oidcRPContext(srv.Client())
	cfg := oauth2.Config{ClientID: deviceAppID, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: srv.URL + "/" + contosoID + "/oauth2/v2.0/devicecode", TokenURL: srv.URL + "/" + contosoID + "/oauth2/v2.0/token", AuthStyle: oauth2.AuthStyleInParams}}
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	victim := idptest.NewBrowser(srv.Client())
	p, _ := victim.Get(da.VerificationURI)
	p, _ = victim.Submit(p, "code-form", map[string]string{"otc": da.UserCode})
	p, err = victim.Continue(p, bSimon, bPassword)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := p.Form("continue-form")
	if !ok {
		t.Fatalf("no confirmation: %s", oidcTrunc(p.String()))
	}
	attacker := idptest.NewBrowser(srv.Client())
	ap, err := attacker.Post(f.Action, f.Fields)
	if err != nil {
		t.Fatal(err)
	}
	if ap.Status != 400 || !strings.Contains(ap.Body, "AADSTS90100") {
		t.Errorf("foreign confirmation: %d %s", ap.Status, oidcTrunc(ap.Body))
	}
	da.Interval = 1
	c, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer cancel()
	_, err = cfg.DeviceAccessToken(c, da)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after a foreign confirmation the code must still be pending, got %v", err)
	}
}

// TestImplicitAccessToken: response_type token and id_token token give an access token in the
// fragment when "Access tokens (used for implicit flows)" is on, AADSTS700051 when it is off.
func TestImplicitAccessToken(t *testing.T) {
	cfg := oidcTestConfig()
	cfg.Tenants[0].AppRegistrations[0].Web.ImplicitGrantSettings.EnableAccessTokenIssuance = true
	srv := startOIDC(t, idp.WithConfig(cfg))
	ctx := oidcRPContext(srv.Client())
	prov, err := oidc.NewProvider(ctx, srv.URL+"/"+contosoID+"/v2.0")
	if err != nil {
		t.Fatal(err)
	}
	base := srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize?"
	for _, rt := range []string{"token", "id_token token"} {
		v := url.Values{"client_id": {webAppID}, "redirect_uri": {webRedir}, "response_type": {rt}, "scope": {"openid User.Read"}, "state": {"st"}, "nonce": {"n"}}
		res := oidcAuthorize(t, oidcBrowser(srv), srv, base+v.Encode(), bSimon)
		if res.location == nil || res.location.Fragment == "" {
			t.Fatalf("%s: want a fragment redirect, got %v %s", rt, res.location, oidcTrunc(res.body))
		}
		q := res.params()
		if q.Get("access_token") == "" || q.Get("token_type") != "Bearer" || q.Get("expires_in") == "" || q.Get("state") != "st" ||
			!strings.Contains(q.Get("scope"), "User.Read") || q.Get("code") != "" {
			t.Errorf("%s: fragment %v", rt, q)
		}
		if (q.Get("id_token") != "") != (rt == "id_token token") {
			t.Errorf("%s: id_token present %t", rt, q.Get("id_token") != "")
		}
		if rt == "id_token token" {
			idt, err := prov.Verifier(&oidc.Config{ClientID: webAppID}).Verify(ctx, q.Get("id_token"))
			if err != nil {
				t.Fatalf("id_token: %v", err)
			}
			if err := idt.VerifyAccessToken(q.Get("access_token")); err != nil {
				t.Errorf("at_hash: %v", err)
			}
		}
		// The access token is Graph's: userinfo takes it.
		req, _ := http.NewRequest(http.MethodGet, prov.UserInfoEndpoint(), nil)
		req.Header.Set("Authorization", "Bearer "+q.Get("access_token"))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: userinfo with the implicit access token: %d", rt, resp.StatusCode)
		}
	}
	// Disabled: AADSTS700051 back to the redirect URI.
	off := startOIDC(t)
	for _, rt := range []string{"token", "id_token token"} {
		v := url.Values{"client_id": {webAppID}, "redirect_uri": {webRedir}, "response_type": {rt}, "scope": {"openid User.Read"}, "state": {"st"}, "nonce": {"n"}}
		res := oidcAuthorize(t, oidcBrowser(off), off, off.URL+"/"+contosoID+"/oauth2/v2.0/authorize?"+v.Encode(), bSimon)
		q := res.params()
		if q.Get("error") != "unsupported_response_type" || !strings.HasPrefix(q.Get("error_description"), "AADSTS700051: The response_type 'token' is not enabled for the application.") {
			t.Errorf("%s disabled: %v", rt, q)
		}
	}
}

// TestDeviceCodeSingleUseConcurrent: polls racing after the approval get the tokens once.
func TestDeviceCodeSingleUseConcurrent(t *testing.T) {
	srv := idptest.StartTLS(t, idp.WithConfig(deviceTestConfig()))
	st, m := deviceStart(t, srv, "/"+contosoID+"/oauth2/v2.0/devicecode", url.Values{"client_id": {deviceAppID}, "scope": {"openid offline_access"}})
	if st != 200 {
		t.Fatalf("devicecode: %d %v", st, m)
	}
	approveDevice(t, idptest.NewBrowser(srv.Client()), m["verification_uri"].(string), m["user_code"].(string), bSimon, "continue")
	const n = 8
	codes := make(chan int, n)
	for range n {
		go func() {
			resp, err := srv.Client().PostForm(srv.URL+"/"+contosoID+"/oauth2/v2.0/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
				"client_id": {deviceAppID}, "device_code": {m["device_code"].(string)}})
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	ok := 0
	for range n {
		if <-codes == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d racing redemptions got tokens, want 1", ok, n)
	}
}

// TestDeviceCodeFidelity: the device_authorization_endpoint of the real v2 discovery
// documents (common and tenant captures) has the path the mock serves, and that path answers
// a device authorization request, under common, organizations and the tenant.
func TestDeviceCodeFidelity(t *testing.T) {
	cfg := deviceTestConfig()
	cfg.Tenants[0].AppRegistrations[len(cfg.Tenants[0].AppRegistrations)-1].SignInAudience = idp.AudienceMultipleOrgs
	srv := idptest.StartTLS(t, idp.WithConfig(cfg))
	for _, c := range []struct{ sample, tenant, real string }{
		{"openid-configuration-v2-common.json", "common", "common"},
		{"openid-configuration-v2-organizations.json", "organizations", "organizations"},
		{"openid-configuration-v2-tenant-2021.json", contosoID, "12345678-1234-1234-1234-123456789012"},
	} {
		var real, mock map[string]any
		if err := json.Unmarshal(fidSample(t, c.sample), &real); err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Get(srv.URL + "/" + c.tenant + "/v2.0/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&mock)
		resp.Body.Close()
		realPath := strings.TrimPrefix(real["device_authorization_endpoint"].(string), "https://login.microsoftonline.com")
		mockPath := strings.TrimPrefix(mock["device_authorization_endpoint"].(string), srv.URL)
		if strings.Replace(realPath, c.real, c.tenant, 1) != mockPath {
			t.Errorf("%s: device_authorization_endpoint path %q, Entra's %q", c.tenant, mockPath, realPath)
		}
		st, m := deviceStart(t, srv, mockPath, url.Values{"client_id": {deviceAppID}, "scope": {"openid User.Read"}})
		if st != 200 || m["user_code"] == nil {
			t.Errorf("%s: POST %s: %d %v", c.tenant, mockPath, st, m)
		}
		// The v1 document advertises the v1 endpoint; it answers too.
		var v1 map[string]any
		if resp, err = srv.Client().Get(srv.URL + "/" + c.tenant + "/.well-known/openid-configuration"); err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&v1)
		resp.Body.Close()
		v1Path := strings.TrimPrefix(v1["device_authorization_endpoint"].(string), srv.URL)
		st, m = deviceStart(t, srv, v1Path, url.Values{"client_id": {deviceAppID}, "resource": {"https://graph.microsoft.com"}})
		if v1Path != "/"+c.tenant+"/oauth2/devicecode" || st != 200 || m["verification_url"] == nil {
			t.Errorf("%s: v1 POST %s: %d %v", c.tenant, v1Path, st, m)
		}
	}
}
