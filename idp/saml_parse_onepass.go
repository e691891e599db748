package idp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// An AuthnRequest was decoded three times: a token scan for the safety checks, the
// round-trip check, and xml.Unmarshal. encoding/xml is slow (the three were ~80 µs of a SAML
// sign-in), so the scan and the unmarshalling now share one pass: scanTokens hands every
// token of the scanning decoder to xml.NewTokenDecoder's unmarshalling and checks it on the
// way. The outcome and the error texts are those of parseSAMLRequestPasses, in its order
// (TestParseSAMLRequestShortcuts holds the two to the original sequence).
//
// A token decoder translates namespace prefixes again on tokens the scanner has translated
// already. That is harmless while no declared prefix can equal a translated namespace name:
// when a message declares a namespace whose name has no ':' (not an absolute URI) or a
// prefix with a ':', the three passes run instead.

// scanTokens is the token source of the one pass.
type scanTokens struct {
	d       *xml.Decoder
	open    int
	tooDeep bool
	root    *samlRequest
	done    error // io.EOF or the first error: the stream ends there
	err     error // the first check's error, as the scan of parseSAMLRequestPasses words it
	// unsure: a namespace declaration a second translation could misread.
	unsure bool
}

// Token is the scanning decoder's next token, checked.
func (s *scanTokens) Token() (xml.Token, error) {
	if s.done != nil {
		return nil, s.done
	}
	tok, err := s.d.Token()
	if err != nil {
		s.done = err
		if err != io.EOF {
			s.err = fmt.Errorf("invalid XML: %w", err)
		}
		return nil, err
	}
	switch t := tok.(type) {
	case xml.Directive:
		s.err = fmt.Errorf("XML directives are not allowed (%.20s...)", string(t))
	case xml.StartElement:
		if s.root == nil {
			s.root = rootAttrs(t)
		}
		for _, a := range t.Attr {
			if (a.Name.Space == "xmlns" && strings.Contains(a.Name.Local, ":")) ||
				((a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns")) && !strings.Contains(a.Value, ":")) {
				s.unsure = true
			}
		}
		s.err = uniqueAttrs(t)
		s.tooDeep = s.tooDeep || s.open >= etreeMaxDepth
		s.open++
	case xml.EndElement:
		s.open--
	}
	if s.err != nil {
		s.done = s.err
		return nil, s.err
	}
	return tok, nil
}

// parseSAMLRequest is parseSAMLRequestPasses in one pass where it can be (see above).
func parseSAMLRequest(b []byte, rt *roundTrips) (*samlRequest, error) {
	sc := &scanTokens{d: xml.NewDecoder(bytes.NewReader(b))}
	m := &samlRequest{raw: b}
	uerr := xml.NewTokenDecoder(sc).Decode(m)
	for sc.done == nil { // the rest of the message, after the root or an unmarshalling error
		_, _ = sc.Token()
	}
	if sc.unsure {
		return parseSAMLRequestPasses(b, rt)
	}
	if sc.err != nil {
		return sc.root, sc.err
	}
	if err := rt.validate(b); err != nil {
		return sc.root, fmt.Errorf("XML does not round-trip: %w", err)
	}
	if uerr != nil {
		return sc.root, fmt.Errorf("invalid SAML message: %w", uerr)
	}
	if m.XMLName.Space != nsProtocol {
		return sc.root, fmt.Errorf("root element {%s}%s is not a SAML 2.0 protocol message", m.XMLName.Space, m.XMLName.Local)
	}
	if sc.tooDeep {
		return sc.root, fmt.Errorf("invalid XML: %w", etree.ErrMaxDepth)
	}
	return m, nil
}
