package idp_test

import (
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ssoharness/ssoharness/idp"
)

// FuzzClientAssertion fuzzes client_assertion at the v2 and v1 token endpoints, the app having
// a registered certificate (so that signature verification is reached): never a panic, a 5xx
// or an answer that is not Entra's (checkEntraAnswer).
func FuzzClientAssertion(f *testing.F) {
	cert, key := newClientCert(f, "fuzz-daemon")
	cfg := oidcTestConfig()
	cfg.Tenants[0].AppRegistrations[0].KeyCredentials = []*idp.KeyCredential{{Key: base64.StdEncoding.EncodeToString(cert.Raw)}}
	s, err := idp.New(idp.WithConfig(cfg))
	if err != nil {
		f.Fatal(err)
	}
	s.URL = "https://login.mock.test"
	aud := s.URL + "/" + contosoID + "/oauth2/v2.0/token"
	ok := signAssertion(f, key, jose.PS256, map[string]any{"x5t#S256": x5tS256(cert)}, map[string]any{
		"aud": aud, "iss": webAppID, "sub": webAppID, "jti": "f", "nbf": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	f.Add(ok, false)
	f.Add(ok, true)
	parts := strings.Split(ok, ".")
	for _, hdr := range []string{`{"alg":"PS256","x5t#S256":"!!"}`, `{"alg":"none","kid":""}`, `{"x5t":"` + x5t(cert) + `"}`, `[]`, `{"x5t#S256":null}`} {
		f.Add(base64.RawURLEncoding.EncodeToString([]byte(hdr))+"."+parts[1]+"."+parts[2], false)
	}
	for _, claims := range []string{`{"exp":1e400,"iss":"` + webAppID + `","sub":"` + webAppID + `"}`, `{"exp":"soon"}`, `{"aud":{"a":1},"exp":1}`, `null`} {
		f.Add(parts[0]+"."+base64.RawURLEncoding.EncodeToString([]byte(claims))+"."+parts[2], false)
	}
	f.Add("..", true)
	f.Fuzz(func(t *testing.T, assertion string, v1 bool) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {webAppID}, "client_assertion": {assertion},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "scope": {"https://graph.microsoft.com/.default"}}
		path := "/" + contosoID + "/oauth2/v2.0/token"
		if v1 {
			path = "/" + contosoID + "/oauth2/token"
			form.Set("resource", "https://graph.microsoft.com")
		}
		r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		serveFuzz(t, s, r, assertion)
	})
}
