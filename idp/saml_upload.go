package idp

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// SPMetadata is what Entra's "Upload metadata file" (Enterprise applications → Single
// sign-on → Basic SAML Configuration) takes from an SP's SAML metadata.
type SPMetadata struct {
	// EntityID is the SP's entity ID; it becomes an Identifier.
	EntityID string
	// ReplyURLs are the Locations of the HTTP-POST AssertionConsumerServices, in document
	// order without repeats, each with its index (when a number) and marked Default when
	// isDefault is "true" or "1". Entra posts its responses, so ACSs of other bindings
	// (Artifact, PAOS, Redirect) are not imported.
	ReplyURLs []ReplyURL
	// LogoutURL is the Location of the first SingleLogoutService that has one, or "".
	LogoutURL string
	// AuthnRequestsSigned is the SPSSODescriptor's AuthnRequestsSigned ("true" or "1"): the
	// SP says it signs its AuthnRequests. Entra's upload does not import it (request
	// verification is the app's own "Require verification certificates" setting); the
	// harness keeps it to hold the SP to its word (saml.request.signed).
	AuthnRequestsSigned bool
	// EncryptionCertificate is the Base64 DER X509Certificate of the SP's first
	// KeyDescriptor with use="encryption", else of its first KeyDescriptor without a use (a
	// key for both uses, SAML metadata §2.4.1.1), or "". The upload does not import it;
	// EnterpriseApp.TokenEncryptionFromMetadata does.
	EncryptionCertificate string
}

// errNotSPMetadata is returned by ParseSPMetadata for a document that is not SP metadata;
// Entra's upload refuses such a file with "Invalid metadata file".
var errNotSPMetadata = errors.New("not SP metadata (an EntityDescriptor with an entityID and an SPSSODescriptor)")

// spMetadataDoc is the part of an SP's SAML metadata that Entra's upload reads.
type spMetadataDoc struct {
	XMLName  xml.Name `xml:"EntityDescriptor"`
	EntityID string   `xml:"entityID,attr"`
	SP       *struct {
		AuthnRequestsSigned string `xml:"AuthnRequestsSigned,attr"`
		Keys                []struct {
			Use  string `xml:"use,attr"`
			Cert string `xml:"KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
		ACS []struct {
			Binding   string `xml:"Binding,attr"`
			Location  string `xml:"Location,attr"`
			Index     string `xml:"index,attr"`
			IsDefault string `xml:"isDefault,attr"`
		} `xml:"AssertionConsumerService"`
		SLO []struct {
			Binding  string `xml:"Binding,attr"`
			Location string `xml:"Location,attr"`
		} `xml:"SingleLogoutService"`
	} `xml:"SPSSODescriptor"`
}

// ParseSPMetadata reads an SP's SAML metadata (an EntityDescriptor) by the rules of Entra's
// "Upload metadata file"; see SPMetadata for what it takes. A document without an entityID
// or an SPSSODescriptor is an error ("not SP metadata"). Metadata that lists no HTTP-POST
// AssertionConsumerService gives no Reply URLs.
func ParseSPMetadata(b []byte) (*SPMetadata, error) {
	var doc spMetadataDoc
	if err := xml.Unmarshal(b, &doc); err != nil || doc.EntityID == "" || doc.SP == nil {
		return nil, errNotSPMetadata
	}
	md := &SPMetadata{EntityID: doc.EntityID, AuthnRequestsSigned: doc.SP.AuthnRequestsSigned == "true" || doc.SP.AuthnRequestsSigned == "1"}
	for _, a := range doc.SP.ACS {
		if !strings.HasSuffix(a.Binding, ":HTTP-POST") || a.Location == "" {
			continue
		}
		if slices.ContainsFunc(md.ReplyURLs, func(r ReplyURL) bool { return r.URL == a.Location }) {
			continue
		}
		r := ReplyURL{URL: a.Location, Default: a.IsDefault == "true" || a.IsDefault == "1"}
		if n, err := strconv.Atoi(a.Index); err == nil {
			r.Index = &n
		}
		md.ReplyURLs = append(md.ReplyURLs, r)
	}
	for _, use := range []string{"encryption", ""} {
		for _, k := range doc.SP.Keys {
			if c := strings.Join(strings.Fields(k.Cert), ""); k.Use == use && c != "" && md.EncryptionCertificate == "" {
				md.EncryptionCertificate = c
			}
		}
	}
	for _, l := range doc.SP.SLO {
		if l.Location != "" {
			md.LogoutURL = l.Location
			break
		}
	}
	return md, nil
}

// applyMetadataFile does what "Upload metadata file" does in the Entra admin center (see
// ParseSPMetadata): the SP's entity ID becomes an Identifier, its HTTP-POST
// AssertionConsumerService locations Reply URLs, and its first SingleLogoutService the
// Logout Url when none is set. Values already present are kept, so applying it twice
// changes nothing.
func (s *SAMLSettings) applyMetadataFile(p string) error {
	b, err := os.ReadFile(s.MetadataFile)
	if err != nil {
		return fmt.Errorf("%s.saml.metadataFile: %v", p, err)
	}
	md, err := ParseSPMetadata(b)
	if err != nil {
		return fmt.Errorf("%s.saml.metadataFile %s: %v; Entra refuses it with \"Invalid metadata file\"", p, s.MetadataFile, err)
	}
	if !slices.ContainsFunc(s.Identifiers, func(i Identifier) bool { return i.Value == md.EntityID }) {
		s.Identifiers = append(s.Identifiers, Identifier{Value: md.EntityID, Default: len(s.Identifiers) == 0})
	}
	for _, r := range md.ReplyURLs {
		if !s.hasReplyURL(r.URL) {
			s.ReplyURLs = append(s.ReplyURLs, r)
		}
	}
	if s.LogoutURL == "" {
		s.LogoutURL = md.LogoutURL
	}
	return nil
}
