package idp_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

var issued = time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)

// buildResponse starts a mock with cfg (edited by edit) and a frozen clock, and builds a
// response for user to the first app.
func buildResponse(t *testing.T, edit func(cfg *idp.Config), user, requestedFormat string) (*idp.Server, *etree.Element) {
	t.Helper()
	cfg := idp.DefaultConfig()
	if edit != nil {
		edit(cfg)
	}
	srv := idptest.Start(t, idp.WithConfig(cfg), idp.WithClock(idp.NewFrozenClock(issued)))
	tenant := srv.Config().Tenants[0]
	var u *idp.User
	for _, x := range tenant.Users {
		if x.UserPrincipalName == user {
			u = x
		}
	}
	r, err := srv.BuildSAMLResponse(idp.SAMLResponseInput{Tenant: tenant, App: tenant.EnterpriseApps[0], User: u,
		Destination: "https://sp.example.test/saml/acs", InResponseTo: "_req1", NameIDFormat: requestedFormat})
	if err != nil {
		t.Fatal(err)
	}
	return srv, r.Doc.Root()
}

func attributes(resp *etree.Element) map[string][]string {
	out := map[string][]string{}
	for _, a := range resp.FindElements("./Assertion/AttributeStatement/Attribute") {
		for _, v := range a.SelectElements("AttributeValue") {
			out[a.SelectAttrValue("Name", "")] = append(out[a.SelectAttrValue("Name", "")], v.Text())
		}
	}
	return out
}

func TestSAMLDefaultClaims(t *testing.T) {
	_, resp := buildResponse(t, nil, "B.Simon@contoso.com", "")
	got := attributes(resp)
	want := map[string]string{
		idp.ClaimTenantID: "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15", idp.ClaimObjectID: "0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f",
		idp.ClaimName: "B.Simon@contoso.com", idp.ClaimSurname: "Simon", idp.ClaimGivenName: "B",
		idp.ClaimDisplayName: "B.Simon", idp.ClaimEmailAddress: "B.Simon@contoso.com",
		idp.ClaimIdentityProvider: "https://sts.windows.net/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/",
		idp.ClaimAuthnMethodsRefs: idp.AuthnMethodPassword,
	}
	if len(got) != len(want) {
		t.Fatalf("claims %v, want %v", got, want)
	}
	for k, v := range want {
		if len(got[k]) != 1 || got[k][0] != v {
			t.Errorf("%s = %v, want %q", k, got[k], v)
		}
	}
	// Order as in the captures: tenantid, objectidentifier first.
	attrs := resp.FindElements("./Assertion/AttributeStatement/Attribute")
	if attrs[0].SelectAttrValue("Name", "") != idp.ClaimTenantID || attrs[1].SelectAttrValue("Name", "") != idp.ClaimObjectID {
		t.Errorf("attribute order starts %s, %s", attrs[0].SelectAttrValue("Name", ""), attrs[1].SelectAttrValue("Name", ""))
	}
	nid := resp.FindElement("./Assertion/Subject/NameID")
	if nid.Text() != "B.Simon@contoso.com" || nid.SelectAttrValue("Format", "") != idp.URIEmailAddress {
		t.Errorf("NameID %s (%s)", nid.Text(), nid.SelectAttrValue("Format", ""))
	}
}

func TestSAMLCustomAndGroupClaims(t *testing.T) {
	_, resp := buildResponse(t, func(cfg *idp.Config) {
		s := &cfg.Tenants[0].EnterpriseApps[0].SAML
		s.Claims = []idp.Claim{{Name: "email", Source: "user.mail"}, {Name: "dept", Namespace: "https://claims.example/", Constant: "Sales"}}
		s.GroupsClaim = &idp.GroupsClaim{SourceAttribute: "displayName"}
	}, "B.Simon@contoso.com", "")
	got := attributes(resp)
	if got["email"][0] != "B.Simon@contoso.com" || got["https://claims.example/dept"][0] != "Sales" {
		t.Errorf("custom claims: %v", got)
	}
	if _, ok := got[idp.ClaimEmailAddress]; ok {
		t.Error("emailaddress sent although the claims list replaced the defaults")
	}
	if g := strings.Join(got[idp.ClaimGroups], ","); g != "SSO Users,Sales" {
		t.Errorf("groups claim %q", g)
	}
}

