package idp

import (
	"encoding/xml"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// spMetadataDoc is the part of an SP's SAML metadata that Entra's "Upload metadata file"
// (Basic SAML Configuration) reads.
type spMetadataDoc struct {
	XMLName  xml.Name `xml:"EntityDescriptor"`
	EntityID string   `xml:"entityID,attr"`
	SP       *struct {
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

// applyMetadataFile does what "Upload metadata file" does in the Entra admin center: the
// SP's entity ID becomes an Identifier, its HTTP-POST AssertionConsumerService locations
// Reply URLs (with their index; isDefault marks the default), and its first
// SingleLogoutService the Logout Url when none is set. Values already present are kept,
// so applying it twice changes nothing.
func (s *SAMLSettings) applyMetadataFile(p string) error {
	b, err := os.ReadFile(s.MetadataFile)
	if err != nil {
		return fmt.Errorf("%s.saml.metadataFile: %v", p, err)
	}
	var md spMetadataDoc
	if err := xml.Unmarshal(b, &md); err != nil || md.EntityID == "" || md.SP == nil {
		return fmt.Errorf("%s.saml.metadataFile %s: not SP metadata (an EntityDescriptor with an entityID and an SPSSODescriptor); Entra refuses it with \"Invalid metadata file\"", p, s.MetadataFile)
	}
	if !slices.ContainsFunc(s.Identifiers, func(i Identifier) bool { return i.Value == md.EntityID }) {
		s.Identifiers = append(s.Identifiers, Identifier{Value: md.EntityID, Default: len(s.Identifiers) == 0})
	}
	for _, a := range md.SP.ACS {
		if !strings.HasSuffix(a.Binding, ":HTTP-POST") || a.Location == "" {
			continue // Entra posts responses; other bindings are not imported
		}
		if s.hasReplyURL(a.Location) {
			continue
		}
		r := ReplyURL{URL: a.Location, Default: a.IsDefault == "true" || a.IsDefault == "1"}
		if n, err := strconv.Atoi(a.Index); err == nil {
			r.Index = &n
		}
		s.ReplyURLs = append(s.ReplyURLs, r)
	}
	if s.LogoutURL == "" {
		for _, l := range md.SP.SLO {
			if l.Location != "" {
				s.LogoutURL = l.Location
				break
			}
		}
	}
	return nil
}
