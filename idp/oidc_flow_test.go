package idp_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssoharness/ssoharness/idp"
)

// rp is a relying party built from the real libraries against one authority.
type oidcRP struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	cfg      oauth2.Config
}

func newOIDCRP(t *testing.T, srv *idp.Server, tenant, clientID, secret, redirect string, style oauth2.AuthStyle) *oidcRP {
	t.Helper()
	ctx := oidcRPContext(srv.Client())
	p, err := oidc.NewProvider(ctx, srv.URL+"/"+tenant+"/v2.0")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	ep := p.Endpoint()
	ep.AuthStyle = style
	return &oidcRP{provider: p, verifier: p.Verifier(&oidc.Config{ClientID: clientID}),
		cfg: oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: ep, RedirectURL: redirect,
			Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}}
}

func TestOIDCCodeFlowQueryPKCEBasic(t *testing.T) {
	srv := startOIDC(t)
	r := newOIDCRP(t, srv, contosoID, webAppID, webSecret, webRedir, oauth2.AuthStyleInHeader)
	ctx := oidcRPContext(srv.Client())
	verifier := oauth2.GenerateVerifier()
	authURL := r.cfg.AuthCodeURL("st-1", oidc.Nonce("n-1"), oauth2.S256ChallengeOption(verifier))
	res := oidcAuthorize(t, oidcBrowser(srv), srv, authURL, bSimon)
	q := res.params()
	if res.location == nil || !strings.HasPrefix(res.location.String(), webRedir+"?") || q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("want a query redirect with code and state, got %v %q", res.location, res.body)
	}
	tok, err := r.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var c map[string]any
	_ = idt.Claims(&c)
	if c["nonce"] != "n-1" || c["preferred_username"] != bSimon || c["tid"] != contosoID || c["ver"] != "2.0" ||
		c["email"] != "b.simon@contoso.example" || idt.Issuer != srv.URL+"/"+contosoID+"/v2.0" {
		t.Errorf("claims: %v", c)
	}
	if g, _ := c["groups"].([]any); len(g) != 1 {
		t.Errorf("groups claim: %v", c["groups"])
	}
	if rl, _ := c["roles"].([]any); len(rl) != 1 || rl[0] != "Admin" {
		t.Errorf("roles claim: %v", c["roles"])
	}
	if tok.RefreshToken == "" || tok.Extra("ext_expires_in") == nil || tok.Extra("scope") == nil {
		t.Errorf("token response lacks Entra fields: %+v", tok)
	}
	// The pairwise sub is app-specific; userinfo returns the same sub, by GET and by POST.
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(method, r.provider.UserInfoEndpoint(), nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ui map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&ui)
		resp.Body.Close()
		if resp.StatusCode != 200 || ui["sub"] != idt.Subject || ui["email"] != "b.simon@contoso.example" {
			t.Errorf("userinfo %s: %d %v (sub want %s)", method, resp.StatusCode, ui, idt.Subject)
		}
	}
	// go-oidc's own userinfo call.
	if ui, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil || ui.Subject != idt.Subject {
		t.Errorf("go-oidc UserInfo: %v %v", ui, err)
	}
	// Refresh: a new access token, ID token and (rotated) refresh token.
	tok.Expiry = tok.Expiry.Add(-24 * 3600e9)
	nt, err := r.cfg.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if nt.AccessToken == tok.AccessToken || nt.RefreshToken == "" {
		t.Errorf("refresh gave no new tokens")
	}
	if _, err := r.verifier.Verify(ctx, nt.Extra("id_token").(string)); err != nil {
		t.Errorf("refreshed id_token: %v", err)
	}
	// The code is single use: AADSTS54005.
	_, err = r.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	assertTokenError(t, err, "invalid_grant", 54005, 400)
	assertLogged(t, srv, "token", 54005)
}

