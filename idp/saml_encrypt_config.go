package idp

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Key credential usages (Graph keyCredential.usage).
const (
	// KeyUsageEncrypt is a token encryption certificate.
	KeyUsageEncrypt = "Encrypt"
	// KeyUsageVerify is a certificate that verifies signatures (client assertions).
	KeyUsageVerify = "Verify"
	// KeyTypeX509 is the one key credential type the portal uploads.
	KeyTypeX509 = "AsymmetricX509Cert"
)

// KeyCredential is one of the application object's keyCredentials (Microsoft Graph
// keyCredential). Those with usage Encrypt are the "Token encryption" certificates of an
// enterprise app: the admin imports the SP's public certificate (.cer) and activates one,
// which sets the application's tokenEncryptionKeyId to its keyId.
type KeyCredential struct {
	// KeyID is the credential's GUID. Empty: derived from the certificate (its SHA-1
	// thumbprint's first 16 bytes as a GUID), so a config can name it without inventing one.
	KeyID string `json:"keyId,omitempty"`
	// DisplayName is the portal's name for it (Entra shows the certificate's subject).
	DisplayName string `json:"displayName,omitempty"`
	// Type is AsymmetricX509Cert (the default and the only type the portal uploads).
	Type string `json:"type,omitempty"`
	// Usage is Encrypt (token encryption) or Verify. Only Encrypt credentials encrypt.
	Usage string `json:"usage"`
	// Key is the certificate: Base64 DER as Graph returns it, PEM, or a path to a .cer/.pem
	// file (relative to the config file).
	Key string `json:"key"`

	cert *x509.Certificate // parsed by normalize
}

// Certificate is the parsed certificate (nil before the config is normalized).
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

// normalizeTokenEncryption parses the key credentials, imports the SP metadata's encryption
// certificate when asked, and resolves the active encryption key (tokenEncryptionKeyId).
func (a *EnterpriseApp) normalizeTokenEncryption(p string) error {
	if a.TokenEncryptionFromMetadata {
		if err := a.importMetadataEncryptionCert(p); err != nil {
			return err
		}
	}
	for i, k := range a.KeyCredentials {
		kp := fmt.Sprintf("%s.keyCredentials[%d]", p, i)
		switch k.Usage {
		case KeyUsageEncrypt, KeyUsageVerify:
		default:
			return fmt.Errorf("%s.usage %q: want Encrypt or Verify", kp, k.Usage)
		}
		if k.Type == "" {
			k.Type = KeyTypeX509
		} else if k.Type != KeyTypeX509 {
			return fmt.Errorf("%s.type %q: want AsymmetricX509Cert", kp, k.Type)
		}
		c, err := parseKeyCredentialCert(k.Key)
		if err != nil {
			return fmt.Errorf("%s.key: %v", kp, err)
		}
		if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
			return fmt.Errorf("%s.key: Entra accepts RSA certificates only", kp)
		}
		k.cert = c
		if k.KeyID == "" {
			k.KeyID = certKeyID(c)
		} else if !isGUID(k.KeyID) {
			return fmt.Errorf("%s.keyId %q: must be a GUID", kp, k.KeyID)
		}
		k.KeyID = strings.ToLower(k.KeyID)
		if k.DisplayName == "" {
			k.DisplayName = c.Subject.String()
		}
	}
	method, err := encryptionMethod(a.TokenEncryptionMethod)
	if err != nil {
		return fmt.Errorf("%s.tokenEncryptionMethod: %v", p, err)
	}
	a.encKey = nil
	if a.TokenEncryptionKeyID == "" {
		return nil
	}
	for _, k := range a.KeyCredentials {
		if strings.EqualFold(k.KeyID, a.TokenEncryptionKeyID) {
			if k.Usage != KeyUsageEncrypt {
				return fmt.Errorf("%s.tokenEncryptionKeyId %q: the keyCredential's usage is %s, not Encrypt", p, a.TokenEncryptionKeyID, k.Usage)
			}
			a.TokenEncryptionKeyID = k.KeyID
			a.encKey = &EncryptionKey{KeyID: k.KeyID, Cert: k.cert, Method: method}
			return nil
		}
	}
	return fmt.Errorf("%s.tokenEncryptionKeyId %q: no keyCredential with usage Encrypt has this keyId", p, a.TokenEncryptionKeyID)
}

// importMetadataEncryptionCert takes the encryption certificate of the SP metadata
// (saml.metadataFile) as a keyCredential with usage Encrypt and activates it, unless
// tokenEncryptionKeyId already names one. Entra's "Upload metadata file" does not do this:
// the admin downloads the SP's certificate and imports it on the Token encryption blade;
// this option does those two steps from the same file.
func (a *EnterpriseApp) importMetadataEncryptionCert(p string) error {
	if a.SAML.MetadataFile == "" {
		return fmt.Errorf("%s.tokenEncryptionFromMetadata: needs saml.metadataFile", p)
	}
	b, err := os.ReadFile(a.SAML.MetadataFile)
	if err != nil {
		return fmt.Errorf("%s.saml.metadataFile: %v", p, err)
	}
	md, err := ParseSPMetadata(b)
	if err != nil {
		return fmt.Errorf("%s.saml.metadataFile %s: %v", p, a.SAML.MetadataFile, err)
	}
	if md.EncryptionCertificate == "" {
		return fmt.Errorf("%s.tokenEncryptionFromMetadata: %s has no KeyDescriptor for encryption", p, a.SAML.MetadataFile)
	}
	c, err := parseKeyCredentialCert(md.EncryptionCertificate)
	if err != nil {
		return fmt.Errorf("%s.saml.metadataFile %s: encryption KeyDescriptor: %v", p, a.SAML.MetadataFile, err)
	}
	id := certKeyID(c)
	for _, k := range a.KeyCredentials {
		if strings.EqualFold(k.KeyID, id) {
			return nil // imported before (Normalize ran twice)
		}
	}
	a.KeyCredentials = append(a.KeyCredentials, &KeyCredential{KeyID: id, Usage: KeyUsageEncrypt, Key: md.EncryptionCertificate})
	if a.TokenEncryptionKeyID == "" {
		a.TokenEncryptionKeyID = id
	}
	return nil
}

// WithTokenEncryption turns on token encryption for the directory's SAML enterprise app
// (the first of the first tenant), as the portal's Token encryption blade does: cert (the
// SP's encryption certificate) becomes a keyCredential with usage Encrypt and is activated
// (tokenEncryptionKeyId). method is "" or aes256-cbc (Entra's) or aes256-gcm. Without
// WithConfig given before it, the directory is DefaultConfig's. Only the server's copy is
// changed. Server.SetTokenEncryption does the same on a running server.
func WithTokenEncryption(cert *x509.Certificate, method string) Option {
	return func(s *Server) error {
		if cert == nil {
			return errors.New("WithTokenEncryption: a certificate is required")
		}
		t := s.firstTenant()
		if len(t.EnterpriseApps) == 0 {
			return errors.New("WithTokenEncryption: the first tenant has no enterprise app to configure")
		}
		a := t.EnterpriseApps[0]
		k := &KeyCredential{KeyID: certKeyID(cert), Usage: KeyUsageEncrypt, Key: base64.StdEncoding.EncodeToString(cert.Raw)}
		a.KeyCredentials = append(a.KeyCredentials, k)
		a.TokenEncryptionKeyID, a.TokenEncryptionMethod = k.KeyID, method
		return nil
	}
}
