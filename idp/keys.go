package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultCertSubject is the subject CN of the SAML signing certificates Entra generates.
const DefaultCertSubject = "Microsoft Azure Federated SSO Certificate"

// KeyGenerator makes a new RSA key. The default makes a fresh RSA-2048 key; tests may hand out
// pre-generated keys to save the ~100 ms each generation costs.
type KeyGenerator func() (*rsa.PrivateKey, error)

func generateRSA() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }

// SigningKey is a loaded certificate with its private key.
type SigningKey struct {
	// Cert is the X.509 certificate published in metadata and KeyInfo.
	Cert *x509.Certificate
	// Key is the RSA private key.
	Key *rsa.PrivateKey
	// Active is the key that signs.
	Active bool
	// Published keys appear in metadata (active and rollover keys).
	Published bool

	b64    atomic.Pointer[certText] // Base64 of Cert, made once per certificate (certBase64)
	jwtHdr atomic.Pointer[jwtKey]   // kid and JOSE headers, made once per certificate (jwt)
}

// certText is a certificate's Base64 text, for the certificate it was made from.
type certText struct {
	cert *x509.Certificate
	text string
}

// certBase64 is Base64 (the X509Certificate text of every signature), encoded once per
// certificate rather than for every response.
func (k *SigningKey) certBase64() string {
	if c := k.b64.Load(); c != nil && c.cert == k.Cert {
		return c.text
	}
	c := &certText{cert: k.Cert, text: base64.StdEncoding.EncodeToString(k.Cert.Raw)}
	k.b64.Store(c)
	return c.text
}

// Thumbprint is the SHA-1 thumbprint in upper-case hex, as the portal shows it.
func (k *SigningKey) Thumbprint() string {
	s := sha1.Sum(k.Cert.Raw)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// Base64 is the DER certificate in base64 without line breaks (X509Certificate text).
func (k *SigningKey) Base64() string { return k.certBase64() }

// CER is the certificate as the portal's "Certificate (Base64)" download: PEM with CRLF line
// breaks.
func (k *SigningKey) CER() []byte {
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Cert.Raw})
	return []byte(strings.ReplaceAll(string(b), "\n", "\r\n"))
}

// ValidAt reports whether the certificate's validity period covers t.
func (k *SigningKey) ValidAt(t time.Time) bool {
	return !t.Before(k.Cert.NotBefore) && !t.After(k.Cert.NotAfter)
}

// loadKeys resolves an app's certificate list into signing keys. scope names the PEM file
// under KeyDir. Exactly one key ends up active: the one marked Active, else the first one
// valid now (Entra uses a valid inactive certificate when the active one has expired only if
// none is marked; a marked expired certificate keeps signing so that expiry can be tested).
func (s *Server) loadKeys(scope string, certs []*Certificate) ([]*SigningKey, error) {
	if len(certs) == 0 {
		certs = []*Certificate{{Active: true}}
	}
	now := s.clock.Now()
	keys := make([]*SigningKey, 0, len(certs))
	active := -1
	for i, c := range certs {
		k, err := s.loadKey(fmt.Sprintf("%s-%d", scope, i), c, now)
		if err != nil {
			return nil, fmt.Errorf("certificates[%d]: %w", i, err)
		}
		k.Published = c.Active || c.Publish
		if c.Active {
			if active >= 0 {
				return nil, fmt.Errorf("certificates[%d]: only one certificate can be active (certificates[%d] is too)", i, active)
			}
			active = i
		}
		keys = append(keys, k)
	}
	if active < 0 {
		for i, k := range keys {
			if k.ValidAt(now) {
				active = i
				break
			}
		}
		if active < 0 {
			active = 0
		}
	}
	keys[active].Active, keys[active].Published = true, true
	return keys, nil
}

