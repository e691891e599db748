//go:build !cgo || !unix || noopenssl

package signer

import "errors"

// loadOpenSSL: this binary has no OpenSSL backend (built with CGO_ENABLED=0, on a non-Unix
// system or with the noopenssl build tag).
func loadOpenSSL(string) (Backend, error) {
	return nil, errors.New("built without cgo (CGO_ENABLED=0 or the noopenssl tag): Go's crypto/rsa only")
}
