package idp_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssoharness/ssoharness/idp"
)

// updateGolden rewrites idp/testdata/golden/* from the current output:
//
//	go test ./idp/ -run Golden -update
var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// The frozen instant of every golden file, and the fixed directory they are built from.
var goldenNow = time.Date(2025, 6, 2, 9, 30, 15, 123_000_000, time.UTC)

const (
	goldenTenantID = "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"
	goldenAppID    = "9a4c7e1f-6b2d-4e8a-b3c5-d7e9f1a2b4c6"
	goldenACS      = "https://sp.example.test/saml/acs"
	goldenEntityID = "https://sp.example.test/saml/metadata"
	goldenRequest  = "_8e0b5c61d9a24b0f9f3a7c2e4d6b8a10"
)

// goldenKeyPath is a committed PEM file under testdata/keys (signing.* is the active
// certificate, rollover.* a second published one, as in a portal certificate rollover).
func goldenKeyPath(name string) string { return filepath.Join("testdata", "keys", name) }

// goldenConfig is a self-contained directory (it does not follow default.yaml, so that edits
// there do not churn the golden files) with one SAML app signing as option/algorithm.
func goldenConfig(option, algorithm string) *idp.Config {
	return &idp.Config{
		PublicURL: "https://login.mock.test",
		Tenants: []*idp.Tenant{{
			ID:              goldenTenantID,
			DisplayName:     "Contoso",
			VerifiedDomains: []string{"contoso.onmicrosoft.com", "contoso.com"},
			Groups:          []*idp.Group{{ID: "6a1d4e2b-8c3f-4b5a-9e7d-1f2a3b4c5d6e", DisplayName: "SSO Users"}},
			Users: []*idp.User{{
				ID:                "0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f",
				UserPrincipalName: "B.Simon@contoso.com",
				Mail:              "B.Simon@contoso.com",
				DisplayName:       "B.Simon",
				GivenName:         "B",
				Surname:           "Simon",
				Password:          "Passw0rd!",
				MemberOf:          []string{"SSO Users"},
			}},
			EnterpriseApps: []*idp.EnterpriseApp{{
				AppID:       goldenAppID,
				DisplayName: "Contoso SAML App",
				SAML: idp.SAMLSettings{
					Identifiers: []idp.Identifier{{Value: goldenEntityID}},
					ReplyURLs:   []idp.ReplyURL{{URL: goldenACS}},
					LogoutURL:   "https://sp.example.test/saml/slo",
					Signing:     idp.Signing{Option: option, Algorithm: algorithm},
					Certificates: []*idp.Certificate{
						{Active: true, CertPEM: goldenKeyPath("signing.crt"), KeyPEM: goldenKeyPath("signing.key")},
						{Publish: true, CertPEM: goldenKeyPath("rollover.crt"), KeyPEM: goldenKeyPath("rollover.key")},
					},
				},
			}},
		}},
	}
}

// goldenServer is an unstarted server (an http.Handler) with the frozen clock and seeded IDs.
func goldenServer(t testing.TB, option, algorithm string, clock *idp.Clock) (*idp.Server, *idp.Tenant, *idp.EnterpriseApp) {
	t.Helper()
	s, err := idp.New(idp.WithConfig(goldenConfig(option, algorithm)), idp.WithClock(clock), idp.WithRand(idp.NewSeededRand(1)))
	if err != nil {
		t.Fatalf("idp.New: %v", err)
	}
	tn := s.Tenant(goldenTenantID)
	if tn == nil || len(tn.EnterpriseApps) != 1 {
		t.Fatalf("golden tenant or app missing")
	}
	return s, tn, tn.EnterpriseApps[0]
}

func goldenResponse(t testing.TB, option, algorithm string, clock *idp.Clock) []byte {
	t.Helper()
	s, tn, app := goldenServer(t, option, algorithm, clock)
	resp, err := s.BuildSAMLResponse(idp.SAMLResponseInput{
		Tenant: tn, App: app, User: tn.Users[0],
		Destination: goldenACS, InResponseTo: goldenRequest,
		// The user typed the password two minutes before this request (an SSO session).
		AuthnInstant: clock.Now().Add(-2 * time.Minute),
	})
	if err != nil {
		t.Fatalf("BuildSAMLResponse: %v", err)
	}
	b, err := resp.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func goldenMetadata(t testing.TB, clock *idp.Clock) []byte {
	t.Helper()
	s, tn, app := goldenServer(t, idp.SignAssertion, idp.AlgorithmSHA256, clock)
	b, err := s.Metadata(tn, app)
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	return b
}

// checkGolden compares got with testdata/golden/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./idp/ -run Golden -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Errorf("%s differs from the golden file at byte %d (got %d bytes, want %d)\n got: …%s…\nwant: …%s…\nIf the change is intended, run `go test ./idp/ -run Golden -update` and review the diff.",
			name, i, len(got), len(want), got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
	}
}

