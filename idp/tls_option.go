package idp

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
)

// WithTLSCertificate makes StartTLS serve with c (its Leaf set, self-signed or with its
// issuer last in the chain) instead of a certificate from a fresh local CA; Certificate and
// CAPEM return the last certificate of the chain, the one clients trust. Tests that start
// many servers give them one certificate made once per process, so that one browser,
// which learns at launch which certificates to trust, trusts every server they start.
func WithTLSCertificate(c tls.Certificate) Option {
	return func(s *Server) error {
		if c.Leaf == nil || len(c.Certificate) == 0 {
			return errors.New("idp: WithTLSCertificate needs a certificate with its Leaf set")
		}
		s.tlsCert = &c
		return nil
	}
}

// useTLSCertificate sets the server's trust anchor from the certificate given with
// WithTLSCertificate and returns it (false without one).
func (s *Server) useTLSCertificate() (tls.Certificate, bool) {
	if s.tlsCert == nil {
		return tls.Certificate{}, false
	}
	c := *s.tlsCert
	last := c.Certificate[len(c.Certificate)-1]
	s.caCert = c.Leaf
	if len(c.Certificate) > 1 {
		s.caCert, _ = x509.ParseCertificate(last)
	}
	s.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: last})
	return c, true
}
