package idp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// "Upload metadata file" fills Identifier, Reply URL and Logout Url from the SP's metadata,
// as the RingCentral gallery tutorial describes, keeps what the admin typed, and refuses a
// file that is not SP metadata.
func TestUploadMetadataFile(t *testing.T) {
	dir := t.TempDir()
	md := `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sso.ringcentral.test">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sso.ringcentral.test/sp/SLO.saml2"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sso.ringcentral.test/sp/ART.saml2" index="1"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sso.ringcentral.test/sp/ACS.saml2" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`
	if err := os.WriteFile(filepath.Join(dir, "sp.xml"), []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgYAML := `tenants:
  - id: 11111111-2222-4333-8444-555555555555
    displayName: Contoso
    verifiedDomains: [contoso.com]
    users:
      - {id: 11111111-0000-4000-8000-000000000001, userPrincipalName: B.Simon@contoso.com, password: x}
    enterpriseApps:
      - appId: 22222222-3333-4444-8555-666666666666
        displayName: RingCentral
        saml:
          metadataFile: sp.xml
`
	path := filepath.Join(dir, "idp.yaml")
	if err := os.WriteFile(path, []byte(cfgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := cfg.Normalize(); err != nil {
			t.Fatal(err)
		}
	}
	s := cfg.Tenants[0].EnterpriseApps[0].SAML
	if len(s.Identifiers) != 1 || s.DefaultIdentifier() != "https://sso.ringcentral.test" {
		t.Errorf("identifiers %+v", s.Identifiers)
	}
	if len(s.ReplyURLs) != 1 || s.DefaultReplyURL() != "https://sso.ringcentral.test/sp/ACS.saml2" || s.ReplyURLs[0].Index == nil || *s.ReplyURLs[0].Index != 0 {
		t.Errorf("reply URLs %+v (the artifact ACS must not be imported)", s.ReplyURLs)
	}
	if s.LogoutURL != "https://sso.ringcentral.test/sp/SLO.saml2" {
		t.Errorf("logout URL %q", s.LogoutURL)
	}

	if err := os.WriteFile(filepath.Join(dir, "sp.xml"), []byte("<html>not metadata</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = LoadConfig(path)
	if err == nil {
		err = cfg.Normalize()
	}
	if err == nil || !strings.Contains(err.Error(), "saml.metadataFile") || !strings.Contains(err.Error(), "not SP metadata") {
		t.Errorf("bad metadata file: err = %v", err)
	}
}
