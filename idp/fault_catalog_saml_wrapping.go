package idp

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// The rows of issue 19 on signature wrapping that survives schema validation and on
// signature placement: the shapes of the SAML-library advisories published since 2020, each
// minted on top of a perfect Entra Response (assertion signed, as Entra signs by default,
// unless the row says otherwise).

// Reference strings of these rows.
const (
	refSchemas      = "SAML 2.0 schemas (saml-schema-protocol-2.0.xsd, saml-schema-assertion-2.0.xsd) and xmldsig-core-schema.xsd"
	refSAMLSig      = "SAML 2.0 Core §5.4.1–5.4.2 (enveloped signature; Reference URI is \"#\" + the ID of the signed element)"
	refSamlify      = "samlify CVE-2025-47949 / GHSA-r683-v43c-6xqv (signature wrapping, fixed in 2.10.0)"
	refPassportSAML = "passport-saml CVE-2022-39299 / GHSA-m974-647v-whv7 (multiple root elements, fixed in 3.2.2)"
	refNodeSAML     = "node-saml CVE-2025-54419 / GHSA-4mxg-3p6v-xgq3 and CVE-2025-54369 / GHSA-m837-g268-mmv7 (the verified node is not the processed node, fixed in 5.1.0)"
	refXMLCryptoSI  = "xml-crypto CVE-2025-29774 / GHSA-9p8x-f768-wp2g (multiple SignedInfo, fixed in 6.0.1 / 3.2.1 / 2.1.6)"
	refXMLCryptoDV  = "xml-crypto CVE-2025-29775 / GHSA-x3m8-899r-f7c3 (comment in DigestValue, fixed in 6.0.1 / 3.2.1 / 2.1.6)"
	refXMLC14N      = "Exclusive XML Canonicalization 1.0 (without comments: comments are not part of the canonical form)"
)

// Shared texts of the wrapping rows.
const (
	wrapWeakness = "verifies a signature over one element and reads another (XML Signature Wrapping)"
	wrapFix      = "read only the element the verified signature references (by position, not by searching for the ID)"
	placeFix     = "accept only an enveloped Signature that is a direct child of the Assertion (or Response) it signs, its Reference \"#\" + that element's ID, and read only that element"
)

// samlWrapping is a hook that signs the assertion (or, with response, the Response), then
// applies f to the signed document.
func samlWrapping(response bool, note string, f func(m *samlMint, doc *etree.Document, resp *etree.Element) error) func(m *samlMint, step int) error {
	return func(m *samlMint, _ int) error {
		m.option = SignAssertion
		if response {
			m.option = SignResponse
		}
		m.then(func(doc *etree.Document, resp *etree.Element) error { return f(m, doc, resp) })
		if strings.Contains(note, "%s") {
			m.note(note, m.s.victim(m.t, m.user).UserPrincipalName)
		} else {
			m.note("%s", note)
		}
		return nil
	}
}

func samlXSWSchemaValid(n int) func(m *samlMint, step int) error {
	return samlWrapping(n == 1, fmt.Sprintf("schema-valid XML Signature Wrapping shape %d (evil content names %%s)", n),
		func(m *samlMint, _ *etree.Document, resp *etree.Element) error { return m.xswSchemaValid(n, resp) })
}

