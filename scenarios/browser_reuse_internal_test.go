package scenarios

import (
	"context"
	"crypto/x509"
	"testing"

	"github.com/ssoharness/ssoharness/internal/tlscert"
)

// A run uses a browser launched before only when that browser maps exactly its host names
// and trusts every certificate it needs: never one that trusts less, or resolves otherwise.
func TestBrowserServes(t *testing.T) {
	certFor := func(host string) *x509.Certificate {
		c, err := tlscert.SelfSigned("test", host)
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf
	}
	a, b := certFor("a.test"), certFor("b.test")
	hosts := map[string]string{"a.test": "127.0.0.1", "b.test": "127.0.0.1"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	br := &Browser{ctx: ctx, opts: BrowserOptions{Hosts: hosts, TrustCertificates: []*x509.Certificate{a, b}, Width: 1024, Height: 720}}
	for _, tc := range []struct {
		name string
		o    BrowserOptions
		want bool
	}{
		{"same hosts, a subset of its certificates", BrowserOptions{Hosts: hosts, TrustCertificates: []*x509.Certificate{b}}, true},
		{"same hosts, no certificate", BrowserOptions{Hosts: hosts}, true},
		{"a certificate it does not trust", BrowserOptions{Hosts: hosts, TrustCertificates: []*x509.Certificate{a, certFor("a.test")}}, false},
		{"a host it does not map", BrowserOptions{Hosts: map[string]string{"a.test": "127.0.0.1", "b.test": "127.0.0.1", "c.test": "127.0.0.1"}}, false},
		{"a host mapped elsewhere", BrowserOptions{Hosts: map[string]string{"a.test": "127.0.0.2", "b.test": "127.0.0.1"}}, false},
		{"fewer hosts (it would resolve one the run does not map)", BrowserOptions{Hosts: map[string]string{"a.test": "127.0.0.1"}}, false},
		{"ignoring certificate errors", BrowserOptions{Hosts: hosts, IgnoreCertErrors: true}, false},
		{"another viewport", BrowserOptions{Hosts: hosts, Width: 800, Height: 600}, false},
		{"a remote browser", BrowserOptions{Hosts: hosts, URL: "ws://grid:4444"}, false},
	} {
		if got := br.serves(tc.o); got != tc.want {
			t.Errorf("%s: serves = %v, want %v", tc.name, got, tc.want)
		}
	}
	cancel()
	if br.serves(BrowserOptions{Hosts: hosts}) {
		t.Error("a browser that stopped serves a run")
	}
	if (*Browser)(nil).serves(BrowserOptions{}) {
		t.Error("no browser serves a run")
	}
}
