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
	"net/url"
	"strings"

	"github.com/beevik/etree"
	xrv "github.com/mattermost/xml-roundtrip-validator"
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
	zr := flate.NewReader(bytes.NewReader(b))
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxSAMLXML+1))
	if err != nil {
		return nil, fmt.Errorf("SAMLRequest is not DEFLATE-compressed (HTTP-Redirect binding): %w", err)
	}
	if len(out) > maxSAMLXML {
		return nil, fmt.Errorf("SAMLRequest inflates beyond %d bytes", maxSAMLXML)
	}
	return out, nil
}

// ParseSAMLRequest parses a decoded SAML protocol message safely: no DOCTYPE (so no entity
// expansion or external entities), a round-trip check against the encoding/xml namespace
// bugs that enable signature bypasses, and a protocol-namespace root.
func ParseSAMLRequest(b []byte) (*samlRequest, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid XML: %w", err)
		}
		if dir, ok := tok.(xml.Directive); ok {
			return nil, fmt.Errorf("XML directives are not allowed (%.20s...)", string(dir))
		}
	}
	if err := xrv.Validate(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("XML does not round-trip: %w", err)
	}
	m := &samlRequest{raw: b}
	if err := xml.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("invalid SAML message: %w", err)
	}
	if m.XMLName.Space != nsProtocol {
		return nil, fmt.Errorf("root element {%s}%s is not a SAML 2.0 protocol message", m.XMLName.Space, m.XMLName.Local)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("invalid XML: %w", err)
	}
	m.doc = doc
	return m, nil
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
	if _, err := ctx.Validate(m.doc.Root().Copy()); err != nil {
		return errInvalidSignature(err)
	}
	return nil
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
