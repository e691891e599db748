// Package signer is the one seam every RSA signature of the mock goes through: SAML XML-DSig
// (responses, assertions, metadata, WS-Federation tokens), the redirect binding's query
// signatures and every JWS. A Backend turns a key, kept as it is (*rsa.PrivateKey, from PEM
// or the key directory), into a crypto.Signer. Two backends exist: OpenSSL's libcrypto 3,
// loaded at run time (about 3× faster than Go's crypto/rsa for RSA-2048 PKCS #1 v1.5, the
// signature that dominates a sign-in's cost), and Go's crypto/rsa, used when libcrypto cannot
// be loaded or the binary was built without cgo (CGO_ENABLED=0 or the noopenssl build tag).
package signer

import (
	"crypto"
	"crypto/rsa"
	"fmt"
	"os"
	"strings"
)

// Backend makes the crypto.Signer that signs with a key.
type Backend interface {
	// Name is the backend's short name: "openssl" or "go".
	Name() string
	// String describes it for startup lines and `mockidp version`, e.g.
	// "openssl (OpenSSL 3.0.17 1 Jul 2025, libcrypto.so.3)" or "go (crypto/rsa)".
	String() string
	// Signer returns the crypto.Signer for key. It is cheap after the first call for a key
	// (backends that convert the key cache the conversion per *rsa.PrivateKey), safe for
	// concurrent use, and its signatures are PKCS #1 v1.5 or PSS as opts asks.
	Signer(key *rsa.PrivateKey) crypto.Signer
}

// Names of the backends, as --signer and Choose take them.
const (
	// NameAuto picks OpenSSL when it can be loaded, else Go.
	NameAuto = "auto"
	// NameOpenSSL is libcrypto through github.com/golang-fips/openssl/v2 (cgo).
	NameOpenSSL = "openssl"
	// NameGo is Go's crypto/rsa.
	NameGo = "go"
)

// EnvLibcrypto names the environment variable that overrides the library OpenSSL is loaded
// from (passed to dlopen verbatim; default DefaultLibcrypto). Pointing it at a file that does
// not exist (MOCKIDP_LIBCRYPTO=/nonexistent) makes libcrypto absent, so auto falls back to Go.
const EnvLibcrypto = "MOCKIDP_LIBCRYPTO"

// DefaultLibcrypto is the library loaded by default: OpenSSL 3's libcrypto (Debian: libssl3).
const DefaultLibcrypto = "libcrypto.so.3"

// Libcrypto is the library name OpenSSL is loaded from: $MOCKIDP_LIBCRYPTO, else
// DefaultLibcrypto.
func Libcrypto() string {
	if v := strings.TrimSpace(os.Getenv(EnvLibcrypto)); v != "" {
		return v
	}
	return DefaultLibcrypto
}

// goBackend is crypto/rsa: *rsa.PrivateKey is already a crypto.Signer.
type goBackend struct{}

func (goBackend) Name() string                             { return NameGo }
func (goBackend) String() string                           { return "go (crypto/rsa)" }
func (goBackend) Signer(key *rsa.PrivateKey) crypto.Signer { return key }

// Go is the backend of Go's crypto/rsa, available in every build.
func Go() Backend { return goBackend{} }

// OpenSSL loads libcrypto (Libcrypto()) and returns its backend, or why it cannot: the
// library is absent or unusable, or the binary was built without cgo. The library is loaded
// once per process; later calls return the first outcome.
func OpenSSL() (Backend, error) { return loadOpenSSL(Libcrypto()) }

// Auto is OpenSSL when it loads, else Go; why is the reason OpenSSL is not used ("" when it
// is), for a startup line.
func Auto() (b Backend, why string) {
	o, err := OpenSSL()
	if err != nil {
		return Go(), err.Error()
	}
	return o, ""
}

// Choose returns the backend called name (auto, openssl or go). openssl fails when libcrypto
// cannot be loaded; auto never fails. note is what a startup line should add (auto's reason
// for falling back to Go), "" otherwise.
func Choose(name string) (b Backend, note string, err error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", NameAuto:
		b, why := Auto()
		if why != "" {
			note = "OpenSSL not used: " + why
		}
		return b, note, nil
	case NameOpenSSL:
		b, err := OpenSSL()
		return b, "", err
	case NameGo:
		return Go(), "", nil
	}
	return nil, "", fmt.Errorf("unknown signer %q: want auto, openssl or go", name)
}
