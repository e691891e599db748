package idp

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// Key credential types and usages (Microsoft Graph keyCredential).
const (
	// KeyTypeX509 is a certificate ("AsymmetricX509Cert"), the only type the portal uploads.
	KeyTypeX509 = "AsymmetricX509Cert"
	// KeyUsageVerify is a key that verifies the app's client assertions.
	KeyUsageVerify = "Verify"
)

// KeyCredential is one certificate of "Certificates & secrets" → "Certificates": the public
// key that verifies the app's client assertions (private_key_jwt). Field names follow
// Microsoft Graph's keyCredential on the application object.
type KeyCredential struct {
	// KeyID is the credential's GUID ("Certificate ID" in the portal). A client assertion may
	// name it in its kid header.
	KeyID string `json:"keyId,omitempty"`
	// DisplayName is the certificate's "Description" (Graph: its subject, CN=...).
	DisplayName string `json:"displayName,omitempty"`
	// Type is AsymmetricX509Cert (the default; the only type accepted).
	Type string `json:"type,omitempty"`
	// Usage is Verify (the default; the only usage accepted): the key checks the signature
	// of client assertions.
	Usage string `json:"usage,omitempty"`
	// Key is the certificate: base64 of its DER (as Graph's keyCredential.key) or PEM text.
	// Required. Only its RSA public key is used.
	Key string `json:"key"`
	// StartDateTime and EndDateTime bound validity: RFC 3339 or offsets from server start
	// ("-1d", "1y"). Defaults: the certificate's NotBefore and NotAfter, as the portal sets them.
	// Outside them the key is not found (AADSTS700027).
	StartDateTime *RelTime `json:"startDateTime,omitempty"`
	EndDateTime   *RelTime `json:"endDateTime,omitempty"`

	cert       *x509.Certificate
	pub        *rsa.PublicKey
	sha1, s256 []byte    // thumbprints (x5t, x5t#S256)
	start, end time.Time // resolved against the server clock at start
}

// Certificate is the parsed certificate (nil before the configuration is loaded).
func (k *KeyCredential) Certificate() *x509.Certificate { return k.cert }

// normalize parses and checks the credential (p: its path in the configuration).
func (k *KeyCredential) normalize(p string) error {
	switch k.Type {
	case "":
		k.Type = KeyTypeX509
	case KeyTypeX509:
	default:
		return fmt.Errorf("%s.type %q: want %s", p, k.Type, KeyTypeX509)
	}
	switch k.Usage {
	case "":
		k.Usage = KeyUsageVerify
	case KeyUsageVerify:
	default:
		return fmt.Errorf("%s.usage %q: want %s (the key verifies client assertions)", p, k.Usage, KeyUsageVerify)
	}
	if k.KeyID != "" && !isGUID(k.KeyID) {
		return fmt.Errorf("%s.keyId %q: must be a GUID", p, k.KeyID)
	}
	der := []byte(nil)
	if b, _ := pem.Decode([]byte(strings.TrimSpace(k.Key))); b != nil {
		der = b.Bytes
	} else {
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(k.Key), ""))
		if err != nil {
			return fmt.Errorf("%s.key: want the certificate as base64 DER or PEM: %w", p, err)
		}
		der = raw
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("%s.key: not a certificate: %w", p, err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%s.key: the certificate's key is not RSA (Entra verifies RS256/PS256 assertions)", p)
	}
	h1, h256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
	k.cert, k.pub, k.sha1, k.s256 = cert, pub, h1[:], h256[:]
	if k.DisplayName == "" {
		k.DisplayName = "CN=" + cert.Subject.CommonName
	}
	return nil
}

// resolve fixes the validity window against the server clock.
func (k *KeyCredential) resolve(now time.Time) {
	if k.cert == nil {
		return // not normalized: never matches (checkAssertionKey)
	}
	k.start, k.end = k.cert.NotBefore, k.cert.NotAfter
	if k.StartDateTime != nil {
		k.start = k.StartDateTime.At(now)
	}
	if k.EndDateTime != nil {
		k.end = k.EndDateTime.At(now)
	}
}

// normalizeKeyCredentials checks an app registration's certificates.
func (a *AppRegistration) normalizeKeyCredentials(p string) error {
	for i, k := range a.KeyCredentials {
		if k == nil {
			return fmt.Errorf("%s.keyCredentials[%d]: empty", p, i)
		}
		if err := k.normalize(fmt.Sprintf("%s.keyCredentials[%d]", p, i)); err != nil {
			return err
		}
	}
	return nil
}
