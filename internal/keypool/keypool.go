package keypool

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
)

var pool struct {
	sync.Mutex
	keys []*rsa.PrivateKey
}

// Generator returns a key generator handing out the pooled keys in order: the keys of one
// generator (one server) are distinct from each other, and shared with other generators. Its
// type converts to idp.KeyGenerator.
func Generator() func() (*rsa.PrivateKey, error) {
	next := 0
	var mu sync.Mutex
	return func() (*rsa.PrivateKey, error) {
		mu.Lock()
		i := next
		next++
		mu.Unlock()
		pool.Lock()
		defer pool.Unlock()
		for len(pool.keys) <= i {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return nil, err
			}
			pool.keys = append(pool.keys, k)
		}
		return pool.keys[i], nil
	}
}