func TestSAMLGroupsOverage(t *testing.T) {
	for _, n := range []int{idp.SAMLGroupsLimit, idp.SAMLGroupsLimit + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			_, resp := buildResponse(t, func(cfg *idp.Config) {
				tn := cfg.Tenants[0]
				for i := range n {
					g := &idp.Group{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), DisplayName: fmt.Sprintf("g%d", i)}
					tn.Groups = append(tn.Groups, g)
					tn.Users[0].MemberOf = append(tn.Users[0].MemberOf, g.ID)
				}
				tn.Users[0].MemberOf = tn.Users[0].MemberOf[2:] // only the generated groups
				tn.EnterpriseApps[0].SAML.GroupsClaim = &idp.GroupsClaim{}
			}, "B.Simon@contoso.com", "")
			got := attributes(resp)
			if n <= idp.SAMLGroupsLimit {
				if len(got[idp.ClaimGroups]) != n || len(got[idp.ClaimGroupsLink]) != 0 {
					t.Fatalf("%d groups: got %d group values, link %v", n, len(got[idp.ClaimGroups]), got[idp.ClaimGroupsLink])
				}
				return
			}
			want := "https://graph.windows.net/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/users/0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f/getMemberObjects"
			if len(got[idp.ClaimGroups]) != 0 || len(got[idp.ClaimGroupsLink]) != 1 || got[idp.ClaimGroupsLink][0] != want {
				t.Fatalf("overage: groups %d, link %v", len(got[idp.ClaimGroups]), got[idp.ClaimGroupsLink])
			}
		})
	}
}

func TestSAMLNameIDFormats(t *testing.T) {
	_, p1 := buildResponse(t, nil, "B.Simon@contoso.com", idp.URIPersistent)
	_, p2 := buildResponse(t, nil, "B.Simon@contoso.com", idp.URIPersistent)
	n1, n2 := p1.FindElement("./Assertion/Subject/NameID"), p2.FindElement("./Assertion/Subject/NameID")
	if n1.Text() != n2.Text() || len(n1.Text()) != 43 || n1.SelectAttrValue("Format", "") != idp.URIPersistent {
		t.Errorf("persistent NameID not a stable 43-char pairwise ID: %q %q", n1.Text(), n2.Text())
	}
	_, tr := buildResponse(t, nil, "B.Simon@contoso.com", idp.URITransient)
	if n := tr.FindElement("./Assertion/Subject/NameID"); n.SelectAttrValue("Format", "") != idp.URITransient || n.Text() == n1.Text() {
		t.Errorf("transient NameID %q", n.Text())
	}
	_, ob := buildResponse(t, func(cfg *idp.Config) {
		cfg.Tenants[0].EnterpriseApps[0].SAML.NameID = idp.NameIDClaim{Format: idp.NameIDFormatUnspecified, Source: "user.objectid"}
	}, "B.Simon@contoso.com", "")
	if n := ob.FindElement("./Assertion/Subject/NameID"); n.Text() != "0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f" || n.SelectAttrValue("Format", "") != idp.URIUnspecified {
		t.Errorf("objectid NameID %q %q", n.Text(), n.SelectAttrValue("Format", ""))
	}
}

func TestSAMLTimingsAndAudience(t *testing.T) {
	_, resp := buildResponse(t, func(cfg *idp.Config) {
		cfg.Tenants[0].EnterpriseApps[0].SAML.Identifiers = []idp.Identifier{{Value: "my-app-id"}}
	}, "B.Simon@contoso.com", "")
	check := func(path, attr, want string) {
		t.Helper()
		e := resp.FindElement(path)
		if e == nil {
			t.Fatalf("no %s", path)
		}
		if got := e.SelectAttrValue(attr, ""); attr != "" && got != want {
			t.Errorf("%s/@%s = %s, want %s", path, attr, got, want)
		} else if attr == "" && e.Text() != want {
			t.Errorf("%s = %s, want %s", path, e.Text(), want)
		}
	}
	check(".", "IssueInstant", "2026-03-04T05:06:07.891Z")
	check("./Assertion/Conditions", "NotBefore", "2026-03-04T05:01:07.891Z")
	check("./Assertion/Conditions", "NotOnOrAfter", "2026-03-04T06:01:07.891Z")
	check("./Assertion/Subject/SubjectConfirmation/SubjectConfirmationData", "NotOnOrAfter", "2026-03-04T05:11:07.891Z")
	check("./Assertion/Conditions/AudienceRestriction/Audience", "", "spn:my-app-id")
	check("./Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef", "", idp.AuthnContextPassword)
	if id := resp.SelectAttrValue("ID", ""); !strings.HasPrefix(id, "_") || !idp.IsGUID(id[1:]) {
		t.Errorf("Response ID %q is not _<guid>", id)
	}

	// The docs' window instead of the captures': NotBefore = IssueInstant, +70 min.
	zero, seventy := idp.Duration(0), idp.Duration(70*time.Minute)
	_, resp = buildResponse(t, func(cfg *idp.Config) {
		cfg.SAML = idp.SAMLTimings{NotBeforeSkew: &zero, Lifetime: &seventy}
	}, "B.Simon@contoso.com", "")
	check("./Assertion/Conditions", "NotBefore", "2026-03-04T05:06:07.891Z")
	check("./Assertion/Conditions", "NotOnOrAfter", "2026-03-04T06:16:07.891Z")
}

