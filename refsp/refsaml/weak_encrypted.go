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
// usual). It reports whether it changed anything; a signed Response, or an assertion signed
// inside, is left to Strict.
func (s *SP) decryptedUnsigned(root *etree.Element) (bool, error) {
	if hasTag(root, "Signature") || s.cfg.DecryptionKey == nil {
		return false, nil
	}
	plain, err := s.decryptAll(root)
	if err != nil || len(plain) == 0 {
		return false, err
	}
	for _, a := range plain {
		if a.SelectElement("Signature") != nil {
			return false, nil
		}
	}
	for i, ea := range children(root, nsAssertion, "EncryptedAssertion") {
		addPlaceholder(plain[i])
		root.InsertChildAt(ea.Index(), plain[i])
		root.RemoveChild(ea)
	}
	return true, nil
}

// decryptInPlace replaces each EncryptedAssertion of the Response by the Assertion it
// decrypts to, for the weak variants that read the Response tree themselves: an SP of their
// kind decrypts first and then runs its own signature and identity logic on the result. It
// reports whether it changed anything.
func (s *SP) decryptInPlace(root *etree.Element) (bool, error) {
	if s.cfg.DecryptionKey == nil {
		return false, nil
	}
	plain, err := s.decryptAll(root)
	if err != nil || len(plain) == 0 {
		return false, err
	}
	for i, ea := range children(root, nsAssertion, "EncryptedAssertion") {
		root.InsertChildAt(ea.Index(), plain[i])
		root.RemoveChild(ea)
	}
	return true, nil
}

// decryptAll decrypts the Response's EncryptedAssertions with the SP's key, in order.
func (s *SP) decryptAll(root *etree.Element) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, ea := range children(root, nsAssertion, "EncryptedAssertion") {
		ed := ea.SelectElement("EncryptedData")
		if ed == nil {
			return nil, errors.New("an EncryptedAssertion without EncryptedData")
		}
		plain, err := xmlenc.Decrypt(s.cfg.DecryptionKey, ed.Copy())
		if err != nil {
			return nil, fmt.Errorf("failed to decrypt EncryptedAssertion: %v", err)
		}
		pd := etree.NewDocument()
		if err := pd.ReadFromBytes(plain); err != nil || pd.Root() == nil {
			return nil, fmt.Errorf("the decrypted EncryptedAssertion is not XML: %v", err)
		}
		out = append(out, pd.Root())
	}
	return out, nil
}
