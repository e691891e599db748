package idp

import (
	"crypto/tls"
	"testing"

	"github.com/ssoharness/ssoharness/internal/tlscert"
)

// A server given a certificate serves it, and clients trust it through Certificate/Client.
func TestWithTLSCertificate(t *testing.T) {
	c, err := tlscert.SelfSignedFor("test", "login.example.test", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewUnstartedServer(WithTLSCertificate(c), WithKeyGenerator(benchKeyGen()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartTLS(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Certificate().Equal(c.Leaf) {
		t.Fatal("Certificate is not the given one")
	}
	resp, err := s.Client().Get(s.URL + "/common/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.TLS.PeerCertificates[0]; !got.Equal(c.Leaf) {
		t.Fatalf("served %s, want the given certificate", got.Subject)
	}
	if _, err := NewUnstartedServer(WithTLSCertificate(tls.Certificate{})); err == nil {
		t.Fatal("a certificate without its Leaf is taken")
	}
}
