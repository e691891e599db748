package idp

import (
	"errors"
	"slices"
)

// Token encryption checks: Responses whose assertion is encrypted to the SP's certificate
// (saml_encrypt.go). The SP's certificate is the app's encryption key credential: the
// active one (tokenEncryptionKeyId), else an uploaded Encrypt key credential that is not
// activated, so that the app's other sign-ins stay in the clear while these checks run.

// RequiresTokenEncryption: the app has an Encrypt key credential, the SP's encryption
// certificate (the target's saml.encryptionCertificate, or an app with token encryption).
const RequiresTokenEncryption Requirement = "saml-token-encryption"

// refKeycloakEnc is the advisory of an SP that took a decryptable assertion as authentic.
const refKeycloakEnc = "CVE-2026-2092 (Keycloak SAML broker: encrypted assertion injection; keycloak/keycloak#46929 \"Ensure that an encrypted assertion is signed if response is not signed\")"

// errNoEncryptionCert is why a token encryption check cannot mint for an app.
var errNoEncryptionCert = errors.New("the app has no Encrypt key credential (the SP's encryption certificate): declare it in the target (saml.encryptionCertificate) or the app's keyCredentials")

// samlEncryptedCatalog are the token encryption rows.
var samlEncryptedCatalog = []*Fault{
	{ID: "saml.encrypted", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Requires: []Requirement{RequiresTokenEncryption},
		Description: "token encryption: the signed assertion sent as an EncryptedAssertion (AES-256-CBC, key by RSA-OAEP-MGF1P) to the SP's certificate",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{"Microsoft Entra: Configure SAML token encryption", "XML Encryption 1.0 §5.2, §5.4.2"},
		Weakness: "cannot decrypt Entra's EncryptedAssertion", Fix: "give the SP the private key of the certificate uploaded to the app's Token encryption blade (and accept aes256-cbc with rsa-oaep-mgf1p)",
		saml: encryptTo(nil)},
	{ID: "saml.encrypted.unsigned", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Requires: []Requirement{RequiresTokenEncryption},
		Description: "an EncryptedAssertion to the SP's certificate with no signature at all, on the assertion or the Response",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refKeycloakEnc, "SAML 2.0 Profiles §4.1.3.5 (the assertion MUST be signed, or the Response)", "XML Encryption 1.0 §6.3 (encryption gives no integrity or origin)"},
		Weakness: "takes an assertion it can decrypt as authentic", Fix: "require a valid IdP signature on the Response or on the decrypted Assertion: anyone can encrypt to the SP's public certificate",
		saml: encryptTo(func(m *samlMint) { m.option = signNone; m.note("no signature") })},
}

// encryptTo is a hook that encrypts the Response's assertion to the app's encryption
// certificate (active or only uploaded), after then (may be nil) changed what else the row
// names. An app without one cannot mint the check.
func encryptTo(then func(m *samlMint)) func(m *samlMint, _ int) error {
	return func(m *samlMint, _ int) error {
		k := m.s.faultEncryptionKey(m.app)
		if k == nil {
			return errNoEncryptionCert
		}
		m.encrypt = k
		m.note("assertion encrypted (%s) to %s", k.Method, k.Thumbprint())
		if then != nil {
			then(m)
		}
		return nil
	}
}

// faultEncryptionKey is the certificate an encryption check encrypts to: the app's active
// encryption key, else one uploaded at run time (UploadTokenEncryptionCertificate), else its
// first Encrypt key credential of the config (uploaded, not activated).
func (s *Server) faultEncryptionKey(app *EnterpriseApp) *EncryptionKey {
	if k := s.tokenEncryptionKey(app); k != nil {
		return k
	}
	if k := s.uploadedEncryptionKey(app); k != nil {
		return k
	}
	for _, kc := range app.KeyCredentials {
		if kc.Usage == KeyUsageEncrypt && kc.cert != nil {
			return &EncryptionKey{KeyID: kc.KeyID, Cert: kc.cert, Method: EncryptionAES256CBC}
		}
	}
	return nil
}

// HasEncryptionCertificate reports whether app has an encryption certificate (an active
// token encryption key or an uploaded Encrypt key credential), which the
// RequiresTokenEncryption checks encrypt to.
func (s *Server) HasEncryptionCertificate(app *EnterpriseApp) bool {
	return s.faultEncryptionKey(app) != nil
}

// faultApplies reports whether f can mint for app: a token encryption check needs the SP's
// encryption certificate (preparing the catalog skips the apps without one; arming the
// check for such an app says why it cannot).
func (s *Server) faultApplies(f *Fault, app *EnterpriseApp) bool {
	return !slices.Contains(f.Requires, RequiresTokenEncryption) || s.faultEncryptionKey(app) != nil
}

// faultArmable refuses to arm a token encryption check when no app has an encryption
// certificate: every sign-in would end on an error page.
func (s *Server) faultArmable(f *Fault) error {
	if !slices.Contains(f.Requires, RequiresTokenEncryption) {
		return nil
	}
	for _, t := range s.cfg.Tenants {
		for _, app := range t.EnterpriseApps {
			if s.faultEncryptionKey(app) != nil {
				return nil
			}
		}
	}
	return errNoEncryptionCert
}
