package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
)

// TestResolveSPMetadata: a target's metadata gives the Reply URLs Entra's "Upload metadata
// file" would (HTTP-POST only, with index and isDefault), the default first in acsUrls.
func TestResolveSPMetadata(t *testing.T) {
	f := filepath.Join(t.TempDir(), "sp.xml")
	md := `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://crm.example.test/saml">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://crm.example.test/saml/slo"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://crm.example.test/saml/artifact" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://crm.example.test/saml/acs" index="1"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://crm.example.test/saml/acs2" index="2" isDefault="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`
	if err := os.WriteFile(f, []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &SAMLTarget{MetadataFile: f}
	replyURLs, err := resolveSPMetadata(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.EntityID != "https://crm.example.test/saml" || s.SLOURL != "https://crm.example.test/saml/slo" {
		t.Errorf("entity ID %q, SLO URL %q", s.EntityID, s.SLOURL)
	}
	if want := []string{"https://crm.example.test/saml/acs2", "https://crm.example.test/saml/acs"}; !slices.Equal(s.ACSURLs, want) {
		t.Errorf("acsUrls %v, want %v (no artifact ACS, the default first)", s.ACSURLs, want)
	}
	app := &idp.EnterpriseApp{}
	fillApp(app, s, replyURLs)
	if len(app.SAML.ReplyURLs) != 2 || app.SAML.DefaultReplyURL() != "https://crm.example.test/saml/acs2" ||
		app.SAML.ReplyURLs[0].Index == nil || *app.SAML.ReplyURLs[0].Index != 1 {
		t.Errorf("reply URLs %+v", app.SAML.ReplyURLs)
	}

	// Acs URLs given by the target are kept, and the app gets them as typed.
	s = &SAMLTarget{MetadataFile: f, ACSURLs: []string{"https://crm.example.test/saml/acs"}}
	if replyURLs, err = resolveSPMetadata(context.Background(), s, nil); err != nil || replyURLs != nil {
		t.Fatalf("reply URLs %v, err %v", replyURLs, err)
	}
	fillApp(app, s, replyURLs)
	if len(app.SAML.ReplyURLs) != 1 || !app.SAML.ReplyURLs[0].Default || app.SAML.ReplyURLs[0].Index != nil {
		t.Errorf("reply URLs %+v", app.SAML.ReplyURLs)
	}
}
