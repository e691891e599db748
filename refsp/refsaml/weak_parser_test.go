package refsaml_test

import (
	"testing"

	"github.com/beevik/etree"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
)

// The variant-matrix cases of weak_parser.go's variants (issue 19: comparisons by prefix,
// unsolicited Responses, the encoding/xml round trip).
func init() {
	matrix = append(matrix,
		matrixCase{name: "Destination extends the ACS URL", mutate: func(t *testing.T, p *pair, doc *etree.Document) []byte {
			doc.Root().CreateAttr("Destination", p.sp.ACSURL()+"/other-tenant") // not signed
			return nil
		}, accept: map[refsaml.Weakness]string{refsaml.DestinationPrefix: user, refsaml.SkipDestination: user}},
		matrixCase{name: "Recipient extends the ACS URL", mutate: func(t *testing.T, p *pair, doc *etree.Document) []byte {
			assertion(doc).FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData").CreateAttr("Recipient", p.sp.ACSURL()+"/other-tenant")
			p.resign(t, doc)
			return nil
		}, accept: map[refsaml.Weakness]string{refsaml.RecipientPrefix: user, refsaml.SkipRecipient: user}},
		matrixCase{name: "unsolicited, IdP-initiated sign-in off", mutate: func(t *testing.T, p *pair, doc *etree.Document) []byte {
			doc.Root().RemoveAttr("InResponseTo")
			assertion(doc).FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData").RemoveAttr("InResponseTo")
			p.resign(t, doc)
			return nil
		}, accept: map[refsaml.Weakness]string{refsaml.AcceptUnsolicited: user, refsaml.SkipInResponseTo: user}},
		matrixCase{name: "directives hiding an assertion (encoding/xml round trip)", mutate: func(t *testing.T, p *pair, doc *etree.Document) []byte {
			a := assertion(doc)
			evil := a.Copy()
			evil.RemoveChild(first(evil, "Signature"))
			evil.CreateAttr("ID", "_evil_assertion_ID")
			evilify(evil)
			ed := etree.NewDocument()
			ed.SetRoot(evil)
			x, err := ed.WriteToString()
			if err != nil {
				t.Fatal(err)
			}
			i := a.Index()
			doc.Root().InsertChildAt(i, etree.NewDirective(` <<!-- -->!-->"--> " `))
			doc.Root().InsertChildAt(i+1, etree.NewDirective(` ">" `+x))
			return nil
		}, accept: map[refsaml.Weakness]string{refsaml.ReadAfterRoundTrip: victim}, others: orSigned},
		matrixCase{name: "DTD attribute default puts an unsigned assertion in SAML's namespace", mutate: func(t *testing.T, p *pair, doc *etree.Document) []byte {
			a := assertion(doc)
			evil := unsignedEvilCopy(a)
			evil.RemoveAttr("xmlns")
			doc.Root().InsertChildAt(a.Index(), evil)
			doc.InsertChildAt(0, etree.NewDirective(`DOCTYPE samlp:Response [<!ATTLIST Assertion xmlns CDATA "urn:oasis:names:tc:SAML:2.0:assertion">]`))
			return nil
		}, accept: map[refsaml.Weakness]string{refsaml.DTDAttributeDefaults: victim}, others: orSigned},
		matrixCase{name: "unsigned assertion in a look-alike namespace", mutate: func(t *testing.T, p *pair, doc *etree.Document) []byte {
			a := assertion(doc)
			evil := unsignedEvilCopy(a)
			evil.CreateAttr("xmlns", "urn:oasis:names:tc:SAML:2.0:assertion:lookalike")
			doc.Root().InsertChildAt(a.Index(), evil)
			return nil
		}, accept: map[refsaml.Weakness]string{refsaml.AssertionByLocalName: victim}, others: orSigned},
	)
}

// TestLegacyRoundTripDirective: Go ≤ 1.15's directive round trip, as the variant emulates
// it, turns the second directive's content into markup (the xml-roundtrip-validator's
// CVE-2020-29510 input).
func TestLegacyRoundTripDirective(t *testing.T) {
	in := `<r><! <<!-- -->!-->"--> " ><! ">" <X/>></r>`
	got := string(refsaml.LegacyRoundTrip([]byte(in)))
	if want := `<r><! <!-->"--> " ><! ">" <X/>></r>`; got != want {
		t.Fatalf("round trip:\n got %s\nwant %s", got, want)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(got); err != nil {
		t.Fatal(err)
	}
	if doc.Root().SelectElement("X") == nil {
		t.Errorf("after the round trip <X/> is not an element of <r>: %s", got)
	}
	orig := etree.NewDocument()
	if err := orig.ReadFromString(in); err != nil {
		t.Fatal(err)
	}
	if orig.Root().SelectElement("X") != nil {
		t.Errorf("before the round trip <X/> is already an element")
	}
}

// unsignedEvilCopy is an unsigned copy of the assertion a, with another ID, naming the victim.
func unsignedEvilCopy(a *etree.Element) *etree.Element {
	evil := a.Copy()
	evil.RemoveChild(first(evil, "Signature"))
	evil.CreateAttr("ID", "_evil_assertion_ID")
	evilify(evil)
	return evil
}
