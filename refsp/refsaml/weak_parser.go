package refsaml

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/beevik/etree"
)

// This file holds the weak variants of issue 19's parser and comparison checks: URLs
// compared by prefix, an unsolicited Response let through when IdP-initiated sign-in is off,
// and the encoding/xml round trip of crewjam/saml < 0.4.3 (GHSA-4hq8-gmxx-h6w9).

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
// (ReadAfterRoundTrip: crewjam itself parses them, and the round trip is what reads them).
func (w Weakness) keepsDirectives() bool { return w == ReadAfterRoundTrip }

// roundTripIdentity is what ReadAfterRoundTrip signs in: the first Assertion of the Response
// after a Go ≤ 1.15 encoding/xml round trip of raw. The SP reads "the first assertion" and
// makes sure, on the parse it verified (root), that this is the one crewjam verified
// (verified); when it is not, it signs in verified's identity (in), so that the variant is
// weak in the round trip only, not to signature wrapping. Only the directive step of the
// round trip is emulated (legacyDirective): on every other token of a Response the round
// trip of a current Go keeps the meaning, and a current encoding/xml cannot parse the
// element and attribute names whose round trip broke (syntax errors since Go 1.17).
func roundTripIdentity(raw []byte, root *etree.Element, verified string, in *signIn) (*signIn, error) {
	if first := child(root, nsAssertion, "Assertion"); first == nil || first.SelectAttrValue("ID", "") != verified {
		return in, nil
	}
	rt := legacyRoundTrip(raw)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(rt); err != nil {
		return nil, fmt.Errorf("the re-encoded Response is not well-formed XML: %v", err)
	}
	rtRoot := doc.Root()
	if rtRoot == nil {
		return nil, errors.New("the re-encoded Response is empty")
	}
	el := child(rtRoot, nsAssertion, "Assertion")
	if el == nil {
		return nil, errors.New("the re-encoded Response has no Assertion")
	}
	a, err := unmarshalAssertion(el)
	if err != nil {
		return nil, fmt.Errorf("the re-encoded assertion: %v", err)
	}
	if a.Subject == nil || a.Subject.NameID == nil || a.Subject.NameID.Value == "" {
		return nil, errors.New("the re-encoded assertion has no NameID")
	}
	return &signIn{nameID: a.Subject.NameID.Value, attrs: attributesOf(a), session: a}, nil
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
