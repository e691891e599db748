package refsaml

import (
	"crypto"
	"crypto/rsa"
	_ "crypto/sha1" // the digest and signature algorithms of Entra's signatures
	_ "crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// This file holds the weak variants of issue 19's wrapping and signature-placement faults.
// Each emulates the published behaviour of a vulnerable SAML library with a minimal change
// to one step of the strict SP; everything else (Issuer, times, audience, Recipient,
// Destination, InResponseTo, replay) is still checked by crewjam as Strict checks it.

// The weaknesses of issue 19.
const (
	// SignatureAnywhere emulates samlify before 2.10.0 (CVE-2025-47949): it verifies every
	// ds:Signature of the document, found anywhere, for the element its Reference names,
	// wherever that element is, then reads the Response's Assertion child, which the
	// signature need not cover. NaiveSignatureReference instead reads the first Assertion in
	// document order, wherever it is.
	SignatureAnywhere Weakness = "signature-anywhere"
	// VerifyFirstRoot emulates passport-saml before 3.2.2 (CVE-2022-39299): given a document
	// with more than one root element, it verifies the signature of the first root and reads
	// the last one as the Response. A document with one root is handled as Strict does.
	VerifyFirstRoot Weakness = "verify-first-root"
	// AssertionSignatureAnywhere emulates the bug class of node-saml before 5.1.0
	// (CVE-2025-54419, CVE-2025-54369: the node verified is not the node read): an Assertion
	// without a Signature child is verified with the first ds:Signature found anywhere inside
	// it, and its NameID is the first NameID element inside it (a descendant search), which a
	// ds:Object of that signature may hold.
	AssertionSignatureAnywhere Weakness = "assertion-signature-anywhere"
	// FirstSignedInfo is the bug class of xml-crypto before 6.0.1 (CVE-2025-29774): the
	// SignatureValue is checked over the first SignedInfo of a Signature and the References
	// are taken from the last one. (xml-crypto canonicalized the first SignedInfo child for
	// the SignatureValue but loaded the References of every SignedInfo found anywhere in the
	// Signature; this variant keeps the shape of that mismatch, one Signature enveloped in the
	// Assertion it reads.) A Signature with one SignedInfo is verified as Strict does.
	FirstSignedInfo Weakness = "first-signedinfo"
	// DigestFirstChild emulates xml-crypto before 6.0.1 (CVE-2025-29775): the DigestValue is read
	// from the first child node of the element (DigestValue.firstChild.data, which a comment
	// has too), not from the canonical SignedInfo whose signature was checked. A DigestValue
	// that is plain text is verified as Strict does.
	DigestFirstChild Weakness = "digest-first-child"
	// AcceptEmptyReference is goxmldsig's, and so crewjam's, reading of a Reference with
	// URI="": the element the Signature is in, whatever it is (Strict refuses an empty URI;
	// see emptyReference).
	AcceptEmptyReference Weakness = "accept-empty-reference"
)

// signatureAnywhereResponse is SignatureAnywhere: the naive signature check, then the
// Response's own Assertion child.
func (s *SP) signatureAnywhereResponse(root *etree.Element, md *saml.EntityDescriptor) ([]byte, error) {
	return s.wrappedResponse(root, md, func(root *etree.Element) *etree.Element {
		return child(root, nsAssertion, "Assertion")
	})
}

// lastRoot is VerifyFirstRoot: for a document with more than one root element, the first
// root's signature must verify with the metadata certificates; the last root is returned as
// the Response, with a placeholder signature in each of its unsigned assertions (the
// library took the document as verified). A single root is returned as it is.
func (s *SP) lastRoot(md *saml.EntityDescriptor, doc *etree.Document, input []byte) (*etree.Element, []byte, error) {
	roots := doc.ChildElements()
	if len(roots) < 2 {
		return doc.Root(), input, nil
	}
	certs, err := signingCerts(md)
	if err != nil {
		return nil, nil, err
	}
	first, err := detach(roots[0])
	if err != nil {
		return nil, nil, err
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs})
	vc.IdAttribute = "ID"
	if _, err := vc.Validate(first); err != nil {
		return nil, nil, fmt.Errorf("the signature of the first root element does not verify: %v", err)
	}
	last := roots[len(roots)-1].Copy()
	for _, a := range children(last, nsAssertion, "Assertion") {
		if child(a, nsDSig, "Signature") == nil {
			addPlaceholder(a)
		}
	}
	out := etree.NewDocument()
	out.SetRoot(last)
	b, err := out.WriteToBytes()
	return last, b, err
}

