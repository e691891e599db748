package refsaml

import (
	"errors"
	"fmt"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// DecryptionAsAuthentication takes an assertion it can decrypt as authentic: an
// EncryptedAssertion in a Response that carries no signature is decrypted with the SP's
// key (Config.DecryptionKey) and accepted without one, as if only the IdP could have
// encrypted it. Anyone can: the SP's encryption certificate is public. This is the
// Keycloak SAML broker's CVE-2026-2092 (encrypted assertion injection) and Cloud Foundry
// UAA's reasoning in cloudfoundry/uaa#3361 ("if an assertion is encrypted and we can read
// it, then we don't need the signature"). A signature present anywhere is verified as
// Strict does.
const DecryptionAsAuthentication Weakness = "decryption-as-authentication"

// decryptedUnsigned is DecryptionAsAuthentication's input for crewjam: when the Response
// has no signature at all, each EncryptedAssertion is replaced by the Assertion it decrypts
// to, marked with the placeholder signature (crewjam then checks everything else as
// usual). It reports whether it changed anything; a signed Response is left to Strict.
func (s *SP) decryptedUnsigned(root *etree.Element) (bool, error) {
	if hasTag(root, "Signature") || s.cfg.DecryptionKey == nil {
		return false, nil
	}
	encrypted := children(root, nsAssertion, "EncryptedAssertion")
	for _, ea := range encrypted {
		ed := ea.SelectElement("EncryptedData")
		if ed == nil {
			return false, errors.New("an EncryptedAssertion without EncryptedData")
		}
		plain, err := xmlenc.Decrypt(s.cfg.DecryptionKey, ed.Copy())
		if err != nil {
			return false, fmt.Errorf("failed to decrypt EncryptedAssertion: %v", err)
		}
		pd := etree.NewDocument()
		if err := pd.ReadFromBytes(plain); err != nil || pd.Root() == nil {
			return false, fmt.Errorf("the decrypted EncryptedAssertion is not XML: %v", err)
		}
		a := pd.Root()
		if a.SelectElement("Signature") != nil {
			// A signature inside: a real one is verified as Strict does (a Response with one
			// has hasTag above false only when it is encrypted, so it is Strict's case).
			return false, nil
		}
		addPlaceholder(a)
		root.InsertChildAt(ea.Index(), a)
		root.RemoveChild(ea)
	}
	if len(encrypted) == 0 {
		return false, nil
	}
	return true, nil
}
