package idp_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The golden server: frozen clock, seeded IDs, one fixed RSA key (testdata/oidc/signing-key.pem)
// and a fixed public URL, so the documents and claim sets are byte-stable.
func oidcGoldenServer(t *testing.T) *idp.Server {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "oidc", "signing-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := k.(*rsa.PrivateKey)
	cfg := oidcTestConfig()
	srv := idptest.Start(t, idp.WithConfig(cfg), idp.WithClock(idp.NewFrozenClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))),
		idp.WithRand(idp.NewSeededRand(1)), idp.WithKeyGenerator(func() (*rsa.PrivateKey, error) { return key, nil }))
	return srv
}

// checkOIDCGolden compares with testdata/oidc/<name>; -update (the package's golden flag)
// rewrites it.
func checkOIDCGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "oidc", name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./idp/ -run OIDCGolden -update`)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

// hostless replaces the listener's random address so golden files are stable.
func hostless(srv *idp.Server, b []byte) []byte {
	return bytes.ReplaceAll(b, []byte(srv.URL), []byte("https://login.mock.test"))
}

func get(t *testing.T, srv *idp.Server, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return resp, []byte(oidcRead(t, resp))
}

func TestOIDCGoldenDiscovery(t *testing.T) {
	srv := oidcGoldenServer(t)
	for name, path := range map[string]string{
		"openid-configuration-v2-tenant.json": "/" + contosoID + "/v2.0/.well-known/openid-configuration",
		"openid-configuration-v2-common.json": "/common/v2.0/.well-known/openid-configuration",
		"openid-configuration-v1-tenant.json": "/" + contosoID + "/.well-known/openid-configuration",
	} {
		resp, b := get(t, srv, path)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "max-age=86400, private" {
			t.Errorf("%s: %d %v", path, resp.StatusCode, resp.Header)
		}
		checkOIDCGolden(t, name, hostless(srv, b))
	}
}

func TestOIDCGoldenIDTokenClaims(t *testing.T) {
	srv := oidcGoldenServer(t)
	u := srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize?" + url.Values{"client_id": {webAppID}, "redirect_uri": {webRedir},
		"response_type": {"code id_token"}, "response_mode": {"form_post"}, "scope": {"openid profile email"}, "nonce": {"golden-nonce"}, "state": {"s"}}.Encode()
	res := oidcAuthorize(t, oidcBrowser(srv), srv, u, bSimon)
	parts := strings.Split(res.form.Get("id_token"), ".")
	if len(parts) != 3 {
		t.Fatalf("no id_token: %q", res.body)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var h map[string]string
	_ = json.Unmarshal(hdr, &h)
	if h["typ"] != "JWT" || h["alg"] != "RS256" || h["kid"] == "" || h["x5t"] != "" {
		t.Errorf("header %s", hdr)
	}
	checkOIDCGolden(t, "id-token-v2-claims.json", hostless(srv, append(claims, '\n')))
}

// TestOIDCDiscoveryMatchesSamples compares the discovery documents' members with Entra's
// (the key sets: jwks_fidelity_test.go).
func TestOIDCDiscoveryMatchesSamples(t *testing.T) {
	srv := startOIDC(t)
	// The discovery document has the sample's members in the sample's order.
	for _, pair := range [][2]string{{"/common/v2.0/.well-known/openid-configuration", "openid-configuration-v2-common.json"},
		{"/" + contosoID + "/v2.0/.well-known/openid-configuration", "openid-configuration-v2-tenant-2021.json"}} {
		_, body := get(t, srv, pair[0])
		want, err := os.ReadFile("../../shared/reference/samples/" + pair[1])
		if err != nil {
			t.Skip(err)
		}
		if g, w := memberOrder(t, body), memberOrder(t, want); !slices.Equal(g, w) {
			t.Errorf("%s members\n got %v\nwant %v", pair[0], g, w)
		}
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// memberOrder lists the top-level member names of a JSON object in document order.
func memberOrder(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
