package idp

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"io"
	"sync"

	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// roundTrips remembers the tokens that passed xml-roundtrip-validator's check, so that the
// tokens an SP sends in every request (its Issuer, NameIDPolicy, end tags, ...) are not
// re-encoded and re-decoded each time: the check builds an encoder and a decoder per token,
// which made it the most expensive step of an AuthnRequest. CheckToken depends on nothing but
// the token, so remembering a pass changes no outcome: validate accepts exactly what
// xrv.Validate accepts, and for anything else returns xrv.Validate's own error.
type roundTrips struct {
	mu     sync.Mutex
	passed map[string]struct{}
}

// Bounds of the memory: tokens longer than maxRoundTripKey are always checked, and the set
// starts over when it holds maxRoundTripKeys.
const (
	maxRoundTripKey  = 1024
	maxRoundTripKeys = 4096
)

// validate is xrv.Validate(bytes.NewReader(b)): the same decoder settings and token stream
// (a bytes.Reader is read byte by byte like the validator's own reader), each token checked
// with xrv.CheckToken unless it passed before.
func (c *roundTrips) validate(b []byte) error {
	if c == nil {
		return xrv.Validate(bytes.NewReader(b))
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.CharsetReader = func(_ string, input io.Reader) (io.Reader, error) { return input, nil }
	var key []byte
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return xrv.Validate(bytes.NewReader(b)) // the validator's error, with its position
		}
		key = roundTripKey(key[:0], tok)
		if key != nil && c.seen(key) {
			continue
		}
		if xrv.CheckToken(tok) != nil {
			return xrv.Validate(bytes.NewReader(b))
		}
		if key != nil {
			c.add(string(key))
		}
	}
}

func (c *roundTrips) seen(key []byte) bool {
	c.mu.Lock()
	_, ok := c.passed[string(key)]
	c.mu.Unlock()
	return ok
}

func (c *roundTrips) add(key string) {
	c.mu.Lock()
	if c.passed == nil || len(c.passed) >= maxRoundTripKeys {
		c.passed = make(map[string]struct{}, 64)
	}
	c.passed[key] = struct{}{}
	c.mu.Unlock()
}

// roundTripKey encodes everything of tok that CheckToken looks at, each field
// length-prefixed so that different tokens never share a key; nil when tok is too long to
// remember or of a kind not listed.
func roundTripKey(dst []byte, tok xml.Token) []byte {
	str := func(s string) { dst = binary.AppendUvarint(dst, uint64(len(s))); dst = append(dst, s...) }
	byt := func(s []byte) { dst = binary.AppendUvarint(dst, uint64(len(s))); dst = append(dst, s...) }
	switch t := tok.(type) {
	case xml.StartElement:
		dst = append(dst, 'S')
		str(t.Name.Space)
		str(t.Name.Local)
		dst = binary.AppendUvarint(dst, uint64(len(t.Attr)))
		for _, a := range t.Attr {
			str(a.Name.Space)
			str(a.Name.Local)
			str(a.Value)
		}
	case xml.EndElement:
		dst = append(dst, 'E')
		str(t.Name.Space)
		str(t.Name.Local)
	case xml.CharData:
		dst = append(dst, 'C')
		byt(t)
	case xml.Comment:
		dst = append(dst, 'M')
		byt(t)
	case xml.ProcInst:
		dst = append(dst, 'P')
		str(t.Target)
		byt(t.Inst)
	case xml.Directive:
		dst = append(dst, 'D')
		byt(t)
	default:
		return nil
	}
	if len(dst) > maxRoundTripKey {
		return nil
	}
	return dst
}
