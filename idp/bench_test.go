package idp

// Benchmarks of the IdP's hot paths. They run in-process (httptest, no network) so that what
// they measure is the IdP's own CPU. The sign-in benchmarks report the cost of a whole sign-in
// against the cost of the RSA signatures it must make (sig-cost-ratio); the targets are in
// PERFORMANCE.md (this directory), never in a test:
//
//	go test ./idp/ -run '^$' -bench . -benchmem -cpu 1 -count 5

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dsig "github.com/russellhaering/goxmldsig"
)

const (
	benchBase     = "https://login.example.test"
	benchTenant   = "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"
	benchSAMLApp  = "9a4c7e1f-6b2d-4e8a-b3c5-d7e9f1a2b4c6"
	benchACS      = "https://sp.example.test/saml/acs"
	benchEntityID = "https://sp.example.test/saml/metadata"
	benchClientID = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	benchRedirect = "http://localhost:8080/signin-oidc"
	benchSecret   = "Mq8Q~contoso.mock-secret_value.0123456789"
	benchUser     = "B.Simon@contoso.com"
	benchPassword = "Passw0rd!"
)

// benchKeys hands out pre-generated RSA-2048 keys so that building a server per benchmark
// does not spend seconds on key generation. The keys are test data, not server state.
var benchKeys = struct {
	once sync.Once
	keys []*rsa.PrivateKey
}{}

func benchKeyGen() KeyGenerator {
	benchKeys.once.Do(func() {
		for range 4 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			benchKeys.keys = append(benchKeys.keys, k)
		}
	})
	i := 0
	return func() (*rsa.PrivateKey, error) {
		k := benchKeys.keys[i%len(benchKeys.keys)]
		i++
		return k, nil
	}
}

