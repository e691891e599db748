package idp_test

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

const (
	personalAppID = "aaaaaaaa-0000-4000-8000-000000000011" // AzureADandPersonalMicrosoftAccount
	msaOnlyAppID  = "aaaaaaaa-0000-4000-8000-000000000012" // PersonalMicrosoftAccount
	aliceMSA      = "alice@outlook.com"
)

// consumersConfig is the OIDC test directory with the MSA tenant (one personal account)
// and two apps that take personal accounts.
func consumersConfig() *idp.Config {
	cfg := oidcTestConfig()
	cfg.Tenants = append(cfg.Tenants, &idp.Tenant{ID: msaTenantID, DisplayName: "Microsoft Accounts", VerifiedDomains: []string{"outlook.com"},
		Users: []*idp.User{{ID: "00000000-0000-0000-40c2-5b1a7e3d9f60", UserPrincipalName: aliceMSA, DisplayName: "Alice", Password: bPassword}}})
	for _, a := range []struct{ id, name, aud string }{
		{personalAppID, "Contoso Everyone", idp.AudienceOrgsAndPersonal}, {msaOnlyAppID, "Contoso Personal", idp.AudiencePersonal}} {
		cfg.Tenants[0].AppRegistrations = append(cfg.Tenants[0].AppRegistrations, &idp.AppRegistration{
			AppID: a.id, DisplayName: a.name, SignInAudience: a.aud, Web: idp.WebPlatform{RedirectURIs: []string{webRedir}},
			PasswordCredentials: []*idp.PasswordCredential{{SecretText: webSecret}}})
	}
	return cfg
}

// TestConsumersDiscovery: /consumers serves Entra's discovery document — endpoints under
// /consumers, the MSA tenant's issuer, the sample's members — and a key set of MSA-issuer
// keys, with or without the MSA tenant in the config.
func TestConsumersDiscovery(t *testing.T) {
	for name, srv := range map[string]*idp.Server{"without MSA tenant": startOIDC(t), "with": idptest.Start(t, idp.WithConfig(consumersConfig()))} {
		_, body := get(t, srv, "/consumers/v2.0/.well-known/openid-configuration")
		var d struct {
			Issuer                string `json:"issuer"`
			AuthorizationEndpoint string `json:"authorization_endpoint"`
			JWKSURI               string `json:"jwks_uri"`
			TenantRegionScope     *string
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, body)
		}
		if d.Issuer != srv.URL+"/"+msaTenantID+"/v2.0" || d.AuthorizationEndpoint != srv.URL+"/consumers/oauth2/v2.0/authorize" ||
			d.JWKSURI != srv.URL+"/consumers/discovery/v2.0/keys" {
			t.Errorf("%s: consumers discovery %s", name, body)
		}
		if sample, err := os.ReadFile("../../shared/reference/samples/openid-configuration-v2-common.json"); err == nil {
			if g, w := memberOrder(t, body), memberOrder(t, sample); !slices.Equal(g, w) {
				t.Errorf("%s: members\n got %v\nwant %v", name, g, w)
			}
		}
		_, keys := get(t, srv, "/consumers/discovery/v2.0/keys")
		var set struct {
			Keys []struct{ Kid, Issuer string }
		}
		if err := json.Unmarshal(keys, &set); err != nil || len(set.Keys) < 2 {
			t.Fatalf("%s: consumers keys %s", name, keys)
		}
		for _, k := range set.Keys {
			if k.Issuer != d.Issuer {
				t.Errorf("%s: consumers key %s has issuer %s", name, k.Kid, k.Issuer)
			}
		}
	}
}

// TestConsumersSignIn: a personal account signs in at /consumers to the apps whose
// signInAudience takes personal accounts, and the ID token — checked by go-oidc against the
// consumers key set, with the MSA issuer as Entra's consumers RPs configure it — carries
// the MSA tenant.
func TestConsumersSignIn(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(consumersConfig()))
	issuer := srv.URL + "/" + msaTenantID + "/v2.0"
	for _, app := range []string{personalAppID, msaOnlyAppID} {
		ctx := oidc.InsecureIssuerURLContext(oidcRPContext(srv.Client()), issuer)
		p, err := oidc.NewProvider(ctx, srv.URL+"/consumers/v2.0")
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		cfg := oauth2.Config{ClientID: app, ClientSecret: webSecret, Endpoint: p.Endpoint(), RedirectURL: webRedir, Scopes: []string{oidc.ScopeOpenID, "profile"}}
		res := oidcAuthorize(t, oidcBrowser(srv), srv, cfg.AuthCodeURL("st", oidc.Nonce("n")), aliceMSA)
		code := res.params().Get("code")
		if code == "" {
			t.Fatalf("%s: no code: %v %s", app, res.location, oidcTrunc(res.body))
		}
		tok, err := cfg.Exchange(ctx, code)
		if err != nil {
			t.Fatalf("%s: exchange: %v", app, err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := p.Verifier(&oidc.Config{ClientID: app}).Verify(ctx, raw)
		if err != nil {
			t.Fatalf("%s: verify: %v", app, err)
		}
		var c map[string]any
		_ = idt.Claims(&c)
		if c["tid"] != msaTenantID || c["preferred_username"] != aliceMSA || idt.Issuer != issuer {
			t.Errorf("%s: claims %v", app, c)
		}
	}
	// A personal account at /common, to an app that takes them.
	q := url.Values{"client_id": {personalAppID}, "response_type": {"code"}, "redirect_uri": {webRedir}, "scope": {"openid"}, "state": {"s"}}
	if res := oidcAuthorize(t, oidcBrowser(srv), srv, srv.URL+"/common/oauth2/v2.0/authorize?"+q.Encode(), aliceMSA); res.params().Get("code") == "" {
		t.Errorf("personal account at /common: %v %s", res.location, oidcTrunc(res.body))
	}
}

// TestConsumersAudienceErrors: Entra's errors where the authority or the account and the
// app's signInAudience disagree.
func TestConsumersAudienceErrors(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(consumersConfig()))
	for _, c := range []struct {
		authority, app, login, want string
	}{
		{"consumers", webAppID, "", "AADSTS9002332"},               // AzureADMyOrg at /consumers
		{"consumers", multiAppID, "", "AADSTS9002332"},             // AzureADMultipleOrgs at /consumers
		{"common", msaOnlyAppID, "", "AADSTS9002331"},              // personal-only app at /common
		{contosoID, msaOnlyAppID, "", "AADSTS9002331"},             // ... and at its tenant
		{"organizations", msaOnlyAppID, "", "AADSTS9002331"},       // ... and at organizations
		{"common", multiAppID, aliceMSA, "AADSTS500200"},           // a personal account, org-only app
		{"organizations", personalAppID, aliceMSA, "AADSTS500200"}, // organizations excludes personal accounts
		{"consumers", personalAppID, bSimon, "AADSTS50020"},        // a work account is not in the MSA tenant
	} {
		q := url.Values{"client_id": {c.app}, "response_type": {"code"}, "redirect_uri": {webRedir}, "scope": {"openid"}, "state": {"s"}}
		login := c.login
		if login == "" {
			login = bSimon
		}
		res := oidcAuthorize(t, oidcBrowser(srv), srv, srv.URL+"/"+c.authority+"/oauth2/v2.0/authorize?"+q.Encode(), login)
		if !strings.Contains(res.body, c.want) {
			t.Errorf("%s, app %s, %s: want %s, got %v %s", c.authority, c.app, login, c.want, res.location, oidcTrunc(res.body))
		}
	}
}

