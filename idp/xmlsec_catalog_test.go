package idp_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssoharness/ssoharness/idp"
)

// xmlsecIDAttrs are the elements whose ID attribute a Reference URI="#…" names.
var xmlsecIDAttrs = []string{
	"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
	"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
	"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
	"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
}

// sigCheck is what two verifiers say of one ds:Signature, in place and over the element it
// references taken out on its own (see intactDoc).
type sigCheck struct {
	where string // the Signature's parent and Reference, for messages
	// goxmldsig and xmlsec are the verdicts in place (nil: verifies); goxmldsig validates the
	// Signature's parent, xmlsec1 the element its Reference URI names.
	goxmldsig, xmlsec error
	// intactGo and intactXMLSec are the verdicts over intactDoc.
	intactGo, intactXMLSec error
}

// signatureChecks checks every ds:Signature of doc (in document order) with goxmldsig and
// xmlsec1, each given certFile or, when it is "", the certificate of the signature's own
// KeyInfo (integrity only: whether that certificate is trusted is the SP's call; for the
// untrusted and cloned keys of the catalog it is the key the signature was made with).
func signatureChecks(t *testing.T, xmlsec, certFile string, doc []byte) []sigCheck {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(bytes.TrimPrefix(doc, []byte("\xEF\xBB\xBF"))); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	sigs := elementsNamed(d.Root(), dsig.Namespace, "Signature")
	var out []sigCheck
	for i, sig := range sigs {
		parent := sig.Parent()
		ref := sig.FindElement("./SignedInfo/Reference").SelectAttrValue("URI", "")
		c := sigCheck{where: fmt.Sprintf("signature %d in <%s ID=%s> references %s", i+1, parent.Tag, parent.SelectAttrValue("ID", ""), ref)}
		certEl := sig.FindElement("./KeyInfo/X509Data/X509Certificate")
		if certEl == nil {
			t.Fatalf("%s: no certificate", c.where)
		}
		der, err := base64.StdEncoding.DecodeString(certEl.Text())
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		pemFile := certFile
		if pemFile == "" {
			pemFile = filepath.Join(dir, fmt.Sprintf("sig%d.crt", i+1))
			if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
				t.Fatal(err)
			}
		} else if b, err := os.ReadFile(certFile); err != nil {
			t.Fatal(err)
		} else if blk, _ := pem.Decode(b); blk == nil || !bytes.Equal(blk.Bytes, der) {
			t.Fatalf("%s: KeyInfo does not carry %s", c.where, certFile)
		}
		goCheck := func(el *etree.Element) error {
			vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
			vc.Clock = dsig.NewFakeClockAt(cert.NotBefore.Add(time.Hour)) // validity is not the point here
			_, err := vc.Validate(el.Copy())
			return err
		}
		c.goxmldsig = goCheck(parent)
		c.xmlsec = runXMLSec(xmlsec, pemFile, f, fmt.Sprintf("(//*[local-name()='Signature' and namespace-uri()='%s'])[%d]", dsig.Namespace, i+1))

		intact, err := intactDoc(d.Root(), sig, ref)
		if err != nil {
			c.intactGo, c.intactXMLSec = err, err
		} else {
			c.intactGo = goCheck(intact)
			x := etree.NewDocument()
			x.SetRoot(intact)
			b, err := x.WriteToBytes()
			if err != nil {
				t.Fatal(err)
			}
			g := filepath.Join(dir, fmt.Sprintf("intact%d.xml", i+1))
			if err := os.WriteFile(g, b, 0o600); err != nil {
				t.Fatal(err)
			}
			c.intactXMLSec = runXMLSec(xmlsec, pemFile, g, fmt.Sprintf("/*/*[local-name()='Signature' and namespace-uri()='%s']", dsig.Namespace))
		}
		out = append(out, c)
	}
	return out
}

