package idp_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// newClientCert makes a self-signed certificate for a client assertion key, as
// `New-SelfSignedCertificate` or `openssl req -x509` would, valid from an hour ago for a year.
func newClientCert(t testing.TB, cn string) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// assertionKeyID is the keyId of the test app's registered certificate.
const assertionKeyID = "abababab-0000-4000-8000-000000000001"

// assertionServer starts the mock with the web app's certificate registered, plus an expired
// registration of a second certificate.
func assertionServer(t *testing.T) (srv *idp.Server, cert *x509.Certificate, key *rsa.PrivateKey, oldCert *x509.Certificate, oldKey *rsa.PrivateKey) {
	t.Helper()
	cert, key = newClientCert(t, "contoso-daemon")
	oldCert, oldKey = newClientCert(t, "contoso-daemon-old")
	cfg := oidcTestConfig()
	web := cfg.Tenants[0].AppRegistrations[0]
	end := idp.RelTime{Offset: -24 * time.Hour}
	web.KeyCredentials = []*idp.KeyCredential{
		{KeyID: assertionKeyID, Key: base64.StdEncoding.EncodeToString(cert.Raw)},
		{Key: "-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString(oldCert.Raw) + "\n-----END CERTIFICATE-----\n", EndDateTime: &end},
	}
	return startOIDCWith(t, cfg), cert, key, oldCert, oldKey
}

func startOIDCWith(t *testing.T, cfg *idp.Config) *idp.Server {
	t.Helper()
	return idptest.Start(t, idp.WithConfig(cfg))
}

// signAssertion signs claims with key under alg, with the extra header members.
func signAssertion(t testing.TB, key *rsa.PrivateKey, alg jose.SignatureAlgorithm, hdr map[string]any, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for k, v := range hdr {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func x5t(c *x509.Certificate) string {
	h := sha1.Sum(c.Raw)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func x5tS256(c *x509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// postToken posts form to the token endpoint path and decodes the JSON answer.
func postToken(t *testing.T, srv *idp.Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, body
}

// jwtClaims decodes a JWT's payload without verifying it.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClientAssertion drives client_credentials with hand-made client assertions through
// each check Entra makes, at the v2 and v1 token endpoints.
func TestClientAssertion(t *testing.T) {
	srv, cert, key, oldCert, oldKey := assertionServer(t)
	_, strangerKey := newClientCert(t, "stranger")
	stranger, _ := newClientCert(t, "stranger2")
	v2 := srv.URL + "/" + contosoID + "/oauth2/v2.0/token"
	v1 := srv.URL + "/" + contosoID + "/oauth2/token"
	now := time.Now()
	base := func() map[string]any {
		return map[string]any{"aud": v2, "iss": webAppID, "sub": webAppID, "jti": "j-" + now.Format(time.RFC3339Nano),
			"nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	}
	with := func(kv ...any) map[string]any {
		c := base()
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	s256 := map[string]any{"x5t#S256": x5tS256(cert)}
	// MSAL Go writes x5t#S256 in standard base64 (padded, +/), which Entra takes.
	h := sha256.Sum256(cert.Raw)
	msalStyle := map[string]any{"x5t#S256": base64.StdEncoding.EncodeToString(h[:])}
	cases := []struct {
		name     string
		path     string
		typ      string
		tok      string
		wantCode int // 0: success
		wantIn   string
	}{
		{"PS256 x5t#S256", "/v2", "", signAssertion(t, key, jose.PS256, s256, base()), 0, ""},
		{"PS256 x5t#S256 standard base64 (MSAL Go)", "/v2", "", signAssertion(t, key, jose.PS256, msalStyle, base()), 0, ""},
		{"RS256 x5t (ADAL, docs)", "/v2", "", signAssertion(t, key, jose.RS256, map[string]any{"x5t": x5t(cert)}, base()), 0, ""},
		{"kid = keyId", "/v2", "", signAssertion(t, key, jose.RS256, map[string]any{"kid": assertionKeyID}, base()), 0, ""},
		{"v1 token URL as aud at v2", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("aud", v1)), 0, ""},
		{"v1 endpoint", "/v1", "", signAssertion(t, key, jose.PS256, s256, with("aud", v1)), 0, ""},
		{"domain as tenant in aud", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("aud", srv.URL+"/contoso.onmicrosoft.com/oauth2/v2.0/token")), 0, ""},
		{"no nbf", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("nbf", nil)), 0, ""},
		{"other client_assertion_type", "/v2", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer", signAssertion(t, key, jose.PS256, s256, base()), 90011, "Unexpected client assertion type."},
		{"no client_assertion_type", "/v2", "-", signAssertion(t, key, jose.PS256, s256, base()), 900144, "'client_assertion_type'"},
		{"not a JWT", "/v2", "", "not-a-jwt", 50027, "JWT token is invalid or malformed."},
		{"no thumbprint", "/v2", "", signAssertion(t, key, jose.PS256, nil, base()), 50027, "invalid or malformed"},
		{"aud array", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("aud", []string{v2, srv.URL + "/" + contosoID + "/v2.0"})), 50027, "invalid or malformed"},
		{"no exp", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("exp", nil)), 50027, "invalid or malformed"},
		{"iss and sub another app", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("iss", spaAppID, "sub", spaAppID)), 700021, "doesn't match 'client_id'"},
		{"sub is not iss", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("sub", spaAppID)), 50048, "Subject must match the issuer claim in the client assertion."},
		{"unregistered certificate", "/v2", "", signAssertion(t, strangerKey, jose.PS256, map[string]any{"x5t#S256": x5tS256(stranger)}, base()), 700027, "[Reason - The key was not found., Thumbprint of key used by client: '"},
		{"registered thumbprint, other key", "/v2", "", signAssertion(t, strangerKey, jose.PS256, s256, base()), 700027, "Client assertion contains an invalid signature. [Reason - Key was found, but use of the key to verify the signature failed."},
		{"expired key credential", "/v2", "", signAssertion(t, oldKey, jose.PS256, map[string]any{"x5t#S256": x5tS256(oldCert)}, base()), 700027, "The key was not found."},
		{"aud of another tenant", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("aud", srv.URL+"/"+fabrikamID+"/oauth2/v2.0/token")), 700023, "does not match Realm issuer"},
		{"aud on Entra's host", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("aud", "https://login.microsoftonline.com/"+contosoID+"/oauth2/v2.0/token")), 700023, "Realm issuer"},
		{"expired", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("exp", now.Add(-10*time.Minute).Unix())), 700024, "Client assertion is not within its valid time range. Current time: "},
		{"not yet valid", "/v2", "", signAssertion(t, key, jose.PS256, s256, with("nbf", now.Add(10*time.Minute).Unix())), 700024, "assertion valid from "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {webAppID}, "client_assertion": {c.tok},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
			switch c.typ {
			case "":
			case "-":
				form.Del("client_assertion_type")
			default:
				form.Set("client_assertion_type", c.typ)
			}
			path := "/" + contosoID + "/oauth2/v2.0/token"
			if c.path == "/v1" {
				path = "/" + contosoID + "/oauth2/token"
				form.Set("resource", "https://graph.microsoft.com")
			} else {
				form.Set("scope", "https://graph.microsoft.com/.default")
			}
			status, body := postToken(t, srv, path, form)
			if c.wantCode == 0 {
				if status != http.StatusOK {
					t.Fatalf("status %d: %v", status, body)
				}
				at := jwtClaims(t, body["access_token"].(string))
				if at["appid"] != webAppID || at["appidacr"] != "2" {
					t.Errorf("access token appid %v, appidacr %v; want %s and 2 (certificate)", at["appid"], at["appidacr"], webAppID)
				}
				return
			}
			codes, _ := body["error_codes"].([]any)
			if len(codes) != 1 || int(codes[0].(float64)) != c.wantCode {
				t.Fatalf("status %d, error_codes %v, want [%d]: %v", status, codes, c.wantCode, body["error_description"])
			}
			desc, _ := body["error_description"].(string)
			if !strings.Contains(desc, c.wantIn) {
				t.Errorf("error_description %q lacks %q", desc, c.wantIn)
			}
			wantStatus := http.StatusUnauthorized
			if body["error"] != "invalid_client" {
				wantStatus = http.StatusBadRequest
			}
			if status != wantStatus {
				t.Errorf("status %d for %v, want %d", status, body["error"], wantStatus)
			}
		})
	}
	var jtis int
	for _, ev := range srv.Events() {
		if ev.Kind == idp.EventToken && ev.Binding == "private_key_jwt" && ev.Request["client_assertion_jti"] != "" {
			jtis++
		}
	}
	if jtis == 0 {
		t.Error("the sign-in log records no private_key_jwt token request with its jti")
	}
}

