package idp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// SAML token encryption ("Token encryption" on an enterprise app, a P1/P2 feature): Entra
// encrypts the assertion to a certificate the admin uploaded, with AES-256 (entra.md, ENC).
// The mock writes the EncryptedAssertion in the form of Microsoft's STS (AD FS and
// System.IdentityModel, which Entra's SAML issuer shares): xenc:EncryptedData of
// Type #Element with the data cipher, a ds:KeyInfo holding one xenc:EncryptedKey (RSA-OAEP
// with MGF1-SHA1 and SHA-1 digest, rsa-oaep-mgf1p) whose own KeyInfo carries the recipient's
// X509Certificate, so an SP with several keys knows which one to use. No capture of an
// encrypted Entra response is in the reference samples: the element layout is AD FS's.

// Token encryption algorithms (xenc EncryptionMethod URIs).
const (
	// EncryptionAES256CBC is AES-256-CBC, what Entra uses (the default).
	EncryptionAES256CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	// EncryptionAES256GCM is AES-256-GCM (XML Encryption 1.1), an option of the mock for SPs
	// that refuse CBC; Entra itself offers no choice.
	EncryptionAES256GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
	// KeyTransportRSAOAEP is RSA-OAEP with MGF1-SHA1 and a SHA-1 digest, as Entra wraps the key.
	KeyTransportRSAOAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
)

// XML namespaces of encryption.
const (
	nsXEnc      = "http://www.w3.org/2001/04/xmlenc#"
	xencElement = "http://www.w3.org/2001/04/xmlenc#Element"
	dsigSHA1    = "http://www.w3.org/2000/09/xmldsig#sha1"
)

// EncryptionKey is an app's active token encryption certificate: what a Response's
// assertion is encrypted to, and how.
type EncryptionKey struct {
	// KeyID is the keyCredential's keyId (tokenEncryptionKeyId).
	KeyID string
	// Cert is the SP's certificate; its RSA public key wraps the AES key.
	Cert *x509.Certificate
	// Method is EncryptionAES256CBC or EncryptionAES256GCM.
	Method string
}

// Thumbprint is the certificate's SHA-1 thumbprint in upper-case hex, as the portal shows it.
func (k *EncryptionKey) Thumbprint() string {
	s := sha1.Sum(k.Cert.Raw)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// encryptionKeys are the token encryption certificates set at run time (SetTokenEncryption);
// an app without an entry uses its configured one.
type encryptionKeys struct {
	mu       sync.RWMutex
	m        map[*EnterpriseApp]*EncryptionKey // a nil value: encryption turned off at run time
	uploaded map[*EnterpriseApp]*EncryptionKey // imported, not activated (UploadTokenEncryptionCertificate)
}

// tokenEncryptionKey is the certificate app's assertions are encrypted to, or nil.
func (s *Server) tokenEncryptionKey(app *EnterpriseApp) *EncryptionKey {
	s.encKeys.mu.RLock()
	k, set := s.encKeys.m[app]
	s.encKeys.mu.RUnlock()
	if set {
		return k
	}
	return app.encKey
}

// SetTokenEncryption does at run time what the portal's "Token encryption" blade does: it
// imports cert as a keyCredential with usage Encrypt and activates it, so that app's
// assertions are encrypted to it from the next Response on. method is EncryptionAES256CBC
// ("" means it, as Entra) or EncryptionAES256GCM. A nil cert turns encryption off again.
// It returns the keyCredential's keyId. Safe to call while the server serves; it changes
// the server's state, not Config.
func (s *Server) SetTokenEncryption(app *EnterpriseApp, cert *x509.Certificate, method string) (string, error) {
	var k *EncryptionKey
	if cert != nil {
		m, err := encryptionMethod(method)
		if err != nil {
			return "", err
		}
		if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
			return "", errors.New("token encryption certificate: Entra accepts RSA certificates only")
		}
		k = &EncryptionKey{KeyID: certKeyID(cert), Cert: cert, Method: m}
	}
	s.encKeys.mu.Lock()
	defer s.encKeys.mu.Unlock()
	if s.encKeys.m == nil {
		s.encKeys.m = map[*EnterpriseApp]*EncryptionKey{}
	}
	s.encKeys.m[app] = k
	if k == nil {
		return "", nil
	}
	return k.KeyID, nil
}

// UploadTokenEncryptionCertificate imports cert on the app's Token encryption blade
// without activating it: the app's Responses stay in the clear, and only the token
// encryption checks (saml.encrypted*) encrypt to it. It returns the keyCredential's keyId.
// Safe to call while the server serves.
func (s *Server) UploadTokenEncryptionCertificate(app *EnterpriseApp, cert *x509.Certificate) (string, error) {
	if cert == nil {
		return "", errors.New("token encryption certificate: none given")
	}
	if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
		return "", errors.New("token encryption certificate: Entra accepts RSA certificates only")
	}
	k := &EncryptionKey{KeyID: certKeyID(cert), Cert: cert, Method: EncryptionAES256CBC}
	s.encKeys.mu.Lock()
	defer s.encKeys.mu.Unlock()
	if s.encKeys.uploaded == nil {
		s.encKeys.uploaded = map[*EnterpriseApp]*EncryptionKey{}
	}
	s.encKeys.uploaded[app] = k
	return k.KeyID, nil
}