// runXMLSec runs xmlsec1 --verify on the Signature that xpath selects in file.
func runXMLSec(xmlsec, certFile, file, xpath string) error {
	args := append([]string{"--verify", "--pubkey-cert-pem", certFile}, xmlsecIDAttrs...)
	args = append(args, "--node-xpath", xpath, file)
	if out, err := exec.Command(xmlsec, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// elementsNamed is every element below (and including) e with that namespace and local
// name, in document order.
func elementsNamed(e *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	if e.Tag == local && e.NamespaceURI() == ns {
		out = append(out, e)
	}
	for _, c := range e.ChildElements() {
		out = append(out, elementsNamed(c, ns, local)...)
	}
	return out
}

// intactDoc is the element sig references, on its own, signed by sig alone: a copy of it
// without any Signature child, with a copy of sig (SignedInfo, SignatureValue and KeyInfo
// only, without what a wrapping attack hid in it) after its Issuer, where it was signed.
// Of several elements with the ID (the wrapping shapes copy it), the one hidden inside the
// Signature is the signed original, else the Signature's parent, else the first.
func intactDoc(root, sig *etree.Element, ref string) (*etree.Element, error) {
	id := strings.TrimPrefix(ref, "#")
	var withID []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		if e.SelectAttrValue("ID", "") == id {
			withID = append(withID, e)
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	if len(withID) == 0 {
		return nil, fmt.Errorf("no element has ID %q", id)
	}
	target := withID[0]
	for _, e := range withID {
		if e == sig.Parent() {
			target = e
		}
	}
	for _, e := range withID {
		for p := e.Parent(); p != nil; p = p.Parent() {
			if p == sig {
				target = e
			}
		}
	}
	// A Signature moved deeper into the element it signs (saml.sig.misplaced.*) is left out
	// of the copy too, as the enveloped-signature transform leaves it out of the digest.
	if p := sig.Parent(); p != nil && p != target && isAncestorOf(target, p) {
		i := sig.Index()
		p.RemoveChild(sig)
		defer p.InsertChildAt(i, sig)
	}
	el := target.Copy()
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == dsig.Namespace {
			el.RemoveChild(c)
		}
	}
	clean := etree.NewElement(sig.FullTag())
	for _, a := range sig.Attr {
		clean.CreateAttr(a.FullKey(), a.Value)
	}
	for _, c := range sig.ChildElements() {
		if c.Tag == "SignedInfo" || c.Tag == "SignatureValue" || c.Tag == "KeyInfo" {
			clean.AddChild(c.Copy())
		}
	}
	idx := 0
	for i, c := range el.Child {
		if ce, ok := c.(*etree.Element); ok && ce.Tag == "Issuer" {
			idx = i + 1
			break
		}
	}
	el.InsertChildAt(idx, clean)
	return el, nil
}

// isAncestorOf reports whether a is e or one of its ancestors.
func isAncestorOf(a, e *etree.Element) bool {
	for ; e != nil; e = e.Parent() {
		if e == a {
			return true
		}
	}
	return false
}

// xmlsecInPlace is what xmlsec1 says, in place, of the signatures of the wrapping shapes where
// it differs from goxmldsig (a substring of its error, "" when it verifies). goxmldsig
// validates the Signature's parent and refuses a Signature that does not reference it;
// xmlsec1 follows the Reference, but refuses a document with two elements of one ID, or
// anything inside a Signature that XML-DSig does not put there. Either way the signature is
// intact over the element it references: intactDoc checks that.
var xmlsecInPlace = map[idp.FaultID]string{
	"saml.xsw.1": "duplicate ID", // the original Response (with its Assertion's ID) inside the Signature
	"saml.xsw.2": "duplicate ID", // the original Response beside the Signature
	"saml.xsw.5": "",             // the Reference names the unsigned original appended to the Response
	"saml.xsw.6": "unexpected node",
	"saml.xsw.7": "duplicate ID", // the evil copy in Extensions keeps the ID
	"saml.xsw.8": "duplicate ID", // the original inside ds:Object keeps the ID
	// xmlsec1 follows the Reference wherever the Signature is, and its enveloped-signature
	// transform removes the Signature wherever it is: where the Signature may be is the SP's
	// check, not the verifier's.
	"saml.xsw.extensions":           "",
	"saml.sig.misplaced.nameid":     "",
	"saml.sig.misplaced.object":     "",
	"saml.sig.misplaced.extensions": "",
	// libxml2 refuses a second root element; goxmldsig verifies the first.
	"saml.xml.multiple-roots": "Extra content at the end of the document",
	// xmlsec1 follows the Reference to the Response; goxmldsig validates the Assertion.
	"saml.sig.wrong-reference": "",
	// URI="" is the whole document for xmlsec1, over which the Assertion's digest fails;
	// goxmldsig takes it as the Assertion it validates (see the refsaml strict SP's check).
	"saml.sig.reference-empty-uri": "data and digest do not match",
}

// xmlsecTampered are the faults whose signature no longer verifies, even over the element it
// references, and what xmlsec1 says of it in place.
var xmlsecTampered = map[idp.FaultID]string{
	"saml.sig.tampered":         "data and digest do not match",
	"saml.sig.digest-comment":   "data and digest do not match", // the comment is not the DigestValue
	"saml.sig.multi-signedinfo": "expected=SignatureValue",      // a second SignedInfo is refused
	// Over the element intactDoc takes for URI="", neither verifies either.
	"saml.sig.reference-empty-uri": "data and digest do not match",
}

// TestXMLSecFaultCatalog mints every SAML fault of the catalog (each of its sign-ins) and
// checks each ds:Signature with xmlsec1 as well as goxmldsig: in place, the two agree (or,
// for the wrapping shapes, xmlsec1 says what xmlsecInPlace says); over the element it
// references (intactDoc), both verify it, except the tampered faults' (xmlsecTampered), which both refuse.
// saml.sig.none and the error Status carry no signature.
func TestXMLSecFaultCatalog(t *testing.T) {
	t.Parallel() // its own servers and temp files; waits on xmlsec1
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Skip("xmlsec1 is not installed (Debian/Ubuntu package xmlsec1)")
	}
	responses, signatures := 0, 0
	for _, f := range idp.Faults() {
		if f.Protocol != idp.ProtocolSAML {
			continue
		}
		t.Run(string(f.ID), func(t *testing.T) {
			if f.ID == "saml.sig.keyvalue-only" {
				t.Skip("its signature names its key by KeyValue only, no certificate to give both verifiers")
			}
			if slices.Contains(f.Requires, idp.RequiresTokenEncryption) {
				t.Skip("its signature is inside the EncryptedAssertion: TestTokenEncryptionDecrypts verifies it with xmlsec1 after decryption")
			}
			r := newFaultRig(t)
			b := r.context(t, f.ID)
			for step := range f.SignIns {
				x, _ := r.samlSignIn(t, b, step)
				responses++
				if f.ID == "saml.xml.entity-expansion" {
					// The signature covers the expanded form: verify what a parser that
					// expands the DTD's internal entity sees.
					x = expandEntity(t, x)
				}
				if strings.HasPrefix(string(f.ID), "saml.xml.roundtrip.") {
					// Markup declarations in element content are not well-formed XML:
					// libxml2 refuses the document, only Go's tokenizer takes it. The
					// signatures are checked on the document without them.
					x = withoutDirectives(t, x)
				}
				checks := signatureChecks(t, xmlsec, "", x)
				signatures += len(checks)
				unsigned := f.ID == "saml.sig.none" || f.ID == "saml.status.responder"
				if unsigned != (len(checks) == 0) {
					t.Fatalf("sign-in %d: %d signatures", step+1, len(checks))
				}
				for _, c := range checks {
					where := fmt.Sprintf("sign-in %d, %s", step+1, c.where)
					if want, ok := xmlsecInPlace[f.ID]; ok {
						if want == "" && c.xmlsec != nil || want != "" && (c.xmlsec == nil || !strings.Contains(c.xmlsec.Error(), want)) {
							t.Errorf("%s: xmlsec1 in place: %v, want %q", where, c.xmlsec, want)
						}
					} else if (c.goxmldsig == nil) != (c.xmlsec == nil) {
						t.Errorf("%s: in place, goxmldsig says %v, xmlsec1 %v", where, c.goxmldsig, c.xmlsec)
					}
					if want, ok := xmlsecTampered[f.ID]; ok {
						if c.xmlsec == nil || !strings.Contains(c.xmlsec.Error(), want) || c.intactGo == nil || c.intactXMLSec == nil {
							t.Errorf("%s: the tampered signature verifies (in place: %v; alone: %v, %v)", where, c.xmlsec, c.intactGo, c.intactXMLSec)
						}
						continue
					}
					if c.intactGo != nil || c.intactXMLSec != nil {
						t.Errorf("%s: over the element it references, goxmldsig says %v, xmlsec1 %v", where, c.intactGo, c.intactXMLSec)
					}
				}
			}
		})
	}
	t.Logf("%d fault responses, %d signatures checked with xmlsec1 and goxmldsig", responses, signatures)
}

// TestXMLSecGoldens verifies every signature of the golden files (Responses and metadata) as
// stored, with xmlsec1 and goxmldsig, against the app's signing certificate.
func TestXMLSecGoldens(t *testing.T) {
	t.Parallel() // reads the goldens; waits on xmlsec1
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Skip("xmlsec1 is not installed (Debian/Ubuntu package xmlsec1)")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.xml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("golden files: %v %v", files, err)
	}
	signatures := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		checks := signatureChecks(t, xmlsec, goldenKeyPath("signing.crt"), b)
		if len(checks) == 0 {
			t.Errorf("%s: no signature", file)
		}
		for _, c := range checks {
			if c.goxmldsig != nil || c.xmlsec != nil {
				t.Errorf("%s, %s: goxmldsig says %v, xmlsec1 %v", file, c.where, c.goxmldsig, c.xmlsec)
			}
		}
		signatures += len(checks)
	}
	t.Logf("%d golden files, %d signatures verified with xmlsec1 and goxmldsig", len(files), signatures)

	// Control: a changed NameID fails both, or the checks above would prove nothing.
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "response-sign-both.xml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(b, []byte(">B.Simon@contoso.com</NameID>"), []byte(">A.Admin@contoso.com</NameID>"), 1)
	if bytes.Equal(bad, b) {
		t.Fatal("control: NameID not found to tamper with")
	}
	for _, c := range signatureChecks(t, xmlsec, goldenKeyPath("signing.crt"), bad) {
		if c.goxmldsig == nil || c.xmlsec == nil {
			t.Errorf("control: %s verifies after the NameID was changed (goxmldsig %v, xmlsec1 %v)", c.where, c.goxmldsig, c.xmlsec)
		}
	}
}

// expandEntity replaces the reference to the one internal entity a DOCTYPE declares by its
// value and drops the DOCTYPE, as an entity-expanding parser reads the document.
func expandEntity(t *testing.T, x []byte) []byte {
	t.Helper()
	m := regexp.MustCompile(`^<!DOCTYPE [^\[]*\[<!ENTITY ([\w.-]+) "([^"]*)">\]>`).FindSubmatch(x)
	if m == nil {
		t.Fatalf("no DOCTYPE with one internal entity:\n%.300s", x)
	}
	out := bytes.Replace(x[len(m[0]):], []byte("&"+string(m[1])+";"), m[2], -1)
	return out
}

// withoutDirectives removes every markup declaration (<!…>) from x, as Go's tokenizer finds
// them.
func withoutDirectives(t *testing.T, x []byte) []byte {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(x))
	var out []byte
	last := 0
	for {
		start := int(d.InputOffset())
		tok, err := d.RawToken()
		if err == io.EOF {
			return append(out, x[last:]...)
		}
		if err != nil {
			t.Fatalf("tokenize the Response: %v", err)
		}
		if _, ok := tok.(xml.Directive); ok {
			out = append(out, x[last:start]...)
			last = int(d.InputOffset())
		}
	}
}
