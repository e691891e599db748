package idptest

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
)

// keyPool holds RSA keys generated once per test binary: tests start many servers, and
// generating a 2048-bit key costs ~100 ms each.
var keyPool struct {
	sync.Mutex
	keys []*rsa.PrivateKey
}

// PooledKeys returns a KeyGenerator that hands out the process-wide pooled keys in order, so
// the keys of one server are distinct from each other but shared with other servers.
func PooledKeys() idp.KeyGenerator {
	next := 0
	var mu sync.Mutex
	return func() (*rsa.PrivateKey, error) {
		mu.Lock()
		i := next
		next++
		mu.Unlock()
		keyPool.Lock()
		defer keyPool.Unlock()
		for len(keyPool.keys) <= i {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return nil, err
			}
			keyPool.keys = append(keyPool.keys, k)
		}
		return keyPool.keys[i], nil
	}
}

// Start starts a mock IdP on a loopback port for the test and closes it when the test ends.
// With no options it serves the embedded default directory. Keys come from a pool shared by
// the test binary unless an option sets a generator.
func Start(t testing.TB, opts ...idp.Option) *idp.Server {
	t.Helper()
	s, err := idp.NewServer(append([]idp.Option{idp.WithKeyGenerator(PooledKeys())}, opts...)...)
	if err != nil {
		t.Fatalf("idptest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartTLS is Start over HTTPS with a fresh local CA; use s.Client() or s.CAPEM() to trust it.
func StartTLS(t testing.TB, opts ...idp.Option) *idp.Server {
	t.Helper()
	s, err := idp.NewUnstartedServer(append([]idp.Option{idp.WithKeyGenerator(PooledKeys())}, opts...)...)
	if err != nil {
		t.Fatalf("idptest: %v", err)
	}
	if err := s.StartTLS(); err != nil {
		t.Fatalf("idptest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}