// uploadedEncryptionKey is the certificate UploadTokenEncryptionCertificate imported, or nil.
func (s *Server) uploadedEncryptionKey(app *EnterpriseApp) *EncryptionKey {
	s.encKeys.mu.RLock()
	defer s.encKeys.mu.RUnlock()
	return s.encKeys.uploaded[app]
}

// encryptionMethod maps the config's names (and the URIs) to an algorithm URI.
func encryptionMethod(m string) (string, error) {
	switch strings.ToLower(m) {
	case "", "aes256-cbc", "aes-256-cbc", EncryptionAES256CBC:
		return EncryptionAES256CBC, nil
	case "aes256-gcm", "aes-256-gcm", EncryptionAES256GCM:
		return EncryptionAES256GCM, nil
	}
	return "", fmt.Errorf("token encryption method %q: want aes256-cbc (Entra's) or aes256-gcm", m)
}

// Read implements io.Reader on the server's random source (for the AES key and IV).
func (r *randSource) Read(b []byte) (int, error) { r.read(b); return len(b), nil }

// encryptAssertion replaces the Response's Assertion a (already signed, as Entra signs
// before it encrypts) by an EncryptedAssertion for k. The Response signature, if any, is
// made afterwards and so covers the EncryptedAssertion.
func (s *Server) encryptAssertion(resp, a *etree.Element, k *EncryptionKey) error {
	pub, ok := k.Cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("token encryption certificate has no RSA public key")
	}
	doc := etree.NewDocument()
	doc.SetRoot(a.Copy())
	plain := writeXML(doc)

	key := make([]byte, 32)
	s.rand.read(key)
	data, err := sealXMLEnc(k.Method, key, plain, &s.rand)
	if err != nil {
		return err
	}
	// The OAEP padding's seed: Go 1.26 takes it from crypto/rand whatever reader it is given.
	wrapped, err := rsa.EncryptOAEP(sha1.New(), &s.rand, pub, key, nil)
	if err != nil {
		return fmt.Errorf("wrap the token encryption key: %w", err)
	}

	ea := etree.NewElement("EncryptedAssertion")
	ea.CreateAttr("xmlns", nsAssertion)
	ed := ea.CreateElement("xenc:EncryptedData")
	ed.CreateAttr("Type", xencElement)
	ed.CreateAttr("xmlns:xenc", nsXEnc)
	ed.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", k.Method)
	ki := ed.CreateElement("KeyInfo")
	ki.CreateAttr("xmlns", nsDSig)
	ek := ki.CreateElement("e:EncryptedKey")
	ek.CreateAttr("xmlns:e", nsXEnc)
	em := ek.CreateElement("e:EncryptionMethod")
	em.CreateAttr("Algorithm", KeyTransportRSAOAEP)
	em.CreateElement("DigestMethod").CreateAttr("Algorithm", dsigSHA1)
	ek.CreateElement("KeyInfo").CreateElement("X509Data").CreateElement("X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(k.Cert.Raw))
	ek.CreateElement("e:CipherData").CreateElement("e:CipherValue").SetText(base64.StdEncoding.EncodeToString(wrapped))
	ed.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(data))

	resp.InsertChildAt(a.Index(), ea)
	resp.RemoveChild(a)
	return nil
}

// sealXMLEnc encrypts plain as XML Encryption carries it in a CipherValue: for CBC the IV
// then the ciphertext, padded to the block with the pad length in the last byte (XML
// Encryption §5.2; the other pad bytes are that length too, so PKCS #7 decoders accept it);
// for GCM (XML Encryption 1.1 §5.2.4) a 96-bit IV, the ciphertext and the 128-bit tag.
func sealXMLEnc(method string, key, plain []byte, rnd *randSource) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	switch method {
	case EncryptionAES256GCM:
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		iv := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plain)+gcm.Overhead())
		rnd.read(iv)
		return gcm.Seal(iv, iv, plain, nil), nil
	case EncryptionAES256CBC:
		n := aes.BlockSize - len(plain)%aes.BlockSize
		out := make([]byte, aes.BlockSize+len(plain)+n)
		rnd.read(out[:aes.BlockSize])
		body := out[aes.BlockSize:]
		copy(body, plain)
		for i := len(plain); i < len(body); i++ {
			body[i] = byte(n)
		}
		cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(body, body)
		return out, nil
	}
	return nil, fmt.Errorf("token encryption method %q is not supported", method)
}

// noteEncryption records in a sign-in log event's Response facts that the assertion was
// encrypted, to which certificate (thumbprint and keyId) and with which cipher.
func (r *samlResponse) noteEncryption(facts map[string]string) {
	if r.Encryption == nil {
		return
	}
	facts["EncryptedAssertion"] = r.Encryption.Method
	facts["EncryptionCertificate"] = r.Encryption.Thumbprint()
	facts["TokenEncryptionKeyId"] = r.Encryption.KeyID
}