// signatureInsideAssertion is AssertionSignatureAnywhere: each Assertion child of the
// Response that has no Signature child but a ds:Signature somewhere inside is verified with
// that signature (goxmldsig finds it and its enveloped-signature transform removes it where
// it is); the NameID becomes the Assertion's first NameID element, the signature is replaced
// by the placeholder, and crewjam checks the rest.
func (s *SP) signatureInsideAssertion(root *etree.Element, md *saml.EntityDescriptor) ([]byte, error) {
	certs, err := signingCerts(md)
	if err != nil {
		return nil, err
	}
	root = root.Copy()
	for _, a := range children(root, nsAssertion, "Assertion") {
		sigs := descendants(a, nsDSig, "Signature")
		if child(a, nsDSig, "Signature") != nil || len(sigs) == 0 {
			continue
		}
		if err := verifyAt(a, sigs[0], certs); err != nil {
			return nil, fmt.Errorf("the signature inside assertion %s does not verify: %v", a.SelectAttrValue("ID", ""), err)
		}
		first := descendants(a, nsAssertion, "NameID")
		subj := child(a, nsAssertion, "Subject")
		nid := child(subj, nsAssertion, "NameID")
		var read *etree.Element
		if len(first) > 0 && nid != nil && first[0] != nid {
			if read, err = detach(first[0]); err != nil {
				return nil, err
			}
		}
		sigs[0].Parent().RemoveChild(sigs[0])
		if read != nil {
			subj.InsertChildAt(nid.Index(), read)
			subj.RemoveChild(nid)
		}
		addPlaceholder(a)
	}
	doc := etree.NewDocument()
	doc.SetRoot(root)
	return doc.WriteToBytes()
}

// xmlCryptoVerification is the signature check of FirstSignedInfo and DigestFirstChild,
// plugged into crewjam's SignatureVerifier hook. A Signature without the quirk's shape is
// verified by goxmldsig as Strict does.
type xmlCryptoVerification struct{ quirk Weakness }

func (v xmlCryptoVerification) VerifySignature(vc *dsig.ValidationContext, el *etree.Element) error {
	sig := child(el, nsDSig, "Signature")
	sis := children(sig, nsDSig, "SignedInfo")
	dv := child(child(child(sig, nsDSig, "SignedInfo"), nsDSig, "Reference"), nsDSig, "DigestValue")
	quirky := len(sis) > 1
	if v.quirk == DigestFirstChild {
		quirky = dv != nil && len(dv.Child) > 1
	}
	if !quirky {
		if _, err := vc.Validate(el); err != nil {
			return fmt.Errorf("cannot validate signature on %s: %v", el.Tag, err)
		}
		return nil
	}
	certs, err := vc.CertificateStore.Certificates()
	if err != nil {
		return err
	}
	refs := sis[0]
	if v.quirk == FirstSignedInfo {
		refs = sis[len(sis)-1]
	}
	if err := verifySignedInfo(sis[0], text(child(sig, nsDSig, "SignatureValue")), rsaKeys(certs)); err != nil {
		return fmt.Errorf("cannot validate signature on %s: %v", el.Tag, err)
	}
	ref := child(refs, nsDSig, "Reference")
	if ref == nil || ref.SelectAttrValue("URI", "") != "#"+el.SelectAttrValue("ID", "") {
		return fmt.Errorf("cannot validate signature on %s: no Reference to it", el.Tag)
	}
	want := text(child(ref, nsDSig, "DigestValue"))
	if v.quirk == DigestFirstChild {
		switch t := dv.Child[0].(type) {
		case *etree.Comment:
			want = t.Data
		case *etree.CharData:
			want = t.Data
		}
	}
	return verifyDigest(el, ref, want)
}

// verifyDigest checks want, a base64 DigestValue, against the digest of el as an enveloped
// signature's Reference covers it: el without its Signature child, exclusive c14n, the
// Reference's DigestMethod.
func verifyDigest(el, ref *etree.Element, want string) error {
	h := crypto.SHA256
	if attr(child(ref, nsDSig, "DigestMethod"), "Algorithm") == "http://www.w3.org/2000/09/xmldsig#sha1" {
		h = crypto.SHA1
	}
	c := el.Copy()
	c.RemoveChild(child(c, nsDSig, "Signature"))
	b, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(c)
	if err != nil {
		return err
	}
	d := h.New()
	d.Write(b)
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(want))
	if err != nil || subtle.ConstantTimeCompare(got, d.Sum(nil)) != 1 {
		return fmt.Errorf("cannot validate signature on %s: digest mismatch", el.Tag)
	}
	return nil
}