// TestSAMLCertificates: several certificates per app — active, rollover (published),
// inactive (not published), an expired active one that still signs, so SPs' expiry handling
// can be tested.
func TestSAMLCertificates(t *testing.T) {
	srv, resp := buildResponse(t, func(cfg *idp.Config) {
		cfg.Tenants[0].EnterpriseApps[0].SAML.Certificates = []*idp.Certificate{
			{Active: true, NotBefore: idp.In(-3 * 365 * 24 * time.Hour), NotAfter: idp.In(-24 * time.Hour)},
			{Publish: true},
			{},
		}
	}, "B.Simon@contoso.com", "")
	app := srv.Config().Tenants[0].EnterpriseApps[0]
	keys := srv.AppKeys(app)
	if !keys[0].Active || keys[0].ValidAt(issued) || !keys[1].Published || keys[1].Active || keys[2].Published {
		t.Fatalf("key states: %+v %+v %+v", keys[0], keys[1], keys[2])
	}
	sigCert := resp.FindElement("./Assertion/Signature/KeyInfo/X509Data/X509Certificate").Text()
	if sigCert != keys[0].Base64() {
		t.Error("the assertion is not signed by the active (expired) certificate")
	}
	md, err := srv.Metadata(srv.Config().Tenants[0], app)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(md, []byte("\ufeff"))); err != nil {
		t.Fatal(err)
	}
	var published []string
	for _, c := range doc.FindElements("./EntityDescriptor/IDPSSODescriptor/KeyDescriptor/KeyInfo/X509Data/X509Certificate") {
		published = append(published, c.Text())
	}
	if len(published) != 2 || published[0] != keys[0].Base64() || published[1] != keys[1].Base64() {
		t.Fatalf("metadata publishes %d certificates, want the active and the rollover one", len(published))
	}
	der, _ := base64.StdEncoding.DecodeString(published[0])
	c, err := x509.ParseCertificate(der)
	if err != nil || c.Subject.CommonName != idp.DefaultCertSubject {
		t.Errorf("published cert subject %v (%v)", c, err)
	}
	// Certificate (Base64) download: PEM with CRLF line ends, the active certificate.
	resp2, err := srv.Client().Get(srv.CertificateURL(app))
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	buf := new(bytes.Buffer)
	_, _ = buf.ReadFrom(resp2.Body)
	if !bytes.Equal(buf.Bytes(), keys[0].CER()) || !strings.Contains(buf.String(), "\r\n") {
		t.Errorf("certificate download is not the active cert as Base64 .cer")
	}
}

// TestSAMLIsPassiveWithoutSession: Entra answers IsPassive with no session by posting a
// Responder/NoPassive status to the ACS.
func TestSAMLIsPassiveWithoutSession(t *testing.T) {
	srv := idptest.Start(t)
	tenant := srv.Config().Tenants[0]
	req := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_abc" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" IsPassive="true"><saml:Issuer>https://sp.example.test/saml/metadata</saml:Issuer></samlp:AuthnRequest>`
	b := idptest.NewBrowser(nil)
	p := mustPage(t)(b.Post(srv.LoginURL(tenant), url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(req))}}))
	f, ok := p.Form("")
	if !ok || f.Action != "https://sp.example.test/saml/acs" {
		t.Fatalf("no auto-post to the ACS:\n%s", p)
	}
	x, _ := base64.StdEncoding.DecodeString(f.Fields.Get("SAMLResponse"))
	for _, want := range []string{"status:Responder", "status:NoPassive", `InResponseTo="_abc"`, "AADSTS50058"} {
		if !strings.Contains(string(x), want) {
			t.Errorf("status response lacks %q:\n%s", want, x)
		}
	}
}

// TestSAMLReplyURLIndex: AssertionConsumerServiceIndex picks the Reply URL with that index;
// no ACS at all picks the default one.
func TestSAMLReplyURLIndex(t *testing.T) {
	two, one := 2, 1
	cfg := idp.DefaultConfig()
	cfg.Tenants[0].EnterpriseApps[0].SAML.ReplyURLs = []idp.ReplyURL{
		{URL: "https://sp.example.test/acs/1", Index: &one},
		{URL: "https://sp.example.test/acs/2", Index: &two, Default: true},
	}
	cfg.Tenants[0].EnterpriseApps[0].AssignmentRequired = false
	srv := idptest.Start(t, idp.WithConfig(cfg))
	tenant := srv.Config().Tenants[0]
	for _, tc := range []struct{ attr, want string }{{`AssertionConsumerServiceIndex="1"`, "/acs/1"}, {"", "/acs/2"}} {
		req := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_abc" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" ` + tc.attr + `><saml:Issuer>https://sp.example.test/saml/metadata</saml:Issuer></samlp:AuthnRequest>`
		b := idptest.NewBrowser(nil)
		p := mustPage(t)(b.Post(srv.LoginURL(tenant), url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(req))}}))
		// Type the credentials but do not follow the POST: sp.example.test does not exist.
		p = mustPage(t)(b.Submit(mustPage(t)(b.Submit(p, "email-form", map[string]string{"login": "MeganB@contoso.com"})),
			"password-form", map[string]string{"passwd": "Passw0rd!"}))
		f, ok := p.Form("")
		if !ok || !strings.HasSuffix(f.Action, tc.want) {
			t.Fatalf("%s: posted to %v, want %s", tc.attr, f, tc.want)
		}
	}
}

