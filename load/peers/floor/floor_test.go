package main

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"crypto/rand"
	"crypto/rsa"

	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/internal/signer"
	"github.com/ssoharness/ssoharness/load"
)

// counter counts a server's requests, and the requests that start a sign-in.
type counter struct {
	h              http.Handler
	total, started atomic.Int64
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/_mockidp/") {
		c.total.Add(1)
		if strings.HasSuffix(r.URL.Path, "/saml2") || strings.HasSuffix(r.URL.Path, "/authorize") {
			c.started.Add(1)
		}
	}
	c.h.ServeHTTP(w, r)
}

// shape runs bench's driver (load.Run, the entra flavor) against h for protocol p and
// returns the run, the requests the server got and the sign-ins started.
func shape(t *testing.T, h http.Handler, p load.Protocol) (rr load.RunResult, requests, started int64) {
	t.Helper()
	c := &counter{h: h}
	srv := httptest.NewServer(c)
	defer srv.Close()
	f := load.Entra()
	res, err := load.Run(context.Background(), load.Options{
		Protocols: []load.Protocol{p}, Concurrency: 2, Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond,
		Flavor: &f, Server: load.Server{URL: srv.URL, PID: os.Getpid()}, SignatureCost: time.Millisecond,
	})
	if err != nil {
		t.Fatalf("%s: %v\n%s", p, err, res)
	}
	rr = res.Runs[0]
	if rr.SignIns < 5 || rr.Failed() != 0 {
		t.Fatalf("%s: %d sign-ins, %d failed: %v", p, rr.SignIns, rr.Failed(), rr.ErrorSamples)
	}
	return rr, c.total.Load(), c.started.Load()
}

// The floor completes the sign-ins bench drives, with errors 0, making per sign-in the
// mock's number of HTTP requests and of signatures (the mock runs beside it, behind a
// counting proxy).
func TestFloorMatchesMock(t *testing.T) {
	backend, _, err := signer.Choose(signer.NameAuto)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fl := newFloor(backend.Signer(key))
	mockURL, err := url.Parse(idptest.Start(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	mock := httputil.NewSingleHostReverseProxy(mockURL)
	mock.ErrorLog = log.New(io.Discard, "", 0) // requests cut short by the end of a run
	for _, tc := range []struct {
		p          load.Protocol
		requests   int64
		signatures int
	}{{load.ProtocolSAML, 3, 1}, {load.ProtocolOIDC, 4, 2}} {
		for name, h := range map[string]http.Handler{"floor": fl, "mock": mock} {
			rr, requests, started := shape(t, h, tc.p)
			if rr.SigsMin != tc.signatures || rr.SigsMax != tc.signatures {
				t.Errorf("%s %s: %d-%d signatures per sign-in, want %d", name, tc.p, rr.SigsMin, rr.SigsMax, tc.signatures)
			}
			// Every completed sign-in made tc.requests requests; at most 2 (the
			// concurrency) were cut short by the end of the run, having made at least one.
			if requests > tc.requests*started || requests < tc.requests*started-2*(tc.requests-1) {
				t.Errorf("%s %s: %d requests for %d sign-ins started, want %d each", name, tc.p, requests, started, tc.requests)
			}
			t.Logf("%s %s: %d sign-ins measured, %d requests for %d started, %v signatures per sign-in", name, tc.p, rr.SignIns, requests, started, rr.SignaturesPerSignIn)
		}
	}
}

// The floor's signatures are real: the SAML SignatureValue verifies over the SignedInfo as
// written, the assertion's DigestValue is SHA-256 of the assertion without its signature,
// and both JWS verify, with Go's crypto/rsa.
func TestFloorSignaturesVerify(t *testing.T) {
	backend, _, err := signer.Choose(signer.NameAuto)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fl := newFloor(backend.Signer(key))

	rec := httptest.NewRecorder()
	fl.samlResponse(rec, "_abc", "relay")
	page := rec.Body.String()
	i := strings.Index(page, `name="SAMLResponse" value="`)
	if i < 0 {
		t.Fatalf("no SAMLResponse in %s", page)
	}
	v := page[i+len(`name="SAMLResponse" value="`):]
	doc, err := base64.StdEncoding.DecodeString(v[:strings.IndexByte(v, '"')])
	if err != nil {
		t.Fatal(err)
	}
	x := string(doc)
	between := func(s, a, b string) string {
		i := strings.Index(s, a)
		j := strings.Index(s[i+len(a):], b)
		if i < 0 || j < 0 {
			t.Fatalf("no %s…%s in %s", a, b, s)
		}
		return s[i+len(a) : i+len(a)+j]
	}
	if strings.Count(x, `InResponseTo="_abc"`) != 2 {
		t.Errorf("InResponseTo not the request's ID twice: %s", x)
	}
	si := "<SignedInfo>" + between(x, "<SignedInfo>", "</SignedInfo>") + "</SignedInfo>"
	sig, _ := base64.StdEncoding.DecodeString(between(x, "<SignatureValue>", "</SignatureValue>"))
	d := sha256.Sum256([]byte(si))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], sig); err != nil {
		t.Errorf("SignatureValue: %v", err)
	}
	a := "<Assertion " + between(x, "<Assertion ", "</Assertion>") + "</Assertion>"
	a = a[:strings.Index(a, signatureOpen)] + a[strings.Index(a, "</Signature>")+len("</Signature>"):]
	ad := sha256.Sum256([]byte(a))
	if got := between(si, "<DigestValue>", "</DigestValue>"); got != base64.StdEncoding.EncodeToString(ad[:]) {
		t.Errorf("DigestValue %s is not SHA-256 of the assertion as written", got)
	}

	code := "1." + base64.RawURLEncoding.EncodeToString([]byte("n0nce")) + ".x"
	req := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(url.Values{"code": {code}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	fl.ServeHTTP(rec, req)
	var tr struct{ AccessToken, IDToken string }
	if err := json.Unmarshal(rec.Body.Bytes(), &struct {
		A *string `json:"access_token"`
		I *string `json:"id_token"`
	}{&tr.AccessToken, &tr.IDToken}); err != nil {
		t.Fatalf("token response: %v: %s", err, rec.Body)
	}
	for _, jws := range []string{tr.AccessToken, tr.IDToken} {
		parts := strings.Split(jws, ".")
		if len(parts) != 3 {
			t.Fatalf("not a JWS: %q", jws)
		}
		s, _ := base64.RawURLEncoding.DecodeString(parts[2])
		d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], s); err != nil {
			t.Errorf("JWS signature: %v", err)
		}
	}
	if p, _ := base64.RawURLEncoding.DecodeString(strings.Split(tr.IDToken, ".")[1]); !strings.Contains(string(p), `"nonce":"n0nce"`) {
		t.Errorf("ID token without the code's nonce: %s", p)
	}
}
