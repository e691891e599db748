package idp

import "github.com/ssoharness/ssoharness/internal/keypool"

// pooledTestKeys returns a KeyGenerator handing out the pooled test keys in order
// (internal/keypool): the internal tests cannot use idptest.PooledKeys (idptest imports this
// package).
func pooledTestKeys() KeyGenerator { return keypool.Generator() }
