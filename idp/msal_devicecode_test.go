package idp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestMSALDeviceCode: MSAL Go's public client, unmodified, signs in by device code against
// the mock with instance discovery on (msal_oracle_test.go); a Go browser with a cookie jar
// enters the code, signs in and presses Continue. The ID token verifies against the mock's
// JWKS, the access token is accepted by userinfo, and the refresh token MSAL cached brings
// tokens for other scopes silently.
func TestMSALDeviceCode(t *testing.T) {
	srv := idptest.StartTLS(t, idp.WithConfig(deviceTestConfig()))
	tr := &entraHostTransport{mock: strings.TrimPrefix(srv.URL, "https://"), next: srv.Client().Transport}
	app, err := public.New(deviceAppID, public.WithAuthority(srv.URL+"/"+contosoID), public.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	scopes := []string{"User.Read"}
	dc, err := app.AcquireTokenByDeviceCode(ctx, scopes)
	if err != nil {
		t.Fatalf("AcquireTokenByDeviceCode: %v", err)
	}
	r := dc.Result
	if len(r.UserCode) != 9 || r.VerificationURL != srv.URL+"/devicelogin" || r.Interval != 5 ||
		r.Message != "To sign in, use a web browser to open the page "+srv.URL+"/devicelogin and enter the code "+r.UserCode+" to authenticate." {
		t.Fatalf("device code result: %+v", r)
	}
	// The user approves while MSAL polls.
	approved := make(chan *idptest.Page, 1)
	go func() {
		time.Sleep(300 * time.Millisecond) // let MSAL see authorization_pending first
		b := idptest.NewBrowser(srv.Client())
		p, err := b.Get(r.VerificationURL)
		if err == nil {
			p, err = b.Submit(p, "code-form", map[string]string{"otc": r.UserCode})
		}
		if err == nil {
			p, err = b.Continue(p, bSimon, bPassword)
		}
		if err == nil {
			p, err = b.Submit(p, "continue-form", nil)
		}
		if err != nil {
			p = nil
		}
		approved <- p
	}()
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		t.Fatalf("AuthenticationResult: %v", err)
	}
	if p := <-approved; p == nil || !strings.Contains(p.Text(), "You have signed in to the Contoso CLI application on your device.") {
		t.Fatalf("approval page: %v", p)
	}
	if res.IDToken.PreferredUsername != bSimon || res.Account.HomeAccountID != "44444444-4444-4444-8444-444444444444."+contosoID {
		t.Errorf("result: user %q, home account %q", res.IDToken.PreferredUsername, res.Account.HomeAccountID)
	}
	// The ID token MSAL accepted verifies against the mock's keys (go-oidc).
	octx := oidcRPContext(srv.Client())
	prov, err := oidc.NewProvider(octx, srv.URL+"/"+contosoID+"/v2.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prov.Verifier(&oidc.Config{ClientID: deviceAppID}).Verify(octx, res.IDToken.RawToken); err != nil {
		t.Errorf("ID token: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, prov.UserInfoEndpoint(), nil)
	req.Header.Set("Authorization", "Bearer "+res.AccessToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("userinfo with MSAL's access token: %d", resp.StatusCode)
	}
	assertLogged(t, srv, idp.EventToken, 70016) // MSAL polled before the approval and kept polling
	if len(tr.seen) == 0 || tr.seen[0] != "/common/discovery/instance" {
		t.Errorf("MSAL's calls to login.microsoftonline.com = %v, want instance discovery first", tr.seen)
	}
	// Refresh: scopes the cached access token lacks come by the cached refresh token.
	silent, err := app.AcquireTokenSilent(ctx, []string{"User.Read", "email"}, public.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatalf("AcquireTokenSilent: %v", err)
	}
	if silent.Metadata.TokenSource != public.TokenSourceIdentityProvider || silent.AccessToken == res.AccessToken {
		t.Errorf("silent: source %v, new token %t", silent.Metadata.TokenSource, silent.AccessToken != res.AccessToken)
	}
	var grants []string
	for _, ev := range srv.Events() {
		if ev.Kind == idp.EventToken && ev.Status == idp.StatusSuccess {
			grants = append(grants, ev.Request["grant_type"])
		}
	}
	if strings.Join(grants, " ") != "device_code refresh_token" { // MSAL Go sends the short grant name
		t.Errorf("successful token requests = %v", grants)
	}
}
