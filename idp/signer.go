package idp

import (
	"crypto"

	"github.com/ssoharness/ssoharness/internal/signer"
)

// SignerBackend makes every RSA signature of the server: SAML responses, assertions,
// logout messages and metadata (XML-DSig), the redirect binding's query signatures,
// WS-Federation tokens and every JWS. Keys stay *rsa.PrivateKey (PEM, the key directory);
// the backend turns one into a crypto.Signer, caching whatever conversion it needs per key.
// The built-in backends are OpenSSL's libcrypto 3 (cgo builds, when it can be loaded) and
// Go's crypto/rsa; see package internal/signer and `mockidp serve --signer`.
type SignerBackend = signer.Backend

// WithSigner sets the backend that makes the server's signatures. Default: OpenSSL when
// libcrypto 3 can be loaded (MOCKIDP_LIBCRYPTO names another library; a missing one means Go),
// else Go's crypto/rsa.
func WithSigner(b SignerBackend) Option {
	return func(s *Server) error { s.signers = b; return nil }
}

// Signer is the backend that makes the server's signatures.
func (s *Server) Signer() SignerBackend { return s.signers }

// defaultSigner is WithSigner's default, chosen once per server at New.
func defaultSigner() SignerBackend {
	b, _ := signer.Auto()
	return b
}

// signerOf is the crypto.Signer of key: the one place a signing key meets the backend.
func (s *Server) signerOf(key *SigningKey) crypto.Signer { return s.signers.Signer(key.Key) }

// sign signs digest (already hashed with h) with key, PKCS #1 v1.5. No random source:
// PKCS #1 v1.5 signatures are deterministic in both backends.
func (s *Server) sign(key *SigningKey, h crypto.Hash, digest []byte) ([]byte, error) {
	return s.signerOf(key).Sign(nil, digest, h)
}

// GoSigner is the backend of Go's crypto/rsa, available in every build.
func GoSigner() SignerBackend { return signer.Go() }

// OpenSSLSigner is the backend of OpenSSL's libcrypto (MOCKIDP_LIBCRYPTO, default
// libcrypto.so.3), or why it cannot be used: the library does not load, or the binary was
// built without cgo.
func OpenSSLSigner() (SignerBackend, error) { return signer.OpenSSL() }