// TestClientAssertionRedeemsCode: a web app that authenticates by certificate redeems its
// code with a client assertion instead of a secret.
func TestClientAssertionRedeemsCode(t *testing.T) {
	srv, cert, key, _, _ := assertionServer(t)
	c := oidcBrowser(srv)
	q := url.Values{"client_id": {webAppID}, "redirect_uri": {webRedir}, "response_type": {"code"}, "scope": {"openid profile"}, "state": {"s"}}
	res := oidcAuthorize(t, c, srv, srv.URL+"/"+contosoID+"/oauth2/v2.0/authorize?"+q.Encode(), bSimon)
	code := res.params().Get("code")
	if code == "" {
		t.Fatalf("no code: %v", res.params())
	}
	tok := signAssertion(t, key, jose.PS256, map[string]any{"x5t#S256": x5tS256(cert)}, map[string]any{
		"aud": srv.URL + "/" + contosoID + "/oauth2/v2.0/token", "iss": webAppID, "sub": webAppID, "jti": "code-1",
		"nbf": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix()})
	status, body := postToken(t, srv, "/"+contosoID+"/oauth2/v2.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {webRedir}, "client_id": {webAppID}, "client_assertion": {tok},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}})
	if status != http.StatusOK || body["id_token"] == nil {
		t.Fatalf("status %d: %v", status, body)
	}
	if acr := jwtClaims(t, body["access_token"].(string))["appidacr"]; acr != "2" {
		t.Errorf("appidacr %v, want 2", acr)
	}
}
