//go:build cgo && unix && !noopenssl

package signer

// CachedKeys is how many keys the OpenSSL backend b holds converted.
func CachedKeys(b Backend) int { return b.(*opensslBackend).cached() }
