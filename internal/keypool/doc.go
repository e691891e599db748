// Package keypool hands tests process-wide pooled RSA-2048 keys. Tests start many servers,
// each generating a dozen keys at start (~100 ms each); tests that never look at the keys
// need not pay for fresh ones. idptest.PooledKeys (for tests outside idp) and idp's internal
// tests (which cannot import idptest: it imports idp) both use it.
//
// A generator is meant for tests only: its keys are shared by every server of the process, so
// nothing signed with one proves which server signed it.
package keypool