func TestOIDCCodeFlowFormPostSecretPost(t *testing.T) {
	srv := startOIDC(t)
	r := newOIDCRP(t, srv, contosoID, webAppID, webSecret, webRedir, oauth2.AuthStyleInParams)
	ctx := oidcRPContext(srv.Client())
	authURL := r.cfg.AuthCodeURL("st-2", oidc.Nonce("n-2"), oauth2.SetAuthURLParam("response_mode", "form_post"))
	res := oidcAuthorize(t, oidcBrowser(srv), srv, authURL, bSimon)
	if res.form == nil || res.action != webRedir || res.form.Get("state") != "st-2" {
		t.Fatalf("want an auto-submitting form to %s, got %q", webRedir, res.body)
	}
	tok, err := r.cfg.Exchange(ctx, res.form.Get("code"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if _, err := r.verifier.Verify(ctx, tok.Extra("id_token").(string)); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// Hybrid code id_token in form_post: the front-channel ID token has c_hash.
	authURL = r.cfg.AuthCodeURL("st-3", oidc.Nonce("n-3"), oauth2.SetAuthURLParam("response_mode", "form_post"),
		oauth2.SetAuthURLParam("response_type", "code id_token"))
	res = oidcAuthorize(t, oidcBrowser(srv), srv, authURL, bSimon)
	idt, err := r.verifier.Verify(ctx, res.form.Get("id_token"))
	if err != nil {
		t.Fatalf("hybrid id_token: %v %q", err, res.body)
	}
	var c struct {
		CHash string `json:"c_hash"`
	}
	_ = idt.Claims(&c)
	if c.CHash == "" {
		t.Error("hybrid id_token has no c_hash")
	}
}

func TestOIDCMultiTenantCommonIssuerSubstitution(t *testing.T) {
	srv := startOIDC(t)
	// The /common document's issuer holds {tenantid}; the RP substitutes the token's tid.
	ctx := oidc.InsecureIssuerURLContext(oidcRPContext(srv.Client()), srv.URL+"/{tenantid}/v2.0")
	p, err := oidc.NewProvider(ctx, srv.URL+"/common/v2.0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: multiAppID, ClientSecret: webSecret, Endpoint: p.Endpoint(), RedirectURL: webRedir, Scopes: []string{"openid", "profile"}}
	res := oidcAuthorize(t, oidcBrowser(srv), srv, cfg.AuthCodeURL("s", oidc.Nonce("n")), fabUser)
	tok, err := cfg.Exchange(ctx, res.params().Get("code"))
	if err != nil {
		t.Fatalf("exchange: %v (%v %q)", err, res.location, res.body)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: multiAppID, SkipIssuerCheck: true}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Tid string `json:"tid"`
	}
	_ = idt.Claims(&c)
	if c.Tid != fabrikamID || idt.Issuer != strings.ReplaceAll(srv.URL+"/{tenantid}/v2.0", "{tenantid}", c.Tid) {
		t.Errorf("iss %s tid %s", idt.Issuer, c.Tid)
	}
}

func TestOIDCKeyRotation(t *testing.T) {
	srv := startOIDC(t)
	r := newOIDCRP(t, srv, contosoID, webAppID, webSecret, webRedir, oauth2.AuthStyleInHeader)
	ctx := oidcRPContext(srv.Client())
	flow := func() string {
		res := oidcAuthorize(t, oidcBrowser(srv), srv, r.cfg.AuthCodeURL("s", oidc.Nonce("n")), bSimon)
		tok, err := r.cfg.Exchange(ctx, res.params().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		return tok.Extra("id_token").(string)
	}
	old := flow()
	if _, err := r.verifier.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.RotateOIDCKey(contosoID); err != nil {
		t.Fatal(err)
	}
	// The RP has cached the old key set; an unknown kid makes it refetch, and it accepts.
	if _, err := r.verifier.Verify(ctx, flow()); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	// During the overlap the old key is still published.
	if _, err := r.verifier.Verify(ctx, old); err != nil {
		t.Fatalf("old token during overlap: %v", err)
	}
	if n := len(srv.OIDCKeys(contosoID)); n != 2 {
		t.Errorf("keys after rotation: %d", n)
	}
}

func TestOIDCClientCredentialsAndSPA(t *testing.T) {
	srv := startOIDC(t)
	c := srv.Client()
	tokenURL := srv.URL + "/" + contosoID + "/oauth2/v2.0/token"
	resp, err := c.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {webAppID},
		"client_secret": {webSecret}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body["token_type"] != "Bearer" || body["access_token"] == nil {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
	}
	// SPA: PKCE, no secret, redeemed cross-origin (Origin header) — CORS answered.
	cfg := oauth2.Config{ClientID: spaAppID, Endpoint: oauth2.Endpoint{AuthURL: srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize",
		TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}, RedirectURL: spaRedir, Scopes: []string{"openid", "offline_access"}}
	v := oauth2.GenerateVerifier()
	res := oidcAuthorize(t, oidcBrowser(srv), srv, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("client_info", "1")), bSimon)
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {spaAppID}, "code": {res.params().Get("code")},
		"redirect_uri": {spaRedir}, "code_verifier": {v}, "client_info": {"1"}}
	req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", spaOrigin)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body = map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body["client_info"] == nil || resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin {
		t.Fatalf("spa redemption: %d %v %v", resp.StatusCode, body, resp.Header)
	}
}

func TestOIDCLogout(t *testing.T) {
	srv := startOIDC(t)
	b := oidcBrowser(srv)
	r := newOIDCRP(t, srv, contosoID, webAppID, webSecret, webRedir, oauth2.AuthStyleInHeader)
	oidcAuthorize(t, b, srv, r.cfg.AuthCodeURL("s", oidc.Nonce("n")), bSimon)
	resp, err := b.Get(srv.URL + "/" + contosoID + "/oauth2/v2.0/logout?client_id=" + webAppID + "&post_logout_redirect_uri=" + url.QueryEscape(webRedir))
	if err != nil {
		t.Fatal(err)
	}
	body := oidcRead(t, resp)
	if !strings.Contains(body, "https://rp.example.test/signout-oidc") || !strings.Contains(body, webRedir) {
		t.Errorf("signed-out page lacks front-channel iframe or continue link: %s", body)
	}
	// An unregistered post_logout_redirect_uri is not followed.
	resp, _ = b.Get(srv.URL + "/" + contosoID + "/oauth2/v2.0/logout?client_id=" + webAppID + "&post_logout_redirect_uri=https://evil.example/")
	if body := oidcRead(t, resp); resp.StatusCode != 200 || strings.Contains(body, "evil.example") {
		t.Errorf("unregistered post_logout_redirect_uri followed: %d %s", resp.StatusCode, body)
	}
	// The session is gone: prompt=none now fails with login_required (AADSTS50058).
	res := oidcAuthorize(t, b, srv, r.cfg.AuthCodeURL("s", oidc.Nonce("n"), oauth2.SetAuthURLParam("prompt", "none")), bSimon)
	assertRedirectError(t, srv, res, "login_required", 50058)
}
