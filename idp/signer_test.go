package idp_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/internal/signer"
)

// countingBackend counts the signatures its backend makes: proof that a kind of signature
// went through the server's signer seam.
type countingBackend struct {
	signer.Backend
	n atomic.Int64
}

func (c *countingBackend) Signer(k *rsa.PrivateKey) crypto.Signer {
	return countingSigner{c.Backend.Signer(k), &c.n}
}

type countingSigner struct {
	crypto.Signer
	n *atomic.Int64
}

func (c countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(r, d, o)
}

// opensslOrSkip is the OpenSSL backend; skips without it (CGO_ENABLED=0, no libcrypto.so.3),
// fails under CI=true.
func opensslOrSkip(t *testing.T) signer.Backend {
	t.Helper()
	b, err := signer.OpenSSL()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("OpenSSL signer unavailable under CI: %v", err)
		}
		t.Skipf("OpenSSL signer unavailable: %v", err)
	}
	return b
}

// TestOpenSSLSignerSignaturesVerify makes each kind of signature of the mock with the OpenSSL
// signer and verifies it every way that applies: SAML Responses (both writers, each signing
// option, SHA-256 and SHA-1) and federation metadata with goxmldsig (which verifies with Go's
// crypto/rsa) and xmlsec1 (libxmlsec1 over its own canonicalisation); a JWS with Go's
// crypto/rsa and go-jose; a redirect-binding query signature with crypto/rsa. Every
// signature is also byte for byte what Go's crypto/rsa signer makes (PKCS #1 v1.5 is
// deterministic), and the counting wrapper proves each went through the seam.
func TestOpenSSLSignerSignaturesVerify(t *testing.T) {
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmlsec1 is not installed (Debian package xmlsec1)")
		}
		t.Skip("xmlsec1 is not installed (Debian package xmlsec1)")
	}
	ossl := &countingBackend{Backend: opensslOrSkip(t)}
	certFile := goldenKeyPath("signing.crt")
	cert := goldenCert(t)
	pub := cert.PublicKey.(*rsa.PublicKey)
	clock := idp.NewFrozenClock(goldenNow)
	// server makes a golden server signing with backend b.
	server := func(b signer.Backend, option, alg string) (*idp.Server, *idp.Tenant, *idp.EnterpriseApp) {
		s, err := idp.New(idp.WithConfig(goldenConfig(option, alg)), idp.WithClock(clock), idp.WithRand(idp.NewSeededRand(1)), idp.WithSigner(b), idp.WithKeyGenerator(idptest.PooledKeys()))
		if err != nil {
			t.Fatal(err)
		}
		tn := s.Tenant(goldenTenantID)
		return s, tn, tn.EnterpriseApps[0]
	}
	// xmlBoth verifies every signature of doc with goxmldsig and xmlsec1 and checks that
	// Go's signer makes the same document.
	xmlBoth := func(t *testing.T, what string, doc, goDoc []byte, wantSigs int) {
		checks := signatureChecks(t, xmlsec, certFile, doc)
		if len(checks) != wantSigs {
			t.Fatalf("%s: %d signatures, want %d", what, len(checks), wantSigs)
		}
		for _, c := range checks {
			if c.goxmldsig != nil || c.xmlsec != nil {
				t.Errorf("%s, %s: goxmldsig says %v, xmlsec1 %v", what, c.where, c.goxmldsig, c.xmlsec)
			}
		}
		if !bytes.Equal(doc, goDoc) {
			t.Errorf("%s: OpenSSL's document differs from Go's", what)
		}
	}

	t.Run("saml-response", func(t *testing.T) {
		for _, c := range []struct {
			option, alg string
			sigs        int
		}{
			{idp.SignAssertion, idp.AlgorithmSHA256, 1}, {idp.SignResponse, idp.AlgorithmSHA256, 1},
			{idp.SignResponseAndAssertion, idp.AlgorithmSHA256, 2}, {idp.SignResponseAndAssertion, idp.AlgorithmSHA1, 2},
		} {
			before := ossl.n.Load()
			var docs [2][2][]byte // [backend][writer]
			for i, b := range []signer.Backend{ossl, signer.Go()} {
				s, tn, app := server(b, c.option, c.alg)
				in := idp.SAMLResponseInput{Tenant: tn, App: app, User: tn.Users[0], Destination: goldenACS,
					InResponseTo: goldenRequest, AuthnInstant: clock.Now().Add(-2 * time.Minute)}
				r, err := s.BuildSAMLResponse(in)
				if err != nil {
					t.Fatal(err)
				}
				if docs[i][0], err = r.Bytes(); err != nil {
					t.Fatal(err)
				}
				if docs[i][1], err = s.SAMLResponseBytes(in); err != nil {
					t.Fatal(err)
				}
			}
			what := c.option + " " + c.alg
			xmlBoth(t, what+" (goxmldsig writer)", docs[0][0], docs[1][0], c.sigs)
			xmlBoth(t, what+" (direct writer)", docs[0][1], docs[1][1], c.sigs)
			if got := ossl.n.Load() - before; got != int64(2*c.sigs) {
				t.Errorf("%s: %d signatures through the seam, want %d", what, got, 2*c.sigs)
			}
		}
	})

	t.Run("metadata", func(t *testing.T) {
		before := ossl.n.Load()
		s, tn, app := server(ossl, idp.SignAssertion, idp.AlgorithmSHA256)
		doc, err := s.Metadata(tn, app)
		if err != nil {
			t.Fatal(err)
		}
		gs, gtn, gapp := server(signer.Go(), idp.SignAssertion, idp.AlgorithmSHA256)
		goDoc, err := gs.Metadata(gtn, gapp)
		if err != nil {
			t.Fatal(err)
		}
		xmlBoth(t, "metadata", doc, goDoc, 1)
		if ossl.n.Load() == before {
			t.Error("metadata signed without the seam")
		}
	})

	t.Run("jws", func(t *testing.T) {
		before := ossl.n.Load()
		s, tn, _ := server(ossl, idp.SignAssertion, idp.AlgorithmSHA256)
		claims := map[string]any{"aud": goldenAppID, "iss": "https://login.mock.test/" + tn.ID + "/v2.0", "sub": "x"}
		tok, err := s.SignJWT(tn.ID, claims)
		if err != nil {
			t.Fatal(err)
		}
		if ossl.n.Load() != before+1 {
			t.Errorf("%d signatures through the seam, want 1", ossl.n.Load()-before)
		}
		parts := strings.Split(tok, ".")
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil || len(parts) != 3 {
			t.Fatalf("not a compact JWS: %q", tok)
		}
		keys := s.OIDCKeys(tn.ID)
		if len(keys) == 0 {
			t.Fatal("no OIDC signing key")
		}
		key := &keys[0].Key.PublicKey
		h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig); err != nil {
			t.Errorf("crypto/rsa: %v", err)
		}
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jws.Verify(key); err != nil {
			t.Errorf("go-jose: %v", err)
		}
		gs, gtn, _ := server(signer.Go(), idp.SignAssertion, idp.AlgorithmSHA256)
		if gtok, err := gs.SignJWT(gtn.ID, claims); err != nil || gtok != tok {
			t.Errorf("Go's signer makes another token (%v)", err)
		}
	})

	t.Run("redirect-query", func(t *testing.T) {
		for _, alg := range []string{idp.AlgorithmSHA256, idp.AlgorithmSHA1} {
			before := ossl.n.Load()
			s, _, app := server(ossl, idp.SignAssertion, alg)
			msg := []byte(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>`)
			u, err := s.SignedRedirectURL(app, "https://sp.example.test/saml/slo?x=1", msg)
			if err != nil {
				t.Fatal(err)
			}
			if ossl.n.Load() != before+1 {
				t.Errorf("%s: %d signatures through the seam, want 1", alg, ossl.n.Load()-before)
			}
			raw := u[strings.IndexByte(u, '?')+1:]
			m := regexp.MustCompile(`(?:^|&)(SAMLRequest=[^&]*&SigAlg=[^&]*)&Signature=([^&]*)$`).FindStringSubmatch(raw)
			if m == nil {
				t.Fatalf("%s: no signed query in %s", alg, u)
			}
			sigText, _ := url.QueryUnescape(m[2])
			sig, err := base64.StdEncoding.DecodeString(sigText)
			if err != nil {
				t.Fatal(err)
			}
			var h crypto.Hash
			var d []byte
			if alg == idp.AlgorithmSHA1 {
				sum := sha1.Sum([]byte(m[1]))
				h, d = crypto.SHA1, sum[:]
			} else {
				sum := sha256.Sum256([]byte(m[1]))
				h, d = crypto.SHA256, sum[:]
			}
			if !strings.Contains(m[1], url.QueryEscape(map[crypto.Hash]string{crypto.SHA1: dsig.RSASHA1SignatureMethod, crypto.SHA256: dsig.RSASHA256SignatureMethod}[h])) {
				t.Errorf("%s: SigAlg is not %v's: %s", alg, h, m[1])
			}
			if err := rsa.VerifyPKCS1v15(pub, h, d, sig); err != nil {
				t.Errorf("%s: crypto/rsa: %v", alg, err)
			}
			gs, _, gapp := server(signer.Go(), idp.SignAssertion, alg)
			if gu, err := gs.SignedRedirectURL(gapp, "https://sp.example.test/saml/slo?x=1", msg); err != nil || gu != u {
				t.Errorf("%s: Go's signer makes another URL (%v)", alg, err)
			}
		}
	})
}

// TestSignaturesGoThroughTheSeam: no code of the server signs around the signer seam (a
// direct crypto/rsa call or a signing context built on the raw key would silently use Go's
// crypto/rsa whatever the backend).
func TestSignaturesGoThroughTheSeam(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	bypass := regexp.MustCompile(`rsa\.Sign(PKCS1v15|PSS)\(|\.Key\.Sign\(|NewSigningContext\([^)]*\.Key\b|jose\.SigningKey\{`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if bypass.MatchString(line) {
				t.Errorf("%s:%d signs around the signer seam: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// TestServerSignerDefault: without WithSigner the server signs with OpenSSL when it loads,
// else Go's crypto/rsa (see internal/signer for the CGO-less and missing-library cases).
func TestServerSignerDefault(t *testing.T) {
	s, err := idp.New(idp.WithConfig(goldenConfig(idp.SignAssertion, idp.AlgorithmSHA256)))
	if err != nil {
		t.Fatal(err)
	}
	want := signer.NameGo
	if _, err := signer.OpenSSL(); err == nil {
		want = signer.NameOpenSSL
	}
	if got := s.Signer().Name(); got != want {
		t.Errorf("default signer %s, want %s", got, want)
	}
}
