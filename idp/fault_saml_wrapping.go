package idp

import (
	"crypto"
	_ "crypto/sha1" // the digest algorithms Entra's signatures use
	_ "crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// The minting of the wrapping and signature-placement faults of issue 19
// (fault_catalog_saml_wrapping.go): wrapping shapes that survive XML Schema validation, and
// signatures that verify in a place, or with a reading, a correct SP must not accept.

// Namespace prefixes of the Response as the direct writer emits it (saml_response.go): the
// protocol elements carry samlp:, the Assertion and the Signature declare their own default
// namespace, so an element created unprefixed inside them is in theirs.
const samlpPrefix = "samlp:"

// xswSchemaValid applies the schema-valid form of SAML Raider's XSW shape n: the same
// wrapping, with the hidden element put where the SAML and XML-DSig schemas allow any
// element, and every ID unique (xs:ID), so that an SP that validates the schema first still
// reaches its signature logic.
//
//   - 1 (and 2): the signed Response goes into a ds:Object of its own Signature (ds:Object's
//     content is xs:any ##any; a samlp:Response may not be a child of ds:Signature nor of
//     samlp:Response, nor of samlp:Extensions, whose content is ##other than the protocol
//     namespace).
//   - 4: the signed Assertion goes into the evil Assertion's saml:Advice (which may hold
//     Assertions), placed after Conditions, not after the statements.
//   - 6 (and 8): the unsigned original goes into a ds:Object of the Signature the evil
//     Assertion keeps, and the evil Assertion gets a new ID (XSW8 keeps the ID, which makes
//     two elements with one xs:ID).
//   - 7: the evil copy (new ID) goes into a samlp:Extensions at its place in the Response,
//     after Issuer and before Status (XSW7 puts an unqualified Extensions before the
//     Assertion and gives the copy the signed Assertion's ID).
//
// XSW3 and XSW5 are schema-valid as they are.
func (m *samlMint) xswSchemaValid(n int, resp *etree.Element) error {
	evilID := "_" + m.s.rand.guid()
	switch n {
	case 1:
		sig := child(resp, "Signature")
		if sig == nil {
			return fmt.Errorf("xsw1: the Response is not signed")
		}
		orig := resp.Copy()
		removeSignature(orig)
		m.evilize(firstAssertion(resp))
		sig.CreateElement("Object").AddChild(orig)
		resp.CreateAttr("ID", evilID)
	case 4:
		a := firstAssertion(resp)
		if a == nil || child(a, "Signature") == nil {
			return fmt.Errorf("xsw4: the Assertion is not signed")
		}
		evil := a.Copy()
		m.evilize(evil)
		evil.CreateAttr("ID", evilID)
		removeSignature(evil)
		adv := etree.NewElement("Advice")
		at := 0
		if c := child(evil, "Conditions"); c != nil {
			at = c.Index() + 1
		}
		evil.InsertChildAt(at, adv)
		resp.InsertChildAt(a.Index(), evil)
		resp.RemoveChild(a)
		adv.AddChild(a)
	case 6:
		evil := firstAssertion(resp)
		if evil == nil || child(evil, "Signature") == nil {
			return fmt.Errorf("xsw6: the Assertion is not signed")
		}
		orig := evil.Copy()
		removeSignature(orig)
		m.evilize(evil)
		evil.CreateAttr("ID", evilID)
		child(evil, "Signature").CreateElement("Object").AddChild(orig)
	case 7:
		a := firstAssertion(resp)
		if a == nil || child(a, "Signature") == nil {
			return fmt.Errorf("xsw7: the Assertion is not signed")
		}
		evil := a.Copy()
		m.evilize(evil)
		removeSignature(evil)
		evil.CreateAttr("ID", evilID)
		extensionsOf(resp).AddChild(evil)
	default:
		return fmt.Errorf("no schema-valid XSW shape %d", n)
	}
	return nil
}

// extensionsOf returns the Response's samlp:Extensions, made where the schema puts it: after
// Issuer and Signature, before Status.
func extensionsOf(resp *etree.Element) *etree.Element {
	if ext := child(resp, "Extensions"); ext != nil {
		return ext
	}
	at := 0
	for i, t := range resp.Child {
		if e, ok := t.(*etree.Element); ok && (e.Tag == "Issuer" || e.Tag == "Signature") {
			at = i + 1
		}
	}
	ext := etree.NewElement(samlpPrefix + "Extensions")
	resp.InsertChildAt(at, ext)
	return ext
}

// signedAssertion returns the Response's first Assertion and its enveloped Signature.
func signedAssertion(resp *etree.Element) (a, sig *etree.Element, err error) {
	a = firstAssertion(resp)
	if a == nil {
		return nil, nil, fmt.Errorf("the Response has no Assertion")
	}
	if sig = child(a, "Signature"); sig == nil {
		return nil, nil, fmt.Errorf("the Assertion is not signed")
	}
	return a, sig, nil
}

// setNameIDTo makes the NameID of assertion a name the victim (and nothing else changes).
func (m *samlMint) setNameIDTo(a *etree.Element) error {
	nid := a.FindElement("./Subject/NameID")
	if nid == nil {
		return fmt.Errorf("the Assertion has no NameID")
	}
	id, _ := m.s.nameID(m.t, m.app, m.s.victim(m.t, m.user), nid.SelectAttrValue("Format", ""))
	nid.SetText(id)
	return nil
}

// forgedNameID is the first half of the digest forgeries: the signed Assertion's NameID changed
// to the victim's after signing, and the digest its Reference would need for that (what an
// attacker computes without the key).
func (m *samlMint) forgedNameID(resp *etree.Element) (sig *etree.Element, digest string, err error) {
	a, sig, err := signedAssertion(resp)
	if err != nil {
		return nil, "", err
	}
	if err := m.setNameIDTo(a); err != nil {
		return nil, "", err
	}
	digest, err = referenceDigest(a, sig)
	return sig, digest, err
}

// referenceDigest computes the DigestValue the Reference of sig (enveloped in a) would carry
// for a as it is now: the enveloped-signature transform (a without sig), exclusive c14n
// without comments, the Reference's DigestMethod. It is what an attacker computes for a
// changed assertion; no key is needed.
func referenceDigest(a, sig *etree.Element) (string, error) {
	ref := sig.FindElement("./SignedInfo/Reference")
	if ref == nil {
		return "", fmt.Errorf("the Signature has no Reference")
	}
	h := crypto.SHA256
	if dm := ref.FindElement("./DigestMethod"); dm != nil && dm.SelectAttrValue("Algorithm", "") == "http://www.w3.org/2000/09/xmldsig#sha1" {
		h = crypto.SHA1
	}
	c := a.Copy() // the Assertion declares its own namespace, its Signature too
	removeSignature(c)
	b, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(c)
	if err != nil {
		return "", err
	}
	d := h.New()
	d.Write(b)
	return base64.StdEncoding.EncodeToString(d.Sum(nil)), nil
}

// digestValueOf is the DigestValue element of sig's (first) SignedInfo Reference.
func digestValueOf(sig *etree.Element) (*etree.Element, error) {
	dv := sig.FindElement("./SignedInfo/Reference/DigestValue")
	if dv == nil {
		return nil, fmt.Errorf("the Signature has no DigestValue")
	}
	return dv, nil
}

// resignAssertion replaces the Assertion's Signature with a new one made with the key and
// algorithm this Response is signed with, after tweak changed the signing context.
func (m *samlMint) resignAssertion(a *etree.Element, tweak func(*dsig.SigningContext)) error {
	key := m.key
	if key == nil {
		key = m.s.activeKey(m.app)
	}
	if key == nil {
		return fmt.Errorf("app %q has no signing certificate", m.app.DisplayName)
	}
	alg := m.algorithm
	if alg == "" {
		alg = m.app.SAML.Signing.Algorithm
	}
	ctx, err := m.s.signingContext(key, alg)
	if err != nil {
		return err
	}
	tweak(ctx)
	removeSignature(a)
	sig, err := ctx.ConstructSignature(a.Copy(), true)
	if err != nil {
		return fmt.Errorf("sign %s: %w", a.Tag, err)
	}
	at := 0
	if iss := child(a, "Issuer"); iss != nil {
		at = iss.Index() + 1
	}
	a.InsertChildAt(at, sig)
	return nil
}

// keyValueOnly makes sig's KeyInfo name its RSA key by value alone (ds:KeyValue /
// ds:RSAKeyValue), without a certificate. KeyInfo is outside SignedInfo: the signature stays
// valid.
func keyValueOnly(sig *etree.Element, key *SigningKey) error {
	ki := child(sig, "KeyInfo")
	if ki == nil {
		return fmt.Errorf("the Signature has no KeyInfo")
	}
	for _, c := range ki.ChildElements() {
		ki.RemoveChild(c)
	}
	pub := &key.Key.PublicKey
	rk := ki.CreateElement("KeyValue").CreateElement("RSAKeyValue")
	rk.CreateElement("Modulus").SetText(base64.StdEncoding.EncodeToString(pub.N.Bytes()))
	rk.CreateElement("Exponent").SetText(base64.StdEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()))
	return nil
}