// samlWrappingCatalog are the rows of issue 19's wrapping and signature-placement checks.
var samlWrappingCatalog = []*Fault{
	// ---- schema-valid forms of SAML Raider's shapes (XSW3 and XSW5 already are) ---------------
	{ID: "saml.xsw.1.schema-valid", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "XSW1/XSW2, schema-valid: the signed Response moved into a ds:Object of its own Signature; an evil Response (new ID) around it",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSomorovsky, refSAMLRaider, refSchemas},
		Weakness: wrapWeakness, Fix: wrapFix, saml: samlXSWSchemaValid(1)},
	{ID: "saml.xsw.4.schema-valid", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "XSW4, schema-valid: the signed Assertion moved into the saml:Advice of an unsigned evil Assertion (new ID)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSomorovsky, refSAMLRaider, refSchemas},
		Weakness: wrapWeakness, Fix: wrapFix, saml: samlXSWSchemaValid(4)},
	{ID: "saml.xsw.6.schema-valid", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "XSW6/XSW8, schema-valid: evil Assertion (new ID) keeps the Signature; the unsigned original in a ds:Object of that Signature",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSomorovsky, refSAMLRaider, refSchemas},
		Weakness: wrapWeakness, Fix: wrapFix, saml: samlXSWSchemaValid(6)},
	{ID: "saml.xsw.7.schema-valid", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "XSW7, schema-valid: an unsigned evil Assertion (new ID) in samlp:Extensions (after Issuer, before Status); the signed Assertion stays in place",
		Expect:      Expectation{Verdict: VerdictReject, OrSignedIdentity: true}, References: []string{refSomorovsky, refSAMLRaider, refSchemas},
		Weakness: wrapWeakness, Fix: wrapFix, saml: samlXSWSchemaValid(7)},
	// ---- wrapping and placement shapes of the advisories -----------------------------------------
	{ID: "saml.xsw.extensions", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the Assertion's Signature moved to the Response level (Reference still #assertion); the original Assertion, unsigned, moved into samlp:Extensions; an unsigned Assertion for another user (new ID) in its place",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSamlify, refSAMLSig, refSchemas},
		Weakness: "verifies a Signature found anywhere by the element its Reference names, then reads the Response's Assertion child", Fix: placeFix,
		saml: samlWrapping(false, "signed Assertion moved into samlp:Extensions, its Signature to the Response; unsigned Assertion for %s", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			a, sig, err := signedAssertion(resp)
			if err != nil {
				return err
			}
			evil := a.Copy()
			removeSignature(evil)
			m.evilize(evil)
			evil.CreateAttr("ID", "_"+m.s.rand.guid())
			resp.InsertChildAt(a.Index(), evil)
			resp.RemoveChild(a)
			a.RemoveChild(sig)
			at := 0
			if iss := child(resp, "Issuer"); iss != nil {
				at = iss.Index() + 1
			}
			resp.InsertChildAt(at, sig)
			extensionsOf(resp).AddChild(a)
			return nil
		})},
	{ID: "saml.xml.multiple-roots", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "two root elements: the IdP-signed Assertion, then a Response whose Assertion (new ID, unsigned) names another user",
		Expect:      Expectation{Verdict: VerdictReject, Note: "a document with two root elements is not well-formed XML"}, References: []string{refPassportSAML, "XML 1.0 §2.1 (a document has exactly one root element)"},
		Weakness: "verifies the signature of the first root element and reads the last", Fix: "refuse a document that is not well-formed (more than one root element); verify and read the one Response",
		saml: samlWrapping(false, "the signed Assertion as a first root element; the Response's Assertion unsigned, for %s", func(m *samlMint, doc *etree.Document, resp *etree.Element) error {
			a, _, err := signedAssertion(resp)
			if err != nil {
				return err
			}
			at := 0
			for i, t := range doc.Child {
				if t == resp {
					at = i
				}
			}
			doc.InsertChildAt(at, a.Copy())
			removeSignature(a)
			m.evilize(a)
			a.CreateAttr("ID", "_"+m.s.rand.guid())
			return nil
		})},
	{ID: "saml.sig.misplaced.nameid", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the Assertion's (valid) Signature moved inside its NameID element; nothing else changes",
		Expect:      Expectation{Verdict: VerdictReject, Note: "the signature verifies, but not where the profile puts it: accepting it is the bug, whoever signs in"},
		References:  []string{refNodeSAML, refSAMLSig, refSchemas},
		Weakness:    "looks for the Assertion's Signature anywhere inside it", Fix: placeFix,
		saml: samlWrapping(false, "the Assertion's Signature moved into its NameID", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			a, sig, err := signedAssertion(resp)
			if err != nil {
				return err
			}
			nid := a.FindElement("./Subject/NameID")
			if nid == nil {
				return fmt.Errorf("the Assertion has no NameID")
			}
			a.RemoveChild(sig)
			nid.AddChild(sig)
			return nil
		})},
	{ID: "saml.sig.misplaced.object", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the Assertion's (valid) Signature moved to the start of Subject, with a ds:Object holding a NameID for another user: the enveloped-signature transform removes both, the digest still matches",
		Expect:      Expectation{Verdict: VerdictReject, Note: "the signature verifies, but not where the profile puts it"},
		References:  []string{refNodeSAML, refSAMLSig},
		Weakness:    "looks for the Assertion's Signature anywhere inside it, and reads the first NameID element of the Assertion", Fix: placeFix,
		saml: samlWrapping(false, "the Assertion's Signature moved into Subject, a ds:Object in it with a NameID for %s", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			a, sig, err := signedAssertion(resp)
			if err != nil {
				return err
			}
			subj, nid := a.FindElement("./Subject"), a.FindElement("./Subject/NameID")
			if subj == nil || nid == nil {
				return fmt.Errorf("the Assertion has no Subject/NameID")
			}
			evil := nid.Copy()
			evil.CreateAttr("xmlns", "urn:oasis:names:tc:SAML:2.0:assertion")
			id, _ := m.s.nameID(m.t, m.app, m.s.victim(m.t, m.user), nid.SelectAttrValue("Format", ""))
			evil.SetText(id)
			sig.CreateElement("Object").AddChild(evil)
			a.RemoveChild(sig)
			subj.InsertChildAt(0, sig)
			return nil
		})},
	{ID: "saml.sig.misplaced.extensions", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the Assertion's (valid) Signature moved into samlp:Extensions of the Response (schema-valid: Extensions takes any element of another namespace); the Assertion itself unchanged",
		Expect:      Expectation{Verdict: VerdictReject, Note: "the Assertion is no longer signed: its signature verifies only for a verifier that follows the Reference from wherever the Signature is"},
		References:  []string{refSamlify, refSAMLSig, refSchemas},
		Weakness:    "verifies a Signature found anywhere by the element its Reference names", Fix: placeFix,
		saml: samlWrapping(false, "the Assertion's Signature moved into samlp:Extensions", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			a, sig, err := signedAssertion(resp)
			if err != nil {
				return err
			}
			a.RemoveChild(sig)
			extensionsOf(resp).AddChild(sig)
			return nil
		})},
	{ID: "saml.sig.multi-signedinfo", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the NameID changed to another user's after signing, and a second SignedInfo added to the Signature whose Reference carries the changed Assertion's digest (the first SignedInfo and the SignatureValue untouched)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refXMLCryptoSI, "XML-DSig Core §4.1 (a Signature has exactly one SignedInfo)"},
		Weakness: "checks the SignatureValue over one SignedInfo and the digests of another", Fix: "refuse a Signature that does not have exactly one SignedInfo, SignatureValue and at most one KeyInfo; take the References from the SignedInfo whose signature was verified",
		saml: samlWrapping(false, "NameID changed to %s; a second SignedInfo with its digest", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			sig, dig, err := m.forgedNameID(resp)
			if err != nil {
				return err
			}
			si := child(sig, "SignedInfo")
			forged := si.Copy()
			fdv := forged.FindElement("./Reference/DigestValue")
			if fdv == nil {
				return fmt.Errorf("the SignedInfo has no DigestValue")
			}
			fdv.SetText(dig)
			sig.InsertChildAt(si.Index()+1, forged)
			return nil
		})},
	{ID: "saml.sig.digest-comment", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the NameID changed to another user's after signing, and the changed Assertion's digest put as an XML comment before the original DigestValue text (c14n drops the comment, so the SignatureValue still verifies)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refXMLCryptoDV, refXMLC14N},
		Weakness: "reads the DigestValue from the first child node of the element (a comment), not from the canonical SignedInfo that was verified", Fix: "compare the digest with the DigestValue of the canonical SignedInfo whose signature was verified (its text, comments excluded)",
		saml: samlWrapping(false, "NameID changed to %s; its digest as a comment in DigestValue", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			sig, dig, err := m.forgedNameID(resp)
			if err != nil {
				return err
			}
			dv, err := digestValueOf(sig)
			if err != nil {
				return err
			}
			dv.InsertChildAt(0, etree.NewComment(dig))
			return nil
		})},
	{ID: "saml.sig.digest-comment-benign", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "an XML comment before the DigestValue text; nothing else changes, the signature is valid (c14n drops the comment)",
		Expect: Expectation{Verdict: VerdictProfile, Default: VerdictAccept,
			Note: "refusing a comment inside SignedInfo is safe (patched xml-crypto may); accepting it shows the digest is read from the verified canonical SignedInfo"},
		References: []string{refXMLCryptoDV, refXMLC14N},
		Weakness:   "reads the DigestValue from the first child node of the element (the comment), so a valid signature fails", Fix: "read the DigestValue from the canonical SignedInfo whose signature was verified (comments excluded)",
		saml: samlWrapping(false, "a comment in DigestValue (content unchanged)", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			_, sig, err := signedAssertion(resp)
			if err != nil {
				return err
			}
			dv, err := digestValueOf(sig)
			if err != nil {
				return err
			}
			dv.InsertChildAt(0, etree.NewComment("ssoharness"))
			return nil
		})},
	{ID: "saml.sig.reference-empty-uri", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the Assertion signed with Reference URI=\"\" (no ID), its digest computed over the Assertion alone: valid only for a verifier that takes \"\" to mean the element holding the Signature",
		Expect: Expectation{Verdict: VerdictReject,
			Note: "URI=\"\" means the whole document, over which this digest does not verify; SAML requires \"#\" + the signed element's ID"},
		References: []string{refSAMLSig, "XML-DSig Core §4.4.3.2 (URI=\"\": the document containing the Signature)"},
		Weakness:   "accepts a Reference with an empty URI as covering the element the Signature is in", Fix: "require each Signature's single Reference URI to be \"#\" + the ID of the Assertion (or Response) it is enveloped in",
		saml: samlWrapping(false, "the Assertion re-signed with Reference URI=\"\"", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			a, _, err := signedAssertion(resp)
			if err != nil {
				return err
			}
			// goxmldsig writes URI="" for an element without the ID attribute it is told to use.
			return m.resignAssertion(a, func(ctx *dsig.SigningContext) { ctx.IdAttribute = "ssoharness-no-such-attribute" })
		})},
	{ID: "saml.sig.wrong-reference", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the Response is signed, then its Signature (Reference #Response) moved into the Assertion: the Assertion's Signature references an ID that is not the Assertion's",
		Expect: Expectation{Verdict: VerdictReject,
			Note: "the Signature verifies for the element it names, but is not enveloped in it: accepting it is the bug, whoever signs in"},
		References: []string{refSAMLSig, refSomorovsky},
		Weakness:   "verifies an Assertion's Signature for whatever element its Reference names", Fix: placeFix,
		saml: samlWrapping(true, "the Response's Signature moved into the Assertion", func(m *samlMint, _ *etree.Document, resp *etree.Element) error {
			sig, a := child(resp, "Signature"), firstAssertion(resp)
			if sig == nil || a == nil {
				return fmt.Errorf("the Response is not signed or has no Assertion")
			}
			resp.RemoveChild(sig)
			at := 0
			if iss := child(a, "Issuer"); iss != nil {
				at = iss.Index() + 1
			}
			a.InsertChildAt(at, sig)
			return nil
		})},
	{ID: "saml.sig.keyvalue-only", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "signed by a key that is not in the metadata, whose KeyInfo carries only that key's ds:KeyValue (no certificate)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLRaider + " (signature spoofing)", "XML-DSig Core §4.5.2 (KeyValue)", "W3C XML Signature Best Practices §2.2 (establish trust in the key)"},
		Weakness: "verifies the signature with the key in the message's KeyInfo/KeyValue", Fix: "verify only with the certificates of the IdP metadata / the uploaded certificate; ignore KeyInfo",
		saml: func(m *samlMint, _ int) error {
			k, err := m.s.untrustedKey()
			if err != nil {
				return err
			}
			m.key, m.option = k, SignAssertion
			m.then(func(_ *etree.Document, resp *etree.Element) error {
				_, sig, err := signedAssertion(resp)
				if err != nil {
					return err
				}
				return keyValueOnly(sig, k)
			})
			m.note("signed by untrusted key %s, named in KeyInfo by its KeyValue only", k.Thumbprint())
			return nil
		}},
}
