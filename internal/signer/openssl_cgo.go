//go:build cgo && unix && !noopenssl

package signer

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"sync"
	"weak"

	"github.com/golang-fips/openssl/v2"
	"github.com/golang-fips/openssl/v2/bbig"
)

var (
	osslOnce    sync.Once
	osslBackend *opensslBackend
	osslErr     error
)

// loadOpenSSL initialises golang-fips/openssl from lib once per process (the library allows
// one Init; later calls keep the first outcome, whatever lib they name).
func loadOpenSSL(lib string) (Backend, error) {
	osslOnce.Do(func() {
		if err := openssl.Init(lib); err != nil {
			osslErr = err // names the library and dlopen's reason
			return
		}
		osslBackend = &opensslBackend{lib: lib, version: openssl.VersionText()}
	})
	if osslErr != nil {
		return nil, osslErr
	}
	return osslBackend, nil
}

// opensslBackend signs through libcrypto. keys caches the converted key per *rsa.PrivateKey
// (conversion builds an EVP_PKEY, several times a signature's cost) under a weak pointer, and
// the cached value does not refer to the Go key, so an entry goes when its key is collected:
// rotated and fault keys do not pile up.
type opensslBackend struct {
	lib, version string
	keys         sync.Map // weak.Pointer[rsa.PrivateKey] → *osslKey
}

func (b *opensslBackend) Name() string { return NameOpenSSL }
func (b *opensslBackend) String() string {
	return fmt.Sprintf("openssl (%s, %s)", b.version, b.lib)
}

func (b *opensslBackend) Signer(key *rsa.PrivateKey) crypto.Signer {
	wp := weak.Make(key)
	if v, ok := b.keys.Load(wp); ok {
		return osslSigner{key, v.(*osslKey)}
	}
	st := newOsslKey(key)
	if v, loaded := b.keys.LoadOrStore(wp, st); loaded {
		return osslSigner{key, v.(*osslKey)}
	}
	runtime.AddCleanup(key, func(wp weak.Pointer[rsa.PrivateKey]) { b.keys.Delete(wp) }, wp)
	return osslSigner{key, st}
}

// cached is the number of keys in the cache (for tests).
func (b *opensslBackend) cached() int {
	n := 0
	b.keys.Range(func(any, any) bool { n++; return true })
	return n
}

// osslKey is one key converted for OpenSSL, or why it could not be (err: the key then signs
// with crypto/rsa). It must not refer to the *rsa.PrivateKey (see opensslBackend).
type osslKey struct {
	pk  *openssl.PrivateKeyRSA
	err error
}

func newOsslKey(k *rsa.PrivateKey) *osslKey {
	if len(k.Primes) != 2 {
		return &osslKey{err: errors.New("signer: OpenSSL takes two-prime RSA keys only")}
	}
	if k.Precomputed.Dp == nil {
		k = &rsa.PrivateKey{PublicKey: k.PublicKey, D: k.D, Primes: k.Primes}
		k.Precompute()
	}
	pk, err := openssl.NewPrivateKeyRSA(bbig.Enc(k.N), bbig.Enc(big.NewInt(int64(k.E))), bbig.Enc(k.D),
		bbig.Enc(k.Primes[0]), bbig.Enc(k.Primes[1]),
		bbig.Enc(k.Precomputed.Dp), bbig.Enc(k.Precomputed.Dq), bbig.Enc(k.Precomputed.Qinv))
	return &osslKey{pk: pk, err: err}
}

// osslSigner is one key's crypto.Signer: the Go key and its OpenSSL form.
type osslSigner struct {
	key *rsa.PrivateKey
	st  *osslKey
}

func (s osslSigner) Public() crypto.PublicKey { return &s.key.PublicKey }

// Sign signs digest, already hashed with opts.HashFunc(), as PKCS #1 v1.5 (or PSS when
// opts is *rsa.PSSOptions). OpenSSL's PKCS #1 v1.5 is deterministic, so rand is unused there
// as in crypto/rsa.
func (s osslSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if s.st.err != nil {
		return s.key.Sign(rand, digest, opts)
	}
	if pss, ok := opts.(*rsa.PSSOptions); ok {
		return openssl.SignRSAPSS(s.st.pk, pss.Hash, digest, pss.SaltLength) // maps Go's sentinels
	}
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, errors.New("signer: digest length does not match the hash")
	}
	return openssl.SignRSAPKCS1v15(s.st.pk, h, digest)
}
