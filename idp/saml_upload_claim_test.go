package idp_test

import (
	"testing"

	"github.com/ssoharness/ssoharness/idp"
)

// TestParseSPMetadataRequestsSigned: the SP's claim to sign its AuthnRequests is read from
// AuthnRequestsSigned ("true" or "1"; absent or "false" is no claim).
func TestParseSPMetadataRequestsSigned(t *testing.T) {
	for attr, want := range map[string]bool{`AuthnRequestsSigned="true"`: true, `AuthnRequestsSigned="1"`: true,
		`AuthnRequestsSigned="false"`: false, ``: false} {
		md, err := idp.ParseSPMetadata([]byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.test">
  <SPSSODescriptor ` + attr + ` protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.test/acs" index="0"/>
  </SPSSODescriptor>
</EntityDescriptor>`))
		if err != nil || md.AuthnRequestsSigned != want {
			t.Errorf("%q: AuthnRequestsSigned %v (err %v), want %v", attr, md != nil && md.AuthnRequestsSigned, err, want)
		}
	}
}
