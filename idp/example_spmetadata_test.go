package idp_test

import (
	"fmt"

	"github.com/ssoharness/ssoharness/idp"
)

// ParseSPMetadata reads an SP's metadata as Entra's "Upload metadata file" does: only the
// HTTP-POST AssertionConsumerServices become Reply URLs, with their index and isDefault.
func ExampleParseSPMetadata() {
	md, err := idp.ParseSPMetadata([]byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://crm.example.test/saml">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://crm.example.test/saml/slo"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://crm.example.test/saml/artifact" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://crm.example.test/saml/acs" index="1"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://crm.example.test/saml/acs2" index="2" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`))
	if err != nil {
		panic(err)
	}
	fmt.Println("Identifier:", md.EntityID)
	for _, r := range md.ReplyURLs {
		fmt.Println("Reply URL:", r.URL, "index", *r.Index, "default", r.Default)
	}
	fmt.Println("Logout Url:", md.LogoutURL)
	_, err = idp.ParseSPMetadata([]byte(`<html>not metadata</html>`))
	fmt.Println(err)
	// Output:
	// Identifier: https://crm.example.test/saml
	// Reply URL: https://crm.example.test/saml/acs index 1 default false
	// Reply URL: https://crm.example.test/saml/acs2 index 2 default true
	// Logout Url: https://crm.example.test/saml/slo
	// not SP metadata (an EntityDescriptor with an entityID and an SPSSODescriptor)
}