// verifySignedInfo checks value, the base64 SignatureValue, over the exclusive canonical
// form of si with one of keys.
func verifySignedInfo(si *etree.Element, value string, keys []*rsa.PublicKey) error {
	c, err := detach(si)
	if err != nil {
		return err
	}
	b, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(c)
	if err != nil {
		return err
	}
	h := crypto.SHA256
	if attr(child(si, nsDSig, "SignatureMethod"), "Algorithm") == dsig.RSASHA1SignatureMethod {
		h = crypto.SHA1
	}
	sv, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(value), ""))
	if err != nil {
		return err
	}
	d := h.New()
	d.Write(b)
	for _, pub := range keys {
		if rsa.VerifyPKCS1v15(pub, h, d.Sum(nil), sv) == nil {
			return nil
		}
	}
	return errors.New("the SignatureValue does not verify")
}

// rsaKeys are the RSA public keys of certs.
func rsaKeys(certs []*x509.Certificate) []*rsa.PublicKey {
	var out []*rsa.PublicKey
	for _, c := range certs {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok {
			out = append(out, pub)
		}
	}
	return out
}

// rsaKeyValues are the keys the document's Signatures carry by value (KeyInfo/KeyValue/
// RSAKeyValue), for TrustKeyInfo: crewjam removes a KeyInfo without a certificate before its
// verifier hook sees the element, so they are read from the document first.
func rsaKeyValues(root *etree.Element) []*rsa.PublicKey {
	var out []*rsa.PublicKey
	for _, kv := range descendants(root, nsDSig, "RSAKeyValue") {
		n, err1 := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text(child(kv, nsDSig, "Modulus"))), ""))
		e, err2 := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text(child(kv, nsDSig, "Exponent"))), ""))
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			continue
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
		for _, b := range e {
			pub.E = pub.E<<8 | int(b)
		}
		out = append(out, pub)
	}
	return out
}

// verifyWithKeys verifies el's enveloped Signature (one SignedInfo, its Reference "#" + el's
// ID) with one of keys.
func verifyWithKeys(el *etree.Element, keys []*rsa.PublicKey) error {
	sig := child(el, nsDSig, "Signature")
	si := child(sig, nsDSig, "SignedInfo")
	if si == nil || len(children(sig, nsDSig, "SignedInfo")) != 1 {
		return fmt.Errorf("cannot validate signature on %s: not one SignedInfo", el.Tag)
	}
	if err := verifySignedInfo(si, text(child(sig, nsDSig, "SignatureValue")), keys); err != nil {
		return fmt.Errorf("cannot validate signature on %s: %v", el.Tag, err)
	}
	ref := child(si, nsDSig, "Reference")
	if ref == nil || attr(ref, "URI") != "#"+attr(el, "ID") {
		return fmt.Errorf("cannot validate signature on %s: no Reference to it", el.Tag)
	}
	return verifyDigest(el, ref, text(child(ref, nsDSig, "DigestValue")))
}

// emptyReference is Strict's check of the Reference URIs (AcceptEmptyReference leaves it
// out): goxmldsig, and so crewjam, takes a Reference with URI="" as covering the element it
// validates, whatever that element is; XML-DSig says "" is the whole document, and SAML Core
// §5.4.2 requires "#" + the ID of the signed element. A non-empty URI that is not the
// element's ID is refused by goxmldsig already.
func emptyReference(root *etree.Element) error {
	for _, el := range append([]*etree.Element{root}, children(root, nsAssertion, "Assertion")...) {
		for _, sig := range children(el, nsDSig, "Signature") {
			for _, ref := range children(child(sig, nsDSig, "SignedInfo"), nsDSig, "Reference") {
				if attr(ref, "URI") == "" {
					return fmt.Errorf("the signature of %s %s has a Reference with an empty URI (the whole document); SAML requires \"#\" + the ID of the signed element (SAML Core §5.4.2)", el.Tag, attr(el, "ID"))
				}
			}
		}
	}
	return nil
}

// attr is el's attribute key, "" for no element.
func attr(el *etree.Element, key string) string {
	if el == nil {
		return ""
	}
	return el.SelectAttrValue(key, "")
}
