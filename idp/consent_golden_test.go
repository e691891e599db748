package idp_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// conditionLines is what the RP received from a sign-in under a condition row (consent,
// Conditional Access), the user doing the row's UserAction: the authorization response's
// parameters (error_description without its trace block), and for a code the access token's
// amr (v1 Graph token).
func (r *faultRig) conditionLines(t *testing.T, b *idptest.Browser, f idp.Fault) []string {
	t.Helper()
	b.DeclineConsent = f.UserAction == idp.ActionDeclineConsent
	q := url.Values{"client_id": {r.reg.AppID}, "response_type": {"code"}, "redirect_uri": {r.reg.Web.RedirectURIs[0]},
		"scope": {"openid profile email"}, "state": {"state-123"}, "nonce": {"nonce-456"}}
	p, err := b.SignIn(r.srv.URL+"/"+r.tenant.ID+"/oauth2/v2.0/authorize?"+q.Encode(), "B.Simon@contoso.com", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	got := p.URL.Query()
	lines := []string{"authorize: state=" + got.Get("state")}
	for _, k := range []string{"error", "error_description", "error_uri"} {
		if v := got.Get(k); v != "" {
			v, _, _ = strings.Cut(v, "\r\n")
			lines = append(lines, "authorize: "+k+"="+v)
		}
	}
	if got.Get("code") == "" {
		return lines
	}
	lines = append(lines, "authorize: code")
	resp, err := http.PostForm(r.srv.URL+"/"+r.tenant.ID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {got.Get("code")}, "redirect_uri": {r.reg.Web.RedirectURIs[0]},
		"client_id": {r.reg.AppID}, "client_secret": {r.reg.PasswordCredentials[0].SecretText}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tokens map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %d %v %v", resp.StatusCode, err, tokens)
	}
	return append(lines, "access_token amr: "+claim(t, tokens["access_token"].(string), "amr"))
}
