package refsp_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"
)

// encryptionPair is the reference SP's encryption key and certificate for the token
// encryption checks, made once.
var encryptionPair = func() func(t *testing.T) (*rsa.PrivateKey, *x509.Certificate) {
	var once sync.Once
	var key *rsa.PrivateKey
	var cert *x509.Certificate
	var err error
	return func(t *testing.T) (*rsa.PrivateKey, *x509.Certificate) {
		t.Helper()
		once.Do(func() {
			if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				return
			}
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(15), Subject: pkix.Name{CommonName: "refsaml encryption"},
				NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
			var der []byte
			if der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key); err == nil {
				cert, err = x509.ParseCertificate(der)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return key, cert
	}
}()
