package idp_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// Microsoft's own client, MSAL Go, unmodified, is the oracle of the OIDC surface: if it
// completes a flow against the mock, an app built on it (or on MSAL's siblings, which share
// the protocol) will. Instance discovery stays on: MSAL asks
// https://login.microsoftonline.com/common/discovery/instance about any authority host it
// does not know, so the test's network sends login.microsoftonline.com to the mock, as a
// hosts file would; MSAL itself is configured with the mock's own HTTPS authority.

// entraHostTransport sends requests for Entra's host to the mock; everything else passes.
type entraHostTransport struct {
	mock string // the mock's host:port
	next http.RoundTripper
	seen []string // paths asked of login.microsoftonline.com, to show discovery ran
}

// RoundTrip redirects login.microsoftonline.com to the mock and records the path asked.
func (t *entraHostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "login.microsoftonline.com" {
		t.seen = append(t.seen, r.URL.Path)
		r = r.Clone(r.Context())
		r.URL.Host, r.Host = t.mock, t.mock
	}
	return t.next.RoundTrip(r)
}

// msalOracle starts the mock over TLS with the web app's redirect URI pointing at a local
// RP that keeps the code, and returns MSAL's HTTP client and the RP's redirect URI.
func msalOracle(t *testing.T) (*idp.Server, *http.Client, *entraHostTransport, string, chan url.Values) {
	t.Helper()
	got := make(chan url.Values, 1)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.URL.Query():
		default:
		}
		_, _ = w.Write([]byte("signed in"))
	}))
	t.Cleanup(rp.Close)
	redirect := rp.URL + "/signin-oidc"
	cfg := oidcTestConfig()
	web := cfg.Tenants[0].AppRegistrations[0]
	web.Web.RedirectURIs = append(web.Web.RedirectURIs, redirect)
	srv := idptest.StartTLS(t, idp.WithConfig(cfg))
	tr := &entraHostTransport{mock: strings.TrimPrefix(srv.URL, "https://"), next: srv.Client().Transport}
	return srv, &http.Client{Transport: tr}, tr, redirect, got
}

func TestMSALAuthCodePKCEAndRefresh(t *testing.T) {
	srv, hc, tr, redirect, got := msalOracle(t)
	ctx := context.Background()
	cred, err := confidential.NewCredFromSecret(webSecret)
	if err != nil {
		t.Fatal(err)
	}
	app, err := confidential.New(srv.URL+"/"+contosoID, webAppID, cred, confidential.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	scopes := []string{"User.Read"}
	authURL, err := app.AuthCodeURL(ctx, webAppID, redirect, scopes)
	if err != nil {
		t.Fatal(err)
	}
	// MSAL Go's confidential AuthCodeURL has no PKCE option: the app adds the challenge to
	// the URL it sends the browser to, and gives MSAL the verifier at redemption.
	verifier := strings.Repeat("v3rifier-", 6)
	sum := sha256.Sum256([]byte(verifier))
	u, _ := url.Parse(authURL)
	q := u.Query()
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()

	b := idptest.NewBrowser(srv.Client())
	if p, err := b.SignIn(u.String(), bSimon, bPassword); err != nil || p.Status != http.StatusOK {
		t.Fatalf("sign-in: %v %v", err, p)
	}
	var code string
	select {
	case v := <-got:
		code = v.Get("code")
	default:
	}
	if code == "" {
		t.Fatal("the RP got no code")
	}
	res, err := app.AcquireTokenByAuthCode(ctx, code, redirect, scopes, confidential.WithChallenge(verifier))
	if err != nil {
		t.Fatalf("AcquireTokenByAuthCode: %v", err)
	}
	if res.AccessToken == "" || res.IDToken.PreferredUsername != bSimon {
		t.Fatalf("result: token %t, user %q", res.AccessToken != "", res.IDToken.PreferredUsername)
	}
	// client_info is what MSAL keys its cache by: home account ID = uid.utid.
	wantHome := "44444444-4444-4444-8444-444444444444." + contosoID
	if res.Account.HomeAccountID != wantHome {
		t.Errorf("HomeAccountID = %q, want %q (client_info)", res.Account.HomeAccountID, wantHome)
	}
	if len(tr.seen) == 0 || tr.seen[0] != "/common/discovery/instance" {
		t.Errorf("MSAL's calls to login.microsoftonline.com = %v, want instance discovery first", tr.seen)
	}

	// Silent: from the cache, then, for scopes the cached access token lacks, by the refresh
	// token that the offline_access scope MSAL adds at /token brought.
	acct, err := app.Account(ctx, res.Account.HomeAccountID)
	if err != nil {
		t.Fatal(err)
	}
	silent, err := app.AcquireTokenSilent(ctx, scopes, confidential.WithSilentAccount(acct))
	if err != nil || silent.AccessToken != res.AccessToken {
		t.Fatalf("AcquireTokenSilent from cache: %v (same token %t)", err, silent.AccessToken == res.AccessToken)
	}
	refreshed, err := app.AcquireTokenSilent(ctx, []string{"profile", "User.Read", "email"}, confidential.WithSilentAccount(acct))
	if err != nil {
		t.Fatalf("AcquireTokenSilent by refresh token: %v", err)
	}
	if refreshed.Metadata.TokenSource != confidential.TokenSourceIdentityProvider {
		t.Errorf("refresh: token source %v, want the identity provider", refreshed.Metadata.TokenSource)
	}
	var grants []string
	for _, ev := range srv.Events() {
		if ev.Kind == idp.EventToken {
			grants = append(grants, ev.Request["grant_type"]+":"+string(ev.Status))
		}
	}
	if strings.Join(grants, " ") != "authorization_code:success refresh_token:success" {
		t.Errorf("token requests = %v", grants)
	}
}

func TestMSALClientCredentials(t *testing.T) {
	srv, hc, tr, _, _ := msalOracle(t)
	ctx := context.Background()
	cred, err := confidential.NewCredFromSecret(webSecret)
	if err != nil {
		t.Fatal(err)
	}
	app, err := confidential.New(srv.URL+"/"+contosoID, webAppID, cred, confidential.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	for _, scope := range []string{"https://graph.microsoft.com/.default", "api://" + webAppID + "/.default"} {
		res, err := app.AcquireTokenByCredential(ctx, []string{scope})
		if err != nil {
			t.Fatalf("AcquireTokenByCredential(%s): %v", scope, err)
		}
		if res.AccessToken == "" {
			t.Fatalf("%s: no access token", scope)
		}
		again, err := app.AcquireTokenByCredential(ctx, []string{scope})
		if err != nil || again.Metadata.TokenSource != confidential.TokenSourceCache {
			t.Errorf("%s: second call %v, source %v (want the cache)", scope, err, again.Metadata.TokenSource)
		}
	}
	if len(tr.seen) == 0 || tr.seen[0] != "/common/discovery/instance" {
		t.Errorf("MSAL's calls to login.microsoftonline.com = %v, want instance discovery first", tr.seen)
	}
}
