package refsaml

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/beevik/etree"
)

// This file holds the weak variants of issue 19's parser and comparison checks: URLs
// compared by prefix, an unsolicited Response let through when IdP-initiated sign-in is off,
// and three parser differentials, where crewjam verifies the Response as sent and the
// identity is read from the tree another parser sees: the encoding/xml round trip of
// crewjam/saml < 0.4.3 (GHSA-4hq8-gmxx-h6w9), and ruby-saml's REXML/Nokogiri split
// (DTD attribute defaults, namespace confusion).

// The weaknesses of this file (registered in weakness.go).
const (
	// DestinationPrefix accepts a Destination that starts with the ACS URL (the
	// strings.HasPrefix comparison), instead of requiring it to equal the URL the Response
	// was received at.
	DestinationPrefix Weakness = "destination-prefix"
	// RecipientPrefix accepts a SubjectConfirmationData Recipient that starts with the ACS
	// URL, instead of requiring it to equal it.
	RecipientPrefix Weakness = "recipient-prefix"
	// AcceptUnsolicited checks InResponseTo only when it is present: with IdP-initiated
	// sign-in off (Config.AllowIDPInitiated false), a Response without one is still accepted.
	// A present InResponseTo is checked as Strict checks it.
	AcceptUnsolicited Weakness = "accept-unsolicited"
	// ReadAfterRoundTrip verifies the Response as Strict does (crewjam), except that it lets
	// markup declarations (<!…>) through, then reads the identity from a re-serialised copy:
	// the Response decoded and re-encoded by Go ≤ 1.15's encoding/xml, whose directive
	// handling (CVE-2020-29510) can turn what a directive held into markup. It is the
	// parse/verify split of crewjam/saml < 0.4.3 (GHSA-4hq8-gmxx-h6w9, CVE-2020-27846).
	ReadAfterRoundTrip Weakness = "read-after-roundtrip"
	// DTDAttributeDefaults verifies the Response as Strict does (crewjam, whose parser
	// ignores a DTD), except that it lets a DOCTYPE through, then reads the identity from
	// the Response with the DTD's attribute defaults (<!ATTLIST …>) applied, as REXML does
	// and Nokogiri does not: the ruby-saml parser differential of CVE-2025-25291.
	DTDAttributeDefaults Weakness = "dtd-attribute-defaults"
	// AssertionByLocalName verifies the Response as Strict does, then reads the identity
	// from the first child of the Response named Assertion, whatever its namespace, and
	// takes it for a SAML assertion (namespace confusion, CVE-2025-25292 / CVE-2025-66567).
	AssertionByLocalName Weakness = "assertion-by-local-name"
)

// prefixURL is the URL a prefix-comparing SP treats as equal to want: got itself when it
// starts with want, else want's own. It is how DestinationPrefix and RecipientPrefix set
// crewjam's expectation to what the Response says whenever a prefix test would pass.
func prefixURL(got string, want url.URL) url.URL {
	if got != "" && strings.HasPrefix(got, want.String()) {
		if u, err := url.Parse(got); err == nil {
			return *u
		}
	}
	return want
}

// allowsUnsolicited reports whether a missing InResponseTo passes: when IdP-initiated
// sign-in is on, and for AcceptUnsolicited always.
func (s *SP) allowsUnsolicited() bool {
	return s.cfg.AllowIDPInitiated || s.weakness == AcceptUnsolicited
}

// keepsDirectives reports whether the variant lets markup declarations through as they are
// (crewjam itself parses them; the variant's reader is what reads them).
func (w Weakness) keepsDirectives() bool { return w == ReadAfterRoundTrip || w == DTDAttributeDefaults }

// readerIdentity is what a parser-differential variant signs in: the identity of the
// assertion its reader finds (read), on a tree other than the one crewjam verified. The SP
// does check, on the parse it verified (root), that the first Assertion of the Response is
// the one crewjam verified (verified); when it is not, it signs in verified's identity (in),
// so that each of these variants is weak in its differential only, not to signature
// wrapping.
func readerIdentity(root *etree.Element, verified string, in *signIn, read func() (*etree.Element, error)) (*signIn, error) {
	if first := child(root, nsAssertion, "Assertion"); first == nil || first.SelectAttrValue("ID", "") != verified {
		return in, nil
	}
	el, err := read()
	if err != nil {
		return nil, err
	}
	if el == nil {
		return nil, errors.New("the reader finds no Assertion")
	}
	a, err := unmarshalAssertion(el)
	if err != nil {
		return nil, fmt.Errorf("the assertion the reader finds: %v", err)
	}
	if a.Subject == nil || a.Subject.NameID == nil || a.Subject.NameID.Value == "" {
		return nil, errors.New("the assertion the reader finds has no NameID")
	}
	return &signIn{nameID: a.Subject.NameID.Value, attrs: attributesOf(a), session: a}, nil
}

// differentialIdentity dispatches to the reader of the variant (ReadAfterRoundTrip,
// DTDAttributeDefaults, AssertionByLocalName); other variants sign in.
func (s *SP) differentialIdentity(raw []byte, root *etree.Element, verified string, in *signIn) (*signIn, error) {
	var read func() (*etree.Element, error)
	switch s.weakness {
	case ReadAfterRoundTrip:
		read = func() (*etree.Element, error) { return firstAssertionOf(legacyRoundTrip(raw)) }
	case DTDAttributeDefaults:
		read = func() (*etree.Element, error) { return firstAssertionOf(withAttributeDefaults(raw)) }
	case AssertionByLocalName:
		read = func() (*etree.Element, error) { return assertionByLocalName(root) }
	default:
		return in, nil
	}
	return readerIdentity(root, verified, in, read)
}

