package idp

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// SAML namespaces and bindings.
const (
	nsProtocol      = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion     = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMetadata      = "urn:oasis:names:tc:SAML:2.0:metadata"
	BindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// maxSAMLXML caps a decoded SAML message. Real AuthnRequests are a few KiB; the cap is what
// stops a deflate bomb from inflating without bound.
const maxSAMLXML = 256 << 10

// samlRequest is the part of an AuthnRequest / LogoutRequest the IdP reads.
type samlRequest struct {
	XMLName      xml.Name
	ID           string `xml:"ID,attr"`
	Version      string `xml:"Version,attr"`
	IssueInstant string `xml:"IssueInstant,attr"`
	Destination  string `xml:"Destination,attr"`
	// AuthnRequest
	ACSURL          string `xml:"AssertionConsumerServiceURL,attr"`
	ACSIndex        *int   `xml:"AssertionConsumerServiceIndex,attr"`
	ProtocolBinding string `xml:"ProtocolBinding,attr"`
	ForceAuthn      string `xml:"ForceAuthn,attr"`
	IsPassive       string `xml:"IsPassive,attr"`
	Issuer          string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	NameIDPolicy    *struct {
		Format          string `xml:"Format,attr"`
		SPNameQualifier string `xml:"SPNameQualifier,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol NameIDPolicy"`
	RequestedAuthnContext *struct {
		Comparison string   `xml:"Comparison,attr"`
		ClassRefs  []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion AuthnContextClassRef"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol RequestedAuthnContext"`
	Subject *struct{} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Subject"`
	Scoping *struct {
		ProxyCount  string    `xml:"ProxyCount,attr"`
		IDPList     *struct{} `xml:"urn:oasis:names:tc:SAML:2.0:protocol IDPList"`
		RequesterID []string  `xml:"urn:oasis:names:tc:SAML:2.0:protocol RequesterID"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol Scoping"`
	// LogoutRequest
	NameID       string   `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
	SessionIndex []string `xml:"urn:oasis:names:tc:SAML:2.0:protocol SessionIndex"`
	// LogoutResponse
	InResponseTo string    `xml:"InResponseTo,attr"`
	Signature    *struct{} `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`

	raw []byte
	doc *etree.Document
}

func (m *samlRequest) forceAuthn() bool { return m.ForceAuthn == "true" || m.ForceAuthn == "1" }
func (m *samlRequest) isPassive() bool  { return m.IsPassive == "true" || m.IsPassive == "1" }

// DecodeSAMLRequest decodes a SAMLRequest parameter: base64, then (for the Redirect binding)
// raw DEFLATE, capped at 256 KiB of XML. It is exported for the fuzz test and for tools.
func DecodeSAMLRequest(value string, redirect bool) ([]byte, error) {
	if len(value) > 4*maxSAMLXML {
		return nil, errors.New("SAMLRequest is too large")
	}
	// Form and query decoding may turn '+' into ' '; base64 has no spaces, so undo it.
	value = strings.ReplaceAll(strings.TrimSpace(value), " ", "+")
	b, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(value); err != nil {
			return nil, fmt.Errorf("SAMLRequest is not base64: %w", err)
		}
	}
	if !redirect {
		if len(b) > maxSAMLXML {
			return nil, errors.New("SAMLRequest is too large")
		}
		return b, nil
	}
	// Inflaters are pooled: each one allocates ~40 KB of tables, more than the rest of the
	// request's handling.
	zr, _ := inflaters.Get().(io.ReadCloser)
	if zr == nil {
		zr = flate.NewReader(bytes.NewReader(b))
	} else {
		_ = zr.(flate.Resetter).Reset(bytes.NewReader(b), nil)
	}
	defer func() { _ = zr.Close(); inflaters.Put(zr) }()
	out, err := io.ReadAll(io.LimitReader(zr, maxSAMLXML+1))
	if err != nil {
		return nil, fmt.Errorf("SAMLRequest is not DEFLATE-compressed (HTTP-Redirect binding): %w", err)
	}
	if len(out) > maxSAMLXML {
		return nil, fmt.Errorf("SAMLRequest inflates beyond %d bytes", maxSAMLXML)
	}
	return out, nil
}

// inflaters pools DEFLATE readers for DecodeSAMLRequest.
var inflaters sync.Pool

// parseSAMLRequest parses a decoded SAML protocol message safely: no DOCTYPE (so no entity
// expansion or external entities), well-formed (encoding/xml lets an attribute appear twice
// in one element; XML 1.0 §3.1 and Namespaces §6.3 do not), a round-trip check against the
// encoding/xml namespace bugs that enable signature bypasses, and a protocol-namespace root.
// rt is the server's memory of round-trip checks (nil: none).
//
// When it refuses a message it still returns what it could read of the root element's
// attributes (ID, Version, IssueInstant, Destination; nil if none), so that the sign-in log
// can show what the SP sent.
//
// This is the three passes (checks, round trip, unmarshal) the one pass of
// saml_parse_onepass.go stands for, and what it falls back to.
func parseSAMLRequestPasses(b []byte, rt *roundTrips) (*samlRequest, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	open, tooDeep := 0, false
	var root *samlRequest // the root's attributes, for a refusal
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return root, fmt.Errorf("invalid XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return root, fmt.Errorf("XML directives are not allowed (%.20s...)", string(t))
		case xml.StartElement:
			if root == nil {
				root = rootAttrs(t)
			}
			if err := uniqueAttrs(t); err != nil {
				return root, err
			}
			// etree refuses elements nested deeper than its limit; the DOM is parsed only
			// when a signature needs it (document), so its refusal is checked here.
			tooDeep = tooDeep || open >= etreeMaxDepth
			open++
		case xml.EndElement:
			open--
		}
	}
	if err := rt.validate(b); err != nil {
		return root, fmt.Errorf("XML does not round-trip: %w", err)
	}
	m := &samlRequest{raw: b}
	if err := xml.Unmarshal(b, m); err != nil {
		return root, fmt.Errorf("invalid SAML message: %w", err)
	}
	if m.XMLName.Space != nsProtocol {
		return root, fmt.Errorf("root element {%s}%s is not a SAML 2.0 protocol message", m.XMLName.Space, m.XMLName.Local)
	}
	if tooDeep {
		return root, fmt.Errorf("invalid XML: %w", etree.ErrMaxDepth)
	}
	return m, nil
}

// rootAttrs is what a refused message's log entry shows: the root element's unqualified
// attributes, the first of each name.
func rootAttrs(t xml.StartElement) *samlRequest {
	m := &samlRequest{XMLName: t.Name}
	for _, a := range slices.Backward(t.Attr) {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "ID":
			m.ID = a.Value
		case "Version":
			m.Version = a.Value
		case "IssueInstant":
			m.IssueInstant = a.Value
		case "Destination":
			m.Destination = a.Value
		}
	}
	return m
}

// uniqueAttrs refuses an element with an attribute twice: the same name, or (Namespaces in
// XML §6.3) the same local name in the same namespace under two prefixes. encoding/xml
// accepts both, and two IDs or Destinations would let the mock and the SP's library read
// different values.
func uniqueAttrs(t xml.StartElement) error {
	for i, a := range t.Attr {
		for _, b := range t.Attr[:i] {
			if a.Name == b.Name {
				name := a.Name.Local
				if a.Name.Space != "" {
					name = a.Name.Space + ":" + name
				}
				return fmt.Errorf("invalid XML: attribute %s appears twice in element %s", truncate(name, 256), truncate(t.Name.Local, 256))
			}
		}
	}
	return nil
}

// isXSID reports whether v is a valid xs:ID as written (XML Schema 2 §3.3.8: an NCName, i.e.
// an XML Name without a colon, so not starting with a digit, '-' or '.'). Whitespace is not
// collapsed: the value is echoed as InResponseTo exactly as received.
func isXSID(v string) bool {
	if v == "" {
		return false
	}
	for i, r := range v {
		if !isNameStartChar(r) && (i == 0 || !isNameChar(r)) {
			return false
		}
	}
	return true
}

// isNameStartChar is XML 1.0 (fifth edition) production [4] NameStartChar, without ':'.
func isNameStartChar(r rune) bool {
	switch {
	case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		return true
	case 0xC0 <= r && r <= 0xD6, 0xD8 <= r && r <= 0xF6, 0xF8 <= r && r <= 0x2FF,
		0x370 <= r && r <= 0x37D, 0x37F <= r && r <= 0x1FFF, 0x200C <= r && r <= 0x200D,
		0x2070 <= r && r <= 0x218F, 0x2C00 <= r && r <= 0x2FEF, 0x3001 <= r && r <= 0xD7FF,
		0xF900 <= r && r <= 0xFDCF, 0xFDF0 <= r && r <= 0xFFFD, 0x10000 <= r && r <= 0xEFFFF:
		return true
	}
	return false
}

// isNameChar is production [4a] NameChar, without ':'.
func isNameChar(r rune) bool {
	return isNameStartChar(r) || r == '-' || r == '.' || '0' <= r && r <= '9' || r == 0xB7 ||
		0x300 <= r && r <= 0x36F || 0x203F <= r && r <= 0x2040
}

// etreeMaxDepth is etree's default ReadSettings.MaxDepth: ReadFrom refuses an element with
// this many open ancestors.
const etreeMaxDepth = 1024

// document parses the message into a DOM, for signature verification. parseSAMLRequest has
// checked everything that could make this fail.
func (m *samlRequest) document() (*etree.Document, error) {
	if m.doc == nil {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(m.raw); err != nil {
			return nil, fmt.Errorf("invalid XML: %w", err)
		}
		m.doc = doc
	}
	return m.doc, nil
}

// verifyRedirectSignature checks the query-string signature of the HTTP-Redirect binding
// (SAML bindings §3.4.4.1): the signed octets are the raw, still URL-encoded
// SAMLRequest[&RelayState]&SigAlg parameters in that order.
func verifyRedirectSignature(rawQuery string, certs []*x509.Certificate, allowSHA1 bool) error {
	raw := map[string]string{}
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := raw[k]; !dup {
			raw[k] = v
		}
	}
	if raw["Signature"] == "" {
		return errUnsignedRequest()
	}
	sigAlg, err := url.QueryUnescape(raw["SigAlg"])
	if err != nil || sigAlg == "" {
		return errInvalidSignature(errors.New("SigAlg is missing"))
	}
	var hash crypto.Hash
	switch sigAlg {
	case dsig.RSASHA256SignatureMethod:
		hash = crypto.SHA256
	case dsig.RSASHA1SignatureMethod:
		if !allowSHA1 {
			return errInvalidSignature(errors.New("RSA-SHA1 request signatures are not allowed for this application"))
		}
		hash = crypto.SHA1
	default:
		return errInvalidSignature(fmt.Errorf("unsupported SigAlg %q", sigAlg))
	}
	signed := "SAMLRequest=" + raw["SAMLRequest"]
	if rs, ok := raw["RelayState"]; ok {
		signed += "&RelayState=" + rs
	}
	signed += "&SigAlg=" + raw["SigAlg"]
	sigText, err := url.QueryUnescape(raw["Signature"])
	if err != nil {
		return errInvalidSignature(err)
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil {
		return errInvalidSignature(err)
	}
	var digest []byte
	if hash == crypto.SHA1 {
		h := sha1.Sum([]byte(signed))
		digest = h[:]
	} else {
		h := sha256.Sum256([]byte(signed))
		digest = h[:]
	}
	for _, c := range certs {
		if pk, ok := c.PublicKey.(*rsa.PublicKey); ok && rsa.VerifyPKCS1v15(pk, hash, digest, sig) == nil {
			return nil
		}
	}
	return errInvalidSignature(errors.New("no verification certificate matches the signature"))
}

// verifyEmbeddedSignature checks an enveloped XML signature on the root (HTTP-POST binding).
func verifyEmbeddedSignature(m *samlRequest, certs []*x509.Certificate, allowSHA1 bool) error {
	if m.Signature == nil {
		return errUnsignedRequest()
	}
	if !allowSHA1 && strings.Contains(string(m.raw), dsig.RSASHA1SignatureMethod) {
		return errInvalidSignature(errors.New("RSA-SHA1 request signatures are not allowed for this application"))
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs})
	ctx.Clock = nil
	doc, err := m.document()
	if err != nil {
		return errInvalidSignature(err)
	}
	if _, err := ctx.Validate(doc.Root().Copy()); err != nil {
		return errInvalidSignature(err)
	}
	return nil
}

// verifyCertCache keeps each app's parsed verification certificates, so that a signed
// request does not parse PEM again. Only inline PEM is kept (keyed by the text itself): a
// certificate given as a file path is read at each request, as before, so that replacing the
// file takes effect.
type verifyCertCache struct {
	mu sync.Mutex
	m  map[*EnterpriseApp]parsedCerts
}

type parsedCerts struct {
	src   []string
	certs []*x509.Certificate
}

func (c *verifyCertCache) get(app *EnterpriseApp) ([]*x509.Certificate, error) {
	src := app.SAML.VerificationCertificates
	c.mu.Lock()
	p, ok := c.m[app]
	c.mu.Unlock()
	if ok && slices.Equal(p.src, src) {
		return p.certs, nil
	}
	certs, err := verificationCerts(&app.SAML)
	if err != nil {
		return nil, err
	}
	for _, pemText := range src {
		if !strings.Contains(pemText, "-----BEGIN") {
			return certs, nil // a file: not kept
		}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[*EnterpriseApp]parsedCerts{}
	}
	c.m[app] = parsedCerts{src: slices.Clone(src), certs: certs}
	c.mu.Unlock()
	return certs, nil
}

// verificationCerts parses an app's uploaded verification certificates.
func verificationCerts(s *SAMLSettings) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for i, c := range s.VerificationCertificates {
		cert, err := parseCertPEM(c)
		if err != nil {
			return nil, fmt.Errorf("verificationCertificates[%d]: %w", i, err)
		}
		out = append(out, cert)
	}
	return out, nil
}

// checkDestination checks an AuthnRequest's Destination, when it has one, against the
// Login URL it was sent to (SAML core §3.2.1: the recipient must check it; Entra does, with
// AADSTS75008, although its protocol page says the attribute is ignored). Good values are
// the tenant's Login URL (tenant GUID), and the URL of this request as the mock's public
// base or the Host header name it (a verified-domain path, a proxy). Scheme and host
// compare without case and without the scheme's default port (Entra lets ":443" be
// omitted or given); the path compares without case, as Entra's routes do.
func (s *Server) checkDestination(r *http.Request, t *Tenant, dest string) *Error {
	if dest == "" {
		return nil
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	expected := []string{s.LoginURL(t), s.base() + r.URL.Path, scheme + "://" + r.Host + r.URL.Path}
	got, ok := canonicalURL(dest)
	for _, e := range expected {
		if c, _ := canonicalURL(e); ok && c == got {
			return nil
		}
	}
	return errSAMLDestination(dest, strings.Join(slices.Compact(expected), ", "))
}

// canonicalURL is u with scheme, host and path lowercased and the scheme's default port
// dropped; ok is false for a URL that is not absolute http(s) or has a query or fragment.
func canonicalURL(u string) (c string, ok bool) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" || p.User != nil {
		return "", false
	}
	scheme, host, port := strings.ToLower(p.Scheme), strings.ToLower(p.Hostname()), p.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + strings.ToLower(p.EscapedPath()), true
}