// TestSAMLForceAuthn: with an IdP session, a plain request is answered at once, and one with
// ForceAuthn="true" shows the sign-in page again.
func TestSAMLForceAuthn(t *testing.T) {
	cfg := idp.DefaultConfig()
	cfg.Tenants[0].EnterpriseApps[0].AssignmentRequired = false
	srv := idptest.Start(t, idp.WithConfig(cfg))
	tenant := srv.Config().Tenants[0]
	send := func(b *idptest.Browser, extra string) *idptest.Page {
		req := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_f1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" ` + extra + `><saml:Issuer>https://sp.example.test/saml/metadata</saml:Issuer></samlp:AuthnRequest>`
		return mustPage(t)(b.Post(srv.LoginURL(tenant), url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(req))}}))
	}
	b := idptest.NewBrowser(nil)
	p := mustPage(t)(b.Submit(mustPage(t)(b.Submit(send(b, ""), "email-form", map[string]string{"login": "AlexW@contoso.com"})),
		"password-form", map[string]string{"passwd": "Passw0rd!"}))
	if f, ok := p.Form(""); !ok || f.Fields.Get("SAMLResponse") == "" {
		t.Fatalf("first sign-in did not answer:\n%s", p)
	}
	if f, ok := send(b, "").Form(""); !ok || f.Fields.Get("SAMLResponse") == "" {
		t.Fatal("with a session the request was not answered at once")
	}
	if _, ok := send(b, `ForceAuthn="true"`).Form("email-form"); !ok {
		t.Fatal("ForceAuthn did not show the sign-in page")
	}
}

// TestSignInFormErrors: a sign-in post without its fields is AADSTS90014; a member of another
// tenant at a tenant-specific sign-in is AADSTS50020.
func TestSignInFormErrors(t *testing.T) {
	cfg := idp.DefaultConfig()
	cfg.Tenants = append(cfg.Tenants, &idp.Tenant{ID: "5b1c7d3e-2f4a-4b6c-8d9e-0a1b2c3d4e5f", DisplayName: "Fabrikam",
		VerifiedDomains: []string{"fabrikam.onmicrosoft.com"},
		Users:           []*idp.User{{ID: "6c2d8e4f-3a5b-4c7d-9e0f-1a2b3c4d5e6f", UserPrincipalName: "ann@fabrikam.onmicrosoft.com", Password: "x"}}})
	srv := idptest.Start(t, idp.WithConfig(cfg))
	tenant := srv.Config().Tenants[0]
	start := func(b *idptest.Browser) *idptest.Page {
		return mustPage(t)(b.Get(srv.UserAccessURL(tenant, tenant.EnterpriseApps[0])))
	}
	b := idptest.NewBrowser(nil)
	f, _ := start(b).Form("email-form")
	p := mustPage(t)(b.Post(f.Action, url.Values{"ctx": {f.Fields.Get("ctx")}, "step": {"email"}}))
	mustContain(t, p, "AADSTS90014", "The required field 'login' is missing")
	p = mustPage(t)(b.Submit(start(b), "email-form", map[string]string{"login": "B.Simon@contoso.com"}))
	f, _ = p.Form("password-form")
	f.Fields.Del("passwd")
	mustContain(t, mustPage(t)(b.Post(f.Action, f.Fields)), "AADSTS90014", "The required field 'password' is missing")
	p = mustPage(t)(b.Submit(start(b), "email-form", map[string]string{"login": "ann@fabrikam.onmicrosoft.com"}))
	mustContain(t, p, "AADSTS50020", "User account 'ann@fabrikam.onmicrosoft.com' from identity provider 'https://sts.windows.net/5b1c7d3e-2f4a-4b6c-8d9e-0a1b2c3d4e5f/' does not exist in tenant 'Contoso'", "'9a4c7e1f-6b2d-4e8a-b3c5-d7e9f1a2b4c6'(Contoso SAML App)")
}
