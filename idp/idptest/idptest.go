package idptest

import (
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/keypool"
)

// PooledKeys returns a KeyGenerator that hands out the process-wide pooled keys in order
// (internal/keypool), so the keys of one server are distinct from each other but shared with
// other servers: generating a 2048-bit key costs ~100 ms, and tests start many servers.
func PooledKeys() idp.KeyGenerator { return keypool.Generator() }

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
