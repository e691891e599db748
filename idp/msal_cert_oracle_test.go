package idp_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// MSAL Go, unmodified, as the oracle of certificate credentials: confidential.NewCredFromCert
// makes the client assertion the way Microsoft's own client does (PS256, x5t#S256 in standard
// base64, aud the v2 token endpoint discovery named, a fresh jti), with instance discovery on
// (the test's network sends login.microsoftonline.com to the mock, see msal_oracle_test.go).
// If MSAL gets a token from the mock with a registered certificate, and AADSTS700027 with an
// unregistered one, an app built on it behaves against the mock as against Entra.

func TestMSALCertificateCredential(t *testing.T) {
	cert, key := newClientCert(t, "contoso-daemon")
	cfg := oidcTestConfig()
	web := cfg.Tenants[0].AppRegistrations[0]
	web.PasswordCredentials = nil // the certificate is the app's only credential
	web.KeyCredentials = []*idp.KeyCredential{{Key: base64.StdEncoding.EncodeToString(cert.Raw), DisplayName: "CN=contoso-daemon"}}
	srv := idptest.StartTLS(t, idp.WithConfig(cfg))
	tr := &entraHostTransport{mock: strings.TrimPrefix(srv.URL, "https://"), next: srv.Client().Transport}
	hc := &http.Client{Transport: tr}
	ctx := context.Background()

	cred, err := confidential.NewCredFromCert([]*x509.Certificate{cert}, key)
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
		c := jwtClaims(t, res.AccessToken)
		if c["appid"] != webAppID || c["appidacr"] != "2" || c["idtyp"] != "app" {
			t.Errorf("%s: appid %v, appidacr %v, idtyp %v; want %s, 2 (certificate), app", scope, c["appid"], c["appidacr"], c["idtyp"], webAppID)
		}
	}
	if len(tr.seen) == 0 || tr.seen[0] != "/common/discovery/instance" {
		t.Errorf("MSAL's calls to login.microsoftonline.com = %v, want instance discovery first", tr.seen)
	}
	var pkj int
	for _, ev := range srv.Events() {
		if ev.Kind == idp.EventToken && ev.Binding == "private_key_jwt" && ev.Status == idp.StatusSuccess {
			pkj++
		}
	}
	if pkj != 2 {
		t.Errorf("successful private_key_jwt token requests in the sign-in log = %d, want 2", pkj)
	}

	// A certificate the app registration does not have: Entra's AADSTS700027, which MSAL
	// reports as the server's error.
	other, otherKey := newClientCert(t, "not-registered")
	cred2, err := confidential.NewCredFromCert([]*x509.Certificate{other}, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	app2, err := confidential.New(srv.URL+"/"+contosoID, webAppID, cred2, confidential.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = app2.AcquireTokenByCredential(ctx, []string{"https://graph.microsoft.com/.default"})
	if err == nil || !strings.Contains(err.Error(), "AADSTS700027") || !strings.Contains(err.Error(), "The key was not found.") {
		t.Fatalf("an unregistered certificate: %v, want AADSTS700027 (key not found)", err)
	}
}