// benchServer is the default directory at a fixed public URL, with its own wall clock and
// crypto/rand (as `mockidp serve` runs).
func benchServer(b *testing.B, opts ...Option) *Server {
	b.Helper()
	cfg := DefaultConfig()
	cfg.PublicURL = benchBase
	s, err := New(append([]Option{WithConfig(cfg), WithKeyGenerator(benchKeyGen())}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchTenantApp(b *testing.B, s *Server) (*Tenant, *EnterpriseApp, *User) {
	t := s.Tenant(benchTenant)
	if t == nil || len(t.EnterpriseApps) == 0 {
		b.Fatal("default tenant or app missing")
	}
	return t, t.EnterpriseApps[0], t.userByLogin(benchUser)
}

// serve runs one request through the server's handler.
func serve(s *Server, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// get and post make requests as a server hands them to its handler, without the parsing
// of a request line that httptest.NewRequest does: the test client's own cost is kept out
// of the IdP's figures. Every request comes from one browser: it carries that browser's flow
// cookie, which the sign-in page's posts must have.
func get(u *url.URL) *http.Request {
	return &http.Request{Method: http.MethodGet, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Cookie": {benchBrowser}}, Host: u.Host, RequestURI: u.RequestURI(), RemoteAddr: "192.0.2.1:1234"}
}

// benchBrowser is the benchmarks' browser's flow cookie (a value the server could have made).
const benchBrowser = flowCookie + "=BENCHBROWSER2345ABCDEFGHIJ"

func post(u *url.URL, body string) *http.Request {
	r := get(u)
	r.Method = http.MethodPost
	r.Header["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
	return r
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// Form bodies of the sign-in page's two steps and of a code redemption.
func emailBody(ctx string) string {
	return "ctx=" + ctx + "&step=email&login=" + url.QueryEscape(benchUser)
}
func passwordBody(ctx string) string {
	return "ctx=" + ctx + "&step=password&login=" + url.QueryEscape(benchUser) + "&passwd=" + url.QueryEscape(benchPassword)
}
func tokenBody(code string) string {
	return "grant_type=authorization_code&code=" + url.QueryEscape(code) + "&redirect_uri=" + url.QueryEscape(benchRedirect) +
		"&client_id=" + benchClientID + "&client_secret=" + url.QueryEscape(benchSecret)
}

// benchAuthnQuery is an SP's AuthnRequest in the HTTP-Redirect binding (SAMLRequest=
// base64(DEFLATE(xml))), built once: encoding it is the SP's cost, not the IdP's.
func benchAuthnQuery() string {
	x := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
		` ID="_a1b2c3d4e5f60718293a4b5c6d7e8f90" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"` +
		` Destination="` + benchBase + `/` + benchTenant + `/saml2" AssertionConsumerServiceURL="` + benchACS + `"` +
		` ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>` + benchEntityID + `</saml:Issuer>` +
		`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/></samlp:AuthnRequest>`
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = fw.Write([]byte(x))
	_ = fw.Close()
	return url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}, "RelayState": {"/dashboard"}}.Encode()
}

func benchAuthorizeQuery() string {
	return url.Values{
		"client_id": {benchClientID}, "redirect_uri": {benchRedirect}, "response_type": {"code"},
		"scope": {"openid profile email"}, "state": {"st-0123456789"}, "nonce": {"n-0123456789"},
	}.Encode()
}

// flowCtx extracts the sign-in page's flow handle.
func flowCtx(b *testing.B, w *httptest.ResponseRecorder) string {
	body := w.Body.Bytes()
	const marker = `name="ctx" value="`
	i := bytes.Index(body, []byte(marker))
	if i < 0 {
		b.Fatalf("no sign-in page (status %d): %.300s", w.Code, body)
	}
	rest := body[i+len(marker):]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

// codeOf is the code of an authorize redirect.
func codeOf(b *testing.B, w *httptest.ResponseRecorder) string {
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		b.Fatalf("no code: %d %s", w.Code, w.Header().Get("Location"))
	}
	return loc.Query().Get("code")
}

var samlResponseRE = regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`)

// samlSignatures decodes the auto-post page's SAMLResponse and counts its Signature elements.
func samlSignatures(b *testing.B, body []byte) int {
	m := samlResponseRE.FindSubmatch(body)
	if m == nil {
		b.Fatalf("no SAMLResponse in %.300s", body)
	}
	x, err := base64.StdEncoding.DecodeString(html.UnescapeString(string(m[1])))
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Count(x, []byte("<Signature "))
}

// sigCost measures the CPU cost of one RSA-2048 PKCS #1 v1.5 SHA-256 signature (hash of a
// small input included) on this machine, now, with key, made by the server's signer backend
// (the one its sign-ins used: MOCKIDP_LIBCRYPTO=/nonexistent benchmarks Go's crypto/rsa).
func sigCost(sg crypto.Signer) float64 {
	msg := make([]byte, 512)
	var best float64
	for round := 0; round < 3; round++ {
		n := 0
		start := cpuNow()
		for {
			d := sha256.Sum256(msg)
			if _, err := sg.Sign(nil, d[:], crypto.SHA256); err != nil {
				panic(err)
			}
			n++
			if el := cpuNow() - start; el > 40*time.Millisecond && n >= 20 {
				per := float64(el) / float64(n)
				if best == 0 || per < best {
					best = per
				}
				break
			}
		}
	}
	return best
}

// loop runs body b.N times and reports, besides ns/op, the process CPU time per operation
// (cpu-ns/op): on a shared machine wall time also counts the time other processes held the
// CPU, CPU time does not.
func loop(b *testing.B, body func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuNow()
	for i := 0; i < b.N; i++ {
		body(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
}

// reportSignIn reports the sign-in's cost: CPU per sign-in, the RSA signature cost measured
// in this process, the signatures a sign-in made, and their ratio.
func reportSignIn(b *testing.B, cpu time.Duration, sigs int, key crypto.Signer) {
	b.StopTimer()
	per := float64(cpu) / float64(b.N)
	sc := sigCost(key)
	b.ReportMetric(per, "cpu-ns/sign-in")
	b.ReportMetric(sc, "ns/sig")
	b.ReportMetric(float64(sigs), "sigs/sign-in")
	b.ReportMetric(per/(float64(sigs)*sc), "sig-cost-ratio")
}

func BenchmarkRSASign(b *testing.B) {
	s := benchServer(b)
	_, app, _ := benchTenantApp(b, s)
	key := s.signerOf(s.activeKey(app)) // the server's backend (see sigCost)
	d := sha256.Sum256([]byte("x"))
	loop(b, func(int) {
		if _, err := key.Sign(nil, d[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkSAMLResponse builds and signs the default app's Response (assertion signed,
// RSA-SHA256, exc-c14n): "build" is BuildSAMLResponse alone (the DOM path, which faults
// use), "bytes" adds its serialisation, "sent" is what the handler does for a plain sign-in
// (the bytes as sent), "post" adds base64 and the auto-post page.
func BenchmarkSAMLResponse(b *testing.B) {
	s := benchServer(b)
	t, app, u := benchTenantApp(b, s)
	in := samlResponseInput{Tenant: t, App: app, User: u, Destination: benchACS, InResponseTo: "_a1b2c3d4e5f60718293a4b5c6d7e8f90"}
	b.Run("build", func(b *testing.B) {
		loop(b, func(int) {
			if _, err := s.BuildSAMLResponse(in); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("bytes", func(b *testing.B) {
		loop(b, func(int) {
			r, err := s.BuildSAMLResponse(in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Bytes(); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("sent", func(b *testing.B) {
		loop(b, func(int) {
			if _, _, err := s.samlResponseBytes(in); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("post", func(b *testing.B) {
		loop(b, func(int) {
			x, _, err := s.samlResponseBytes(in)
			if err != nil {
				b.Fatal(err)
			}
			s.sendMintedSAML(httptest.NewRecorder(), nil, nil, benchACS, "/dashboard", x)
		})
	})
}

// BenchmarkExcC14N is the canonicalisation of an Assertion alone, as the signer needs it:
// "goxmldsig" copies the DOM and canonicalises the copy (the DOM path, kept for faults),
// "direct" writes the canonical form from the values (the handlers' path).
func BenchmarkExcC14N(b *testing.B) {
	s := benchServer(b)
	t, app, u := benchTenantApp(b, s)
	in := samlResponseInput{Tenant: t, App: app, User: u, Destination: benchACS, InResponseTo: "_a1b2c3d4e5f60718293a4b5c6d7e8f90"}
	r, err := s.BuildSAMLResponse(in)
	if err != nil {
		b.Fatal(err)
	}
	a := r.Doc.Root().SelectElement("Assertion").Copy()
	a.RemoveChild(a.SelectElement("Signature"))
	b.Run("goxmldsig", func(b *testing.B) {
		c := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		loop(b, func(int) {
			if _, err := c.Canonicalize(a.Copy()); err != nil {
				b.Fatal(err)
			}
		})
	})
	benchDirectC14N(b, s, in)
}

// BenchmarkMintTokens mints the ID token and the access token of one code redemption.
func BenchmarkMintTokens(b *testing.B) {
	s := benchServer(b)
	t := s.Tenant(benchTenant)
	app := t.AppRegistration(benchClientID)
	u := t.userByLogin(benchUser)
	now := s.clock.Now()
	g := &oauthGrant{app: app, tenant: t, user: u, sid: s.rand.guid(), authTime: now, scopes: []string{"openid", "profile", "email"},
		nonce: "n-0123456789", redirect: benchRedirect, platform: platformWeb, expires: now.Add(codeLifetime)}
	ss, _ := parseScope(strings.Join(g.scopes, " "))
	res, e := s.resolveResource(ss)
	if e != nil {
		b.Fatal(e)
	}
	b.Run("id_token", func(b *testing.B) {
		loop(b, func(int) {
			if _, err := s.idToken(g, "", "", false); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("access_token", func(b *testing.B) {
		loop(b, func(int) {
			if _, _, err := s.accessToken(g, res, "1"); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkHandlers runs single requests through the handler.
func BenchmarkHandlers(b *testing.B) {
	s := benchServer(b)
	ssoURL := mustURL(benchBase + "/" + benchTenant + "/saml2?" + benchAuthnQuery())
	authzURL := mustURL(benchBase + "/" + benchTenant + "/oauth2/v2.0/authorize?" + benchAuthorizeQuery())
	loginURL := mustURL(benchBase + "/" + benchTenant + "/login")
	tokenURL := mustURL(benchBase + "/" + benchTenant + "/oauth2/v2.0/token")
	check := func(b *testing.B, w *httptest.ResponseRecorder, code int) {
		if w.Code != code {
			b.Fatalf("status %d, want %d: %.300s", w.Code, code, w.Body.Bytes())
		}
	}
	// flows starts n sign-ins at start and returns their flow handles; the timed loop then
	// posts the password step, which issues the response.
	flows := func(b *testing.B, n int, start *url.URL) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = flowCtx(b, serve(s, get(start)))
		}
		return out
	}
	b.Run("saml-sso-redirect", func(b *testing.B) {
		loop(b, func(int) { check(b, serve(s, get(ssoURL)), http.StatusOK) })
	})
	b.Run("saml-credentials-post", func(b *testing.B) {
		ctxs := flows(b, b.N, ssoURL)
		loop(b, func(i int) { check(b, serve(s, post(loginURL, passwordBody(ctxs[i]))), http.StatusOK) })
	})
	b.Run("oidc-authorize", func(b *testing.B) {
		loop(b, func(int) { check(b, serve(s, get(authzURL)), http.StatusOK) })
	})
	b.Run("oidc-credentials-post", func(b *testing.B) {
		ctxs := flows(b, b.N, authzURL)
		loop(b, func(i int) { check(b, serve(s, post(loginURL, passwordBody(ctxs[i]))), http.StatusFound) })
	})
	b.Run("oidc-token", func(b *testing.B) {
		codes := make([]string, b.N)
		for i, ctx := range flows(b, b.N, authzURL) {
			codes[i] = codeOf(b, serve(s, post(loginURL, passwordBody(ctx))))
		}
		loop(b, func(i int) { check(b, serve(s, post(tokenURL, tokenBody(codes[i]))), http.StatusOK) })
	})
	for _, m := range []struct{ name, path string }{
		{"saml-metadata", "/" + benchTenant + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + benchSAMLApp},
		{"oidc-discovery", "/" + benchTenant + "/v2.0/.well-known/openid-configuration"},
		{"oidc-jwks", "/" + benchTenant + "/discovery/v2.0/keys"},
	} {
		u := mustURL(benchBase + m.path)
		b.Run(m.name, func(b *testing.B) {
			loop(b, func(int) { check(b, serve(s, get(u)), http.StatusOK) })
		})
	}
}

// BenchmarkSignIn is one whole sign-in per iteration through the handlers, in a new browser
// (no IdP session): the SP's request, the email step, the password step that issues the
// response, and for OIDC the code redemption. sig-cost-ratio is the CPU of a sign-in over
// that of the RSA signatures it made; the targets are in PERFORMANCE.md.
func BenchmarkSignIn(b *testing.B) {
	b.Run("saml", func(b *testing.B) {
		s := benchServer(b)
		_, app, _ := benchTenantApp(b, s)
		ssoURL := mustURL(benchBase + "/" + benchTenant + "/saml2?" + benchAuthnQuery())
		loginURL := mustURL(benchBase + "/" + benchTenant + "/login")
		var last []byte
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuNow()
		for i := 0; i < b.N; i++ {
			ctx := flowCtx(b, serve(s, get(ssoURL)))
			serve(s, post(loginURL, emailBody(ctx)))
			w := serve(s, post(loginURL, passwordBody(ctx)))
			if w.Code != http.StatusOK {
				b.Fatalf("password step: %d %.300s", w.Code, w.Body.Bytes())
			}
			last = w.Body.Bytes()
		}
		cpu := cpuNow() - cpu0
		reportSignIn(b, cpu, samlSignatures(b, last), s.signerOf(s.activeKey(app)))
	})
	b.Run("oidc", func(b *testing.B) {
		s := benchServer(b)
		authzURL := mustURL(benchBase + "/" + benchTenant + "/oauth2/v2.0/authorize?" + benchAuthorizeQuery())
		loginURL := mustURL(benchBase + "/" + benchTenant + "/login")
		tokenURL := mustURL(benchBase + "/" + benchTenant + "/oauth2/v2.0/token")
		var last []byte
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuNow()
		for i := 0; i < b.N; i++ {
			ctx := flowCtx(b, serve(s, get(authzURL)))
			serve(s, post(loginURL, emailBody(ctx)))
			code := codeOf(b, serve(s, post(loginURL, passwordBody(ctx))))
			w := serve(s, post(tokenURL, tokenBody(code)))
			if w.Code != http.StatusOK {
				b.Fatalf("token: %d %.300s", w.Code, w.Body.Bytes())
			}
			last = w.Body.Bytes()
		}
		cpu := cpuNow() - cpu0
		var tr map[string]any
		if err := json.Unmarshal(last, &tr); err != nil {
			b.Fatal(err)
		}
		sigs := 0
		for _, k := range []string{"access_token", "id_token"} {
			if v, _ := tr[k].(string); strings.Count(v, ".") == 2 {
				sigs++
			}
		}
		reportSignIn(b, cpu, sigs, s.signerOf(s.activeOIDCKey(benchTenant)))
	})
}