func (s *Server) loadKey(name string, c *Certificate, now time.Time) (*SigningKey, error) {
	if c.CertPEM != "" || c.KeyPEM != "" {
		if c.CertPEM == "" || c.KeyPEM == "" {
			return nil, errors.New("cert and key must be given together")
		}
		cert, err := parseCertPEM(c.CertPEM)
		if err != nil {
			return nil, fmt.Errorf("cert: %w", err)
		}
		key, err := parseKeyPEM(c.KeyPEM)
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		if !key.PublicKey.Equal(cert.PublicKey) {
			return nil, errors.New("key does not match cert")
		}
		return &SigningKey{Cert: cert, Key: key}, nil
	}
	subject := c.Subject
	if subject == "" {
		subject = DefaultCertSubject
	}
	notBefore := now.Add(-time.Minute)
	if c.NotBefore != nil {
		notBefore = c.NotBefore.At(now)
	}
	notAfter := now.AddDate(3, 0, 0)
	if c.NotAfter != nil {
		notAfter = c.NotAfter.At(now)
	}
	if !notAfter.After(notBefore) {
		return nil, fmt.Errorf("notAfter %s is not after notBefore %s", notAfter.Format(time.RFC3339), notBefore.Format(time.RFC3339))
	}
	// The spec of the certificate, stored beside it, decides whether a persisted one can be reused.
	spec := fmt.Sprintf("subject=%s notBefore=%v notAfter=%v", subject, relString(c.NotBefore), relString(c.NotAfter))
	var key *rsa.PrivateKey
	path := ""
	if s.cfg.KeyDir != "" {
		path = filepath.Join(s.cfg.KeyDir, name+".pem")
		if k, cert, oldSpec, err := readKeyFile(path); err == nil {
			key = k
			if cert != nil && oldSpec == spec {
				return &SigningKey{Cert: cert, Key: key}, nil
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if key == nil {
		var err error
		if key, err = s.keygen(); err != nil {
			return nil, err
		}
	}
	cert, err := selfSignedCert(key, subject, notBefore, notAfter)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := writeKeyFile(path, key, cert, spec); err != nil {
			return nil, err
		}
	}
	return &SigningKey{Cert: cert, Key: key}, nil
}

func relString(t *RelTime) string {
	if t == nil {
		return "default"
	}
	b, _ := t.MarshalJSON()
	return string(b)
}

// selfSignedCert makes a certificate shaped like Entra's: self-signed, SHA256-RSA, the
// serial derived from the key and validity so that the same inputs give the same bytes.
func selfSignedCert(key *rsa.PrivateKey, cn string, notBefore, notAfter time.Time) (*x509.Certificate, error) {
	h := sha256.New()
	h.Write(key.N.Bytes())
	fmt.Fprint(h, cn, notBefore.Unix(), notAfter.Unix())
	serial := new(big.Int).SetBytes(h.Sum(nil)[:16])
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore.UTC().Truncate(time.Second),
		NotAfter:              notAfter.UTC().Truncate(time.Second),
		SignatureAlgorithm:    x509.SHA256WithRSA,
		BasicConstraintsValid: false,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// readPEMSource returns the PEM text: inline when it looks like PEM, else read from a file.
func readPEMSource(s string) ([]byte, error) {
	if strings.Contains(s, "-----BEGIN") {
		return []byte(s), nil
	}
	return os.ReadFile(s)
}

func parseCertPEM(s string) (*x509.Certificate, error) {
	b, err := readPEMSource(s)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		// A .cer may also be bare base64 DER.
		der, derr := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
		if derr != nil {
			return nil, errors.New("no PEM certificate found")
		}
		return x509.ParseCertificate(der)
	}
	return x509.ParseCertificate(blk.Bytes)
}

func parseKeyPEM(s string) (*rsa.PrivateKey, error) {
	b, err := readPEMSource(s)
	if err != nil {
		return nil, err
	}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch blk.Type {
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, errors.New("only RSA keys are supported (Entra signs with RSA-2048)")
			}
			return rk, nil
		}
	}
}

func readKeyFile(path string) (*rsa.PrivateKey, *x509.Certificate, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, "", err
	}
	var key *rsa.PrivateKey
	var cert *x509.Certificate
	spec := ""
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, nil, "", fmt.Errorf("%s: %w", path, err)
			}
			key, _ = k.(*rsa.PrivateKey)
		case "CERTIFICATE":
			cert, _ = x509.ParseCertificate(blk.Bytes)
			spec = blk.Headers["Spec"]
		}
	}
	if key == nil {
		return nil, nil, "", fmt.Errorf("%s: no RSA private key", path)
	}
	return key, cert, spec, nil
}

func writeKeyFile(path string, key *rsa.PrivateKey, cert *x509.Certificate, spec string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Spec": spec}, Bytes: cert.Raw})...)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
