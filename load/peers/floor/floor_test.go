package main

import (
	"context"
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