// TestSelectAccountAndDomainHint: prompt=select_account with a session shows the account
// picker; the signed-in account continues by single sign-on, "Use another account" opens
// the sign-in page; without a session the sign-in page opens; domain_hint is accepted.
func TestSelectAccountAndDomainHint(t *testing.T) {
	srv := startOIDC(t)
	c := oidcBrowser(srv)
	q := url.Values{"client_id": {webAppID}, "response_type": {"code"}, "redirect_uri": {webRedir}, "scope": {"openid"}, "state": {"s"},
		"domain_hint": {"contoso.example"}}
	authz := srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize?"
	// No session: select_account shows the sign-in page; domain_hint changes nothing.
	q.Set("prompt", "select_account")
	if res := oidcAuthorize(t, c, srv, authz+q.Encode(), bSimon); res.params().Get("code") == "" {
		t.Fatalf("first sign-in: %v %s", res.location, oidcTrunc(res.body))
	}
	// A session: the picker.
	resp, err := c.Get(authz + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page := oidcRead(t, resp)
	if !strings.Contains(page, "Pick an account") || !strings.Contains(page, bSimon) || strings.Contains(page, `name="ctx"`) {
		t.Fatalf("no account picker:\n%s", oidcTrunc(page))
	}
	link := func(id string) string {
		m := regexp.MustCompile(`id="` + id + `"[^>]*href="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("picker has no %s link:\n%s", id, page)
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	resp, err = c.Get(link("account-0"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s" {
		t.Errorf("picking the signed-in account did not sign in by SSO: %d %v", resp.StatusCode, loc)
	}
	resp, err = c.Get(link("use-another"))
	if err != nil {
		t.Fatal(err)
	}
	if body := oidcRead(t, resp); !strings.Contains(body, `name="ctx"`) {
		t.Errorf("\"Use another account\" did not open the sign-in page:\n%s", oidcTrunc(body))
	}
	if ev := lastEvent(t, srv, idp.EventAuthorize); ev.Request["domain_hint"] != "contoso.example" {
		t.Errorf("domain_hint not logged: %v", ev.Request)
	}
}

// TestAdminValuesTenantDiscovery: what `mockidp serve` prints for every app registration
// includes the tenant's discovery URL (the portal's Endpoints blade) and the authority its
// signInAudience calls for, and both documents answer.
func TestAdminValuesTenantDiscovery(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(consumersConfig()))
	want := map[string]string{webAppID: contosoID, multiAppID: "organizations", personalAppID: "common", msaOnlyAppID: "consumers"}
	seen := 0
	for _, v := range srv.AdminValues() {
		if v.Kind != "OIDC app registration" {
			continue
		}
		vals := map[string]string{}
		for _, kv := range v.Values {
			vals[kv[0]] = kv[1]
		}
		seen++
		tid := vals["Directory (tenant) ID"]
		if got := vals["OpenID Connect metadata document (this tenant)"]; got != srv.URL+"/"+tid+"/v2.0/.well-known/openid-configuration" {
			t.Errorf("%s: tenant discovery URL %q", v.Name, got)
		}
		if seg, ok := want[vals["Application (client) ID"]]; ok && vals["Authority (issuer base)"] != srv.URL+"/"+seg+"/v2.0" {
			t.Errorf("%s: authority %q, want the %s one", v.Name, vals["Authority (issuer base)"], seg)
		}
		for _, label := range []string{"OpenID Connect metadata document (this tenant)", "OpenID Connect metadata document"} {
			resp, body := get(t, srv, strings.TrimPrefix(vals[label], srv.URL))
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"issuer"`) {
				t.Errorf("%s: %s %s does not answer: %d %.200s", v.Name, label, vals[label], resp.StatusCode, body)
			}
		}
	}
	if n := len(consumersConfig().Tenants[0].AppRegistrations); seen != n {
		t.Errorf("%d app registrations printed, want %d", seen, n)
	}
}