func goldenCert(t testing.TB) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(goldenKeyPath("signing.crt"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("testdata/keys/signing.crt: no PEM block")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// goldenVerify checks the enveloped signature directly under el with goxmldsig against the
// committed certificate, and returns its SignatureMethod and DigestMethod algorithms.
func goldenVerify(t *testing.T, el *etree.Element, cert *x509.Certificate, at time.Time) (sigAlg, digestAlg string) {
	t.Helper()
	sig := el.SelectElement("Signature")
	if sig == nil {
		t.Fatalf("<%s> has no Signature child", el.Tag)
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.Clock = dsig.NewFakeClockAt(at)
	if _, err := ctx.Validate(el.Copy()); err != nil {
		t.Errorf("signature on <%s> does not verify: %v", el.Tag, err)
	}
	if sm := sig.FindElement("./SignedInfo/SignatureMethod"); sm != nil {
		sigAlg = sm.SelectAttrValue("Algorithm", "")
	}
	if dm := sig.FindElement("./SignedInfo/Reference/DigestMethod"); dm != nil {
		digestAlg = dm.SelectAttrValue("Algorithm", "")
	}
	if ref := sig.FindElement("./SignedInfo/Reference"); ref == nil || ref.SelectAttrValue("URI", "") != "#"+el.SelectAttrValue("ID", "") {
		t.Errorf("<%s> Signature Reference does not point at the element's own ID", el.Tag)
	}
	// SAML's schema (and Entra) put the Signature right after the Issuer.
	var kids []string
	for _, c := range el.ChildElements() {
		kids = append(kids, c.Tag)
	}
	if len(kids) < 2 || kids[0] != "Issuer" || kids[1] != "Signature" {
		if el.Tag != "EntityDescriptor" || len(kids) == 0 || kids[0] != "Signature" {
			t.Errorf("<%s> children %v: Signature is not in its schema position", el.Tag, kids)
		}
	}
	return sigAlg, digestAlg
}

func TestGoldenSAMLResponse(t *testing.T) {
	cert := goldenCert(t)
	cases := []struct {
		file              string
		option, algorithm string
		signedResponse    bool
		signedAssertion   bool
		wantSig, wantDig  string
	}{
		{"response-sign-assertion.xml", idp.SignAssertion, idp.AlgorithmSHA256, false, true, dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256"},
		{"response-sign-response.xml", idp.SignResponse, idp.AlgorithmSHA256, true, false, dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256"},
		{"response-sign-both.xml", idp.SignResponseAndAssertion, idp.AlgorithmSHA256, true, true, dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256"},
		{"response-sign-assertion-sha1.xml", idp.SignAssertion, idp.AlgorithmSHA1, false, true, dsig.RSASHA1SignatureMethod, "http://www.w3.org/2000/09/xmldsig#sha1"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got := goldenResponse(t, c.option, c.algorithm, idp.NewFrozenClock(goldenNow))
			// Same inputs, fresh server: the bytes must not depend on anything but the clock,
			// the seed and the key (RSA PKCS #1 v1.5 signatures are deterministic).
			if again := goldenResponse(t, c.option, c.algorithm, idp.NewFrozenClock(goldenNow)); !bytes.Equal(got, again) {
				t.Fatalf("two builds with the same clock, seed and key differ:\n%s\n%s", got, again)
			}
			checkGolden(t, c.file, got)

			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(got); err != nil {
				t.Fatal(err)
			}
			resp := doc.Root()
			if resp.Tag != "Response" || resp.Space != "samlp" {
				t.Fatalf("root is %s:%s", resp.Space, resp.Tag)
			}
			if got := resp.SelectAttrValue("IssueInstant", ""); got != "2025-06-02T09:30:15.123Z" {
				t.Errorf("Response IssueInstant %q does not come from the frozen clock", got)
			}
			a := resp.SelectElement("Assertion")
			if a == nil {
				t.Fatal("no Assertion")
			}
			if has := resp.SelectElement("Signature") != nil; has != c.signedResponse {
				t.Errorf("Response signed = %v, want %v", has, c.signedResponse)
			}
			if has := a.SelectElement("Signature") != nil; has != c.signedAssertion {
				t.Errorf("Assertion signed = %v, want %v", has, c.signedAssertion)
			}
			for _, el := range []*etree.Element{resp, a} {
				if el.SelectElement("Signature") == nil {
					continue
				}
				sigAlg, digAlg := goldenVerify(t, el, cert, goldenNow)
				if sigAlg != c.wantSig || digAlg != c.wantDig {
					t.Errorf("<%s> signed with %s / %s, want %s / %s", el.Tag, sigAlg, digAlg, c.wantSig, c.wantDig)
				}
			}
			for path, want := range map[string]string{
				"./Conditions/@NotBefore":    "2025-06-02T09:25:15.123Z",
				"./Conditions/@NotOnOrAfter": "2025-06-02T10:25:15.123Z",
				"./Subject/SubjectConfirmation/SubjectConfirmationData/@NotOnOrAfter": "2025-06-02T09:35:15.123Z",
				"./AuthnStatement/@AuthnInstant":                                      "2025-06-02T09:28:15.123Z",
			} {
				attr := path[strings.LastIndex(path, "@")+1:]
				el := a.FindElement(strings.TrimSuffix(path, "/@"+attr))
				if el == nil || el.SelectAttrValue(attr, "") != want {
					t.Errorf("%s: want %s", path, want)
				}
			}
		})
	}
}

func TestGoldenMetadata(t *testing.T) {
	got := goldenMetadata(t, idp.NewFrozenClock(goldenNow))
	if again := goldenMetadata(t, idp.NewFrozenClock(goldenNow)); !bytes.Equal(got, again) {
		t.Fatalf("two metadata builds with the same clock, seed and key differ")
	}
	checkGolden(t, "federationmetadata.xml", got)

	if !bytes.HasPrefix(got, []byte("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>")) {
		t.Errorf("metadata does not start with the UTF-8 BOM and Entra's XML declaration: %q", got[:min(len(got), 60)])
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(got, []byte("\xEF\xBB\xBF"))); err != nil {
		t.Fatal(err)
	}
	ed := doc.Root()
	if v := ed.SelectAttrValue("entityID", ""); v != "https://sts.windows.net/"+goldenTenantID+"/" {
		t.Errorf("entityID = %q", v)
	}
	sigAlg, digAlg := goldenVerify(t, ed, goldenCert(t), goldenNow)
	if sigAlg != dsig.RSASHA256SignatureMethod || digAlg != "http://www.w3.org/2001/04/xmlenc#sha256" {
		t.Errorf("metadata signed with %s / %s", sigAlg, digAlg)
	}
	// Both published certificates (active and rollover) are listed in every role.
	for _, role := range ed.ChildElements() {
		if role.Tag == "Signature" {
			continue
		}
		if n := len(role.SelectElements("KeyDescriptor")); n != 2 {
			t.Errorf("<%s %s> has %d KeyDescriptors, want 2 (active + rollover)", role.Tag, role.SelectAttrValue("xsi:type", ""), n)
		}
		// xsi:type holds a QName; exc-c14n does not see prefixes used in attribute values,
		// so signing in place once dropped xmlns:fed here and left "fed:" unbound.
		if typ := role.SelectAttrValue("xsi:type", ""); typ != "" {
			prefix, _, _ := strings.Cut(typ, ":")
			bound := false
			for e := role; e != nil; e = e.Parent() {
				if e.SelectAttr("xmlns:"+prefix) != nil {
					bound = true
				}
			}
			if !bound {
				t.Errorf("RoleDescriptor xsi:type=%q: prefix %q is not declared in scope", typ, prefix)
			}
		}
	}
	sso := ed.FindElements("./IDPSSODescriptor/SingleSignOnService")
	slo := ed.FindElements("./IDPSSODescriptor/SingleLogoutService")
	if len(sso) != 2 || len(slo) != 1 {
		t.Fatalf("IDPSSODescriptor has %d SSO and %d SLO services, want 2 and 1", len(sso), len(slo))
	}
	for _, e := range append(sso, slo...) {
		if loc := e.SelectAttrValue("Location", ""); loc != "https://login.mock.test/"+goldenTenantID+"/saml2" {
			t.Errorf("%s Location = %q", e.Tag, loc)
		}
	}
}
