package idp

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// normalizeTokenEncryption parses the key credentials, imports the SP metadata's encryption
// certificate when asked, and resolves the active encryption key (tokenEncryptionKeyId).
func (a *EnterpriseApp) normalizeTokenEncryption(p string) error {
	if a.TokenEncryptionFromMetadata {
		if err := a.importMetadataEncryptionCert(p); err != nil {
			return err
		}
	}
	for i, k := range a.KeyCredentials {
		if k == nil {
			return fmt.Errorf("%s.keyCredentials[%d]: empty", p, i)
		}
		if err := k.normalize(fmt.Sprintf("%s.keyCredentials[%d]", p, i), KeyUsageEncrypt, KeyUsageVerify); err != nil {
			return err
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
