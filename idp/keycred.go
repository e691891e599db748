package idp

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Key credential types and usages (Microsoft Graph keyCredential).
const (
	// KeyTypeX509 is a certificate ("AsymmetricX509Cert"), the only type the portal uploads.
	KeyTypeX509 = "AsymmetricX509Cert"
	// KeyUsageVerify is a key that verifies the app's client assertions.
	KeyUsageVerify = "Verify"
	// KeyUsageEncrypt is a token encryption certificate of an enterprise app.
	KeyUsageEncrypt = "Encrypt"
)

// KeyCredential is one of the application object's keyCredentials (Microsoft Graph
// keyCredential), in both places the portal shows them: on an app registration,
// "Certificates & secrets" → "Certificates", the public key that verifies the app's client
// assertions (private_key_jwt; usage Verify); on an enterprise app, the "Token encryption"
// certificates (usage Encrypt): the admin imports the SP's public certificate and activates
// one, which sets the application's tokenEncryptionKeyId to its keyId.
type KeyCredential struct {
	// KeyID is the credential's GUID ("Certificate ID" in the portal). A client assertion may
	// name it in its kid header. Empty: derived from the certificate (its SHA-1 thumbprint's
	// first 16 bytes as a GUID), so a config can name it without inventing one.
	KeyID string `json:"keyId,omitempty"`
	// DisplayName is the certificate's "Description" (Graph: its subject, CN=...).
	DisplayName string `json:"displayName,omitempty"`
	// Type is AsymmetricX509Cert (the default; the only type accepted).
	Type string `json:"type,omitempty"`
	// Usage is Verify (the key checks the signature of client assertions; the default, and
	// the only usage on an app registration) or Encrypt (token encryption, on an enterprise
	// app; its default there).
	Usage string `json:"usage,omitempty"`
	// Key is the certificate: base64 of its DER (as Graph's keyCredential.key), PEM text, or
	// a path to a .cer/.pem file (relative to the config file). Required. Only its RSA public
	// key is used.
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

// certKeyID derives a keyId from a certificate: its SHA-1 thumbprint's first 16 bytes as a
// GUID, stable for the same certificate.
func certKeyID(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// parseKeyCredentialCert reads Key: Base64 DER (Graph's form) first, else PEM or a file.
func parseKeyCredentialCert(s string) (*x509.Certificate, error) {
	if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), "")); err == nil {
		if c, err := x509.ParseCertificate(der); err == nil {
			return c, nil
		}
	}
	return parseCertPEM(s)
}

// looksLikeInlineCert says whether a Key is the certificate itself rather than a file path.
func looksLikeInlineCert(s string) bool {
	if strings.Contains(s, "-----BEGIN") {
		return true
	}
	_, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	return err == nil && len(s) > 200
}

// resolveKeyCredentialPaths makes the key credentials' file paths relative to dir.
func (a *EnterpriseApp) resolveKeyCredentialPaths(dir string) {
	for _, k := range a.KeyCredentials {
		if k.Key != "" && !looksLikeInlineCert(k.Key) && !filepath.IsAbs(k.Key) {
			k.Key = filepath.Join(dir, k.Key)
		}
	}
}

// normalize parses and checks the credential (p: its path in the configuration); usages
// are the ones allowed where it sits, the first the default.
func (k *KeyCredential) normalize(p string, usages ...string) error {
	switch k.Type {
	case "":
		k.Type = KeyTypeX509
	case KeyTypeX509:
	default:
		return fmt.Errorf("%s.type %q: want %s", p, k.Type, KeyTypeX509)
	}
	if k.Usage == "" {
		k.Usage = usages[0]
	}
	if !slices.Contains(usages, k.Usage) {
		return fmt.Errorf("%s.usage %q: want %s", p, k.Usage, strings.Join(usages, " or "))
	}
	cert, err := parseKeyCredentialCert(k.Key)
	if err != nil {
		return fmt.Errorf("%s.key: want the certificate as base64 DER, PEM or a file: %w", p, err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%s.key: the certificate's key is not RSA (Entra accepts RSA certificates only)", p)
	}
	switch {
	case k.KeyID == "":
		k.KeyID = certKeyID(cert)
	case !isGUID(k.KeyID):
		return fmt.Errorf("%s.keyId %q: must be a GUID", p, k.KeyID)
	}
	k.KeyID = strings.ToLower(k.KeyID)
	h1, h256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
	k.cert, k.pub, k.sha1, k.s256 = cert, pub, h1[:], h256[:]
	if k.DisplayName == "" {
		k.DisplayName = cert.Subject.String()
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
		if err := k.normalize(fmt.Sprintf("%s.keyCredentials[%d]", p, i), KeyUsageVerify); err != nil {
			return err
		}
	}
	return nil
}
