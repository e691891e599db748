//go:build cgo && unix && !noopenssl

package signer_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"runtime"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/internal/signer"
)

// TestOpenSSLCacheReleasesKeys: the converted key is cached while its *rsa.PrivateKey lives
// and dropped once it is collected (rotated and fault keys must not pile up).
func TestOpenSSLCacheReleasesKeys(t *testing.T) {
	o := openSSL(t)
	k := key(t)
	before := signer.CachedKeys(o)
	func() {
		// A distinct *rsa.PrivateKey (the same numbers): its own cache entry.
		tmp := &rsa.PrivateKey{PublicKey: k.PublicKey, D: k.D, Primes: k.Primes, Precomputed: k.Precomputed}
		d := sha256.Sum256([]byte("x"))
		if _, err := o.Signer(tmp).Sign(nil, d[:], crypto.SHA256); err != nil {
			t.Fatal(err)
		}
		if got := signer.CachedKeys(o); got != before+1 {
			t.Fatalf("%d cached keys after a new key signed, want %d", got, before+1)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for signer.CachedKeys(o) > before {
		if time.Now().After(deadline) {
			t.Fatalf("the collected key's entry is still cached (%d keys, want %d)", signer.CachedKeys(o), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