// firstAssertionOf parses b and returns the first Assertion child of its root (nil when
// none).
func firstAssertionOf(b []byte) (*etree.Element, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("the Response as the reader sees it is not well-formed XML: %v", err)
	}
	if doc.Root() == nil {
		return nil, errors.New("the Response as the reader sees it is empty")
	}
	return child(doc.Root(), nsAssertion, "Assertion"), nil
}

// legacyRoundTrip rewrites each markup declaration of b as Go ≤ 1.15's encoding/xml
// Decoder and Encoder did: the body decoded with its comments dropped, re-encoded as is.
func legacyRoundTrip(b []byte) []byte {
	dirs := findDirectives(b)
	if len(dirs) == 0 {
		return b
	}
	var out bytes.Buffer
	last := 0
	for _, d := range dirs {
		out.Write(b[last:d.start])
		out.WriteString("<!")
		out.Write(legacyDirective(b[d.start+2 : d.end-1]))
		out.WriteByte('>')
		last = d.end
	}
	out.Write(b[last:])
	return out.Bytes()
}

// legacyDirective is Go ≤ 1.15's decoding of a directive body (the bytes between "<!" and
// its closing '>'), after encoding/xml's rawToken of that time: quoted '<' and '>' do not
// nest, and a "<!--…-->" comment outside quotes is removed without a trace. Go 1.16
// replaced the comment with a space, so that the '<' before and the "!--" after it no
// longer join into a new comment opener when the directive is re-encoded.
func legacyDirective(body []byte) []byte {
	var out []byte
	var quote byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '<' && bytes.HasPrefix(body[i+1:], []byte("!--")):
			end := bytes.Index(body[i+4:], []byte("-->"))
			if end < 0 {
				return append(out, body[i:]...)
			}
			i += 4 + end + 2
			continue
		}
		out = append(out, c)
	}
	return out
}

// attlist matches an attribute-list declaration of a DOCTYPE's internal subset: the element
// name and its attribute definitions.
var attlist = regexp.MustCompile(`<!ATTLIST\s+([^\s>]+)((?:\s+[^\s>]+\s+(?:CDATA|ID|IDREF|IDREFS|NMTOKEN|NMTOKENS|ENTITY|ENTITIES|\([^)]*\))\s+(?:#REQUIRED|#IMPLIED|(?:#FIXED\s+)?(?:"[^"]*"|'[^']*')))+)\s*>`)

// attdef matches one attribute definition with a default value.
var attdef = regexp.MustCompile(`([^\s>]+)\s+(?:CDATA|ID|IDREF|IDREFS|NMTOKEN|NMTOKENS|ENTITY|ENTITIES|\([^)]*\))\s+(?:#FIXED\s+)?(?:"([^"]*)"|'([^']*)')`)

// withAttributeDefaults is b with the attribute defaults its DOCTYPE declares written onto
// every element (by its name as written, prefix included) that lacks the attribute, as
// REXML reads them (its Attributes#get_attribute falls back to the doctype's
// attribute_of). The DOCTYPE itself is kept; b is returned unchanged when it declares none.
func withAttributeDefaults(b []byte) []byte {
	defaults := map[string][][2]string{}
	for _, d := range findDirectives(b) {
		for _, m := range attlist.FindAllStringSubmatch(d.text, -1) {
			for _, a := range attdef.FindAllStringSubmatch(m[2], -1) {
				defaults[m[1]] = append(defaults[m[1]], [2]string{a[1], a[2] + a[3]})
			}
		}
	}
	if len(defaults) == 0 {
		return b
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil || doc.Root() == nil {
		return b
	}
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		for _, d := range defaults[el.FullTag()] {
			if el.SelectAttr(d[0]) == nil {
				el.CreateAttr(d[0], d[1])
			}
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	walk(doc.Root())
	out, err := doc.WriteToBytes()
	if err != nil {
		return b
	}
	return out
}

// assertionByLocalName is the first child of root named Assertion in any namespace, as the
// confused reader takes it: a SAML assertion. The copy it returns has its namespace
// declarations of that element's namespace rebound to SAML's, which is what the reader
// believes it reads.
func assertionByLocalName(root *etree.Element) (*etree.Element, error) {
	for _, c := range root.ChildElements() {
		if c.Tag != "Assertion" {
			continue
		}
		ns := c.NamespaceURI()
		d, err := detach(c)
		if err != nil {
			return nil, err
		}
		if ns == nsAssertion {
			return d, nil
		}
		var rebind func(el *etree.Element)
		rebind = func(el *etree.Element) {
			for i, a := range el.Attr {
				if (a.Space == "xmlns" || a.Space == "" && a.Key == "xmlns") && a.Value == ns {
					el.Attr[i].Value = nsAssertion
				}
			}
			for _, ch := range el.ChildElements() {
				rebind(ch)
			}
		}
		rebind(d)
		return d, nil
	}
	return nil, nil
}
