package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
)

// testKeyPool holds the RSA keys the package's internal tests hand their servers: a server
// generates a dozen keys at start (half a second of CPU each time), which tests that sign
// with a key of their own (testdata/keys) or never look at the keys need not pay. The
// internal tests cannot use idptest.PooledKeys (idptest imports this package).
var testKeyPool struct {
	sync.Mutex
	keys []*rsa.PrivateKey
}

// pooledTestKeys returns a KeyGenerator handing out the pooled keys in order: the keys of
// one server are distinct from each other, and shared with other servers.
func pooledTestKeys() KeyGenerator {
	next := 0
	var mu sync.Mutex
	return func() (*rsa.PrivateKey, error) {
		mu.Lock()
		i := next
		next++
		mu.Unlock()
		testKeyPool.Lock()
		defer testKeyPool.Unlock()
		for len(testKeyPool.keys) <= i {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return nil, err
			}
			testKeyPool.keys = append(testKeyPool.keys, k)
		}
		return testKeyPool.keys[i], nil
	}
}
