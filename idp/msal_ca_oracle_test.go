package idp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestMSALClaimsChallenge: MSAL Go (unmodified, v1.10.1) signs in, then a Conditional Access
// policy requiring MFA applies; its silent refresh fails with the mock's AADSTS50076, whose
// body carries suberror basic_action and the claims challenge an app passes back to an
// interactive sign-in (MSAL's WithClaims); that sign-in meets the MFA prompt and MSAL redeems
// its code.
func TestMSALClaimsChallenge(t *testing.T) {
	srv, hc, _, redirect, got := msalOracle(t)
	ctx := context.Background()
	cred, err := confidential.NewCredFromSecret(webSecret)
	if err != nil {
		t.Fatal(err)
	}
	app, err := confidential.New(srv.URL+"/"+contosoID, webAppID, cred, confidential.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(claims string) string {
		t.Helper()
		var opts []confidential.AuthCodeURLOption
		if claims != "" {
			opts = append(opts, confidential.WithClaims(claims))
		}
		u, err := app.AuthCodeURL(ctx, webAppID, redirect, []string{"User.Read"}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		b := idptest.NewBrowser(srv.Client())
		if p, err := b.SignIn(u, bSimon, bPassword); err != nil || p.Status != http.StatusOK {
			t.Fatalf("sign-in: %v %v", err, p)
		}
		select {
		case v := <-got:
			return v.Get("code")
		default:
			t.Fatal("the RP got no code")
		}
		return ""
	}
	res, err := app.AcquireTokenByAuthCode(ctx, signIn(""), redirect, []string{"User.Read"})
	if err != nil {
		t.Fatalf("AcquireTokenByAuthCode: %v", err)
	}
	tn := srv.Config().Tenants[0]
	tn.ConditionalAccessPolicies = []*idp.ConditionalAccessPolicy{{ID: "0a1b2c3d-0000-4000-8000-00000000cafe", DisplayName: "Require MFA",
		Conditions:    idp.CAConditions{Users: idp.CAUsers{IncludeUsers: []string{idp.CAAll}}, Applications: idp.CAApplications{IncludeApplications: []string{idp.CAAll}}},
		GrantControls: idp.CAGrantControls{BuiltInControls: []string{idp.CAControlMFA}}}}
	acct, err := app.Account(ctx, res.Account.HomeAccountID)
	if err != nil {
		t.Fatal(err)
	}
	// Scopes the cached access token lacks: MSAL must use the refresh token.
	_, err = app.AcquireTokenSilent(ctx, []string{"profile", "User.Read", "email"}, confidential.WithSilentAccount(acct))
	var ce msalerrors.CallErr
	if err == nil || !errors.As(err, &ce) {
		t.Fatalf("silent refresh under an MFA policy: %v (%T), want MSAL's CallErr", err, err)
	}
	if !strings.Contains(err.Error(), "AADSTS50076") {
		t.Errorf("MSAL's error does not carry AADSTS50076: %v", err)
	}
	// The app reads the challenge from the error body MSAL hands it.
	var body struct {
		Suberror string `json:"suberror"`
		Claims   string `json:"claims"`
	}
	if ce.Resp == nil || ce.Resp.Body == nil {
		t.Fatal("MSAL's CallErr has no response body")
	}
	if err := json.NewDecoder(ce.Resp.Body).Decode(&body); err != nil {
		t.Fatalf("the error body: %v", err)
	}
	claims := body.Claims
	if body.Suberror != "basic_action" || claims != `{"access_token":{"capolids":{"essential":true,"values":["0a1b2c3d-0000-4000-8000-00000000cafe"]}}}` {
		t.Fatalf("suberror %q, claims %q", body.Suberror, claims)
	}
	res, err = app.AcquireTokenByAuthCode(ctx, signIn(claims), redirect, []string{"User.Read"}, confidential.WithClaims(claims))
	if err != nil {
		t.Fatalf("AcquireTokenByAuthCode after the MFA prompt: %v", err)
	}
	if amr := claim(t, res.AccessToken, "amr"); amr != `["pwd","mfa"]` {
		t.Errorf("amr after the claims challenge: %s", amr)
	}
}
