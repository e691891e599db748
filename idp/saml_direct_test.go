package idp

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// directTenantID is the tenant of the direct-writer test directory.
const directTenantID = "5d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d"

// directConfig is a directory made to stress the writer: users, claims, groups and
// identifiers with XML-special characters (&<>"'), non-ASCII text, control characters and
// empty values, and one app per signing option × algorithm × claim set.
func directConfig() *Config {
	keys := filepath.Join("testdata", "keys")
	users := []*User{
		{ID: "0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f", UserPrincipalName: "B.Simon@contoso.com", Mail: "B.Simon@contoso.com",
			DisplayName: "B.Simon", GivenName: "B", Surname: "Simon", Password: "p", MemberOf: []string{"SSO Users", `R&D <"core">`}},
		{ID: "1d6e9b3f-2a4c-4b7d-8e1f-9c3b2d4e5f60", UserPrincipalName: "obrien@contoso.com", Mail: "o'brien&sons@contoso.com",
			DisplayName: `Seán O'Brien & "Sons" <Ltd>`, GivenName: "Seán", Surname: `O'Brien > Sons`, Password: "p", MemberOf: []string{`R&D <"core">`}},
		{ID: "2e7f0c4a-3b5d-4c8e-9f2a-0d4c3e5f6a71", UserPrincipalName: "zoe@contoso.com",
			DisplayName: "Zoë Ångström 日本語 😀", GivenName: "Zoë", Surname: "Ångström", Password: "p"},
		{ID: "3f8a1d5b-4c6e-4d9f-8a3b-1e5d4f6a7b82", UserPrincipalName: "ctl@contoso.com", Mail: "ctl@contoso.com",
			DisplayName: "tab\there\nnew line", GivenName: "bad\xffbyte", Surname: "ctl\x01char\uFFFEend", Password: "p"},
		// A carriage return in a value: escaped as &#xD; when sent, or a parser would read it
		// as LF and the signature would not verify.
		{ID: "4a9b2e6c-5d7f-4e0a-9b4c-2f6e5a7b8c93", UserPrincipalName: "cr@contoso.com", Mail: "cr@contoso.com",
			DisplayName: "carriage\rreturn", Password: "p"},
	}
	claimSets := map[string][]Claim{
		"default": nil,
		"none":    {},
		"custom": {
			{Name: "emailaddress", Namespace: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims", Source: "user.mail"},
			{Name: "role", Namespace: "https://example.test/claims?a=1&b=2", Constant: `admin & "ops" <x> 'y' — ✓`},
			{Name: "displayname", Source: "user.displayname"},
			{Name: "mail-or-empty", Source: "user.mail"},
		},
	}
	t := &Tenant{
		ID: directTenantID, DisplayName: "Contoso & Co", VerifiedDomains: []string{"contoso.onmicrosoft.com", "contoso.com"},
		Groups: []*Group{
			{ID: "6a1d4e2b-8c3f-4b5a-9e7d-1f2a3b4c5d6e", DisplayName: "SSO Users"},
			{ID: "7b2e5f3c-9d4a-4c6b-8f1e-2a3b4c5d6e7f", DisplayName: `R&D <"core">`},
		},
		Users: users,
	}
	n := 0
	for _, opt := range []string{SignAssertion, SignResponse, SignResponseAndAssertion} {
		for _, alg := range []string{AlgorithmSHA256, AlgorithmSHA1} {
			for _, cs := range []string{"default", "none", "custom"} {
				n++
				app := &EnterpriseApp{
					AppID:       fmt.Sprintf("9a4c7e1f-6b2d-4e8a-b3c5-%012x", n),
					DisplayName: fmt.Sprintf("App %d %s %s %s", n, opt, alg, cs),
					SAML: SAMLSettings{
						Identifiers: []Identifier{{Value: fmt.Sprintf("https://sp%d.example.test/saml?x=1&y='2'", n)}},
						ReplyURLs:   []ReplyURL{{URL: fmt.Sprintf("https://sp%d.example.test/acs?a=1&b=<2>", n)}},
						Signing:     Signing{Option: opt, Algorithm: alg},
						Claims:      claimSets[cs],
						Certificates: []*Certificate{{Active: true, CertPEM: filepath.Join(keys, "signing.crt"),
							KeyPEM: filepath.Join(keys, "signing.key")}},
					},
				}
				switch n % 4 {
				case 0:
					app.SAML.NameID = NameIDClaim{Format: NameIDFormatPersistent}
				case 1:
					app.SAML.NameID = NameIDClaim{Format: NameIDFormatEmail, Source: "user.mail"}
				case 2:
					app.SAML.NameID = NameIDClaim{Format: NameIDFormatUnspecified, Source: "user.displayname"}
					app.SAML.GroupsClaim = &GroupsClaim{SourceAttribute: "displayName"}
				case 3:
					app.SAML.NameID = NameIDClaim{Format: NameIDFormatTransient}
					app.SAML.GroupsClaim = &GroupsClaim{}
				}
				t.EnterpriseApps = append(t.EnterpriseApps, app)
			}
		}
	}
	return &Config{PublicURL: "https://login.example.test", Tenants: []*Tenant{t}}
}

// TestDirectWriterMatchesDOM builds many responses with the direct writer (the handlers'
// path) and with the DOM path (BuildSAMLResponse, which faults edit), on two servers with the
// same clock and seed, and requires byte-identical output; independent verifiers check the
// signatures of the direct writer's bytes: goxmldsig all of them, xmlsec1 (when installed) a
// quarter, covering every app, and all that carry a TAB, LF or CR as a character reference.
func TestDirectWriterMatchesDOM(t *testing.T) {
	t.Parallel() // its own servers and temp files; waits on xmlsec1
	at := time.Date(2026, 5, 4, 10, 30, 0, 123_000_000, time.UTC)
	mk := func() *Server {
		s, err := New(WithConfig(directConfig()), WithClock(NewFrozenClock(at)), WithRand(NewSeededRand(42)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	dom, direct := mk(), mk()
	cert := dom.activeKey(dom.Tenant(directTenantID).EnterpriseApps[0]).Cert
	xmlsec, _ := exec.LookPath("xmlsec1")
	certFile := filepath.Join("testdata", "keys", "signing.crt")
	tmp := t.TempDir()

	formats := []string{"", URIPersistent, URIEmailAddress, URIUnspecified, URITransient}
	requests := []string{"", "_8e0b5c61d9a24b0f9f3a7c2e4d6b8a10", `_req&<"'>ü`, "_req\ttab\nlf\rcr"}
	td, tx := dom.Tenant(directTenantID), direct.Tenant(directTenantID)
	built, verified, xmlsecChecked := 0, 0, 0
	for ai := range td.EnterpriseApps {
		for ui := range td.Users {
			for k := 0; k < 2; k++ {
				i := built
				mkIn := func(tn *Tenant) samlResponseInput {
					in := samlResponseInput{
						Tenant: tn, App: tn.EnterpriseApps[ai], User: tn.Users[ui],
						Destination:  tn.EnterpriseApps[ai].SAML.ReplyURLs[0].URL,
						InResponseTo: requests[i%len(requests)],
						NameIDFormat: formats[(i/2)%len(formats)],
						AuthnInstant: at.Add(-time.Duration(i) * time.Second),
					}
					if i%7 == 3 {
						in.Audience, in.SessionIndex = `urn:aud&"x"`, "_s&<i>"
					}
					if i%5 == 4 {
						in.IssueInstant = at.Add(90 * time.Second)
					}
					return in
				}
				want, err := dom.BuildSAMLResponse(mkIn(td))
				if err != nil {
					t.Fatal(err)
				}
				wantBytes, err := want.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				got, gotResp, err := direct.samlResponseBytes(mkIn(tx))
				if err != nil {
					t.Fatal(err)
				}
				built++
				name := fmt.Sprintf("#%d %s / %s", i, td.EnterpriseApps[ai].DisplayName, td.Users[ui].UserPrincipalName)
				if !bytes.Equal(got, wantBytes) {
					j := 0
					for j < len(got) && j < len(wantBytes) && got[j] == wantBytes[j] {
						j++
					}
					t.Fatalf("%s: direct writer differs from the DOM path at byte %d\n got: …%s…\nwant: …%s…", name, j,
						got[max(0, j-120):min(len(got), j+120)], wantBytes[max(0, j-120):min(len(wantBytes), j+120)])
				}
				if gotResp.ResponseID != want.ResponseID || gotResp.AssertionID != want.AssertionID || gotResp.NameID != want.NameID ||
					gotResp.NameIDFormat != want.NameIDFormat || gotResp.SessionIndex != want.SessionIndex || gotResp.Signing != want.Signing {
					t.Fatalf("%s: facts differ: %+v vs %+v", name, gotResp, want)
				}
				n := directVerify(t, name, got, cert, at)
				// A quarter of them (each run of xmlsec1 costs ~30 ms), and every one with a
				// character reference (TAB, LF, CR), which a conforming parser must read back.
				if xmlsec != "" && (i%4 == 0 || bytes.Contains(got, []byte("&#x"))) {
					directXMLSec(t, name, xmlsec, certFile, filepath.Join(tmp, fmt.Sprintf("r%d.xml", i)), got)
					xmlsecChecked++
				}
				if want := map[string]int{SignAssertion: 1, SignResponse: 1, SignResponseAndAssertion: 2}[want.Signing]; n != want {
					t.Fatalf("%s: %d signatures verified, want %d", name, n, want)
				}
				verified++
			}
		}
	}
	t.Logf("%d responses byte-identical on both paths, %d verified by goxmldsig, %d by xmlsec1", built, verified, xmlsecChecked)
	if xmlsec != "" {
		// The verifier must be able to fail: a tampered response is refused.
		b, _, err := direct.samlResponseBytes(samlResponseInput{Tenant: tx, App: tx.EnterpriseApps[0], User: tx.Users[0],
			Destination: tx.EnterpriseApps[0].SAML.ReplyURLs[0].URL})
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("B.Simon@contoso.com</NameID>"), []byte("A.Simon@contoso.com</NameID>"), 1)
		f := filepath.Join(tmp, "tampered.xml")
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(xmlsec, directXMLSecArgs(certFile, "Assertion", f)...).CombinedOutput(); err == nil {
			t.Fatalf("xmlsec1 accepts a tampered assertion:\n%s", out)
		}
	}
}

// directVerify validates every Signature (of the Response and of the Assertion) with
// goxmldsig and returns how many there are.
func directVerify(t *testing.T, name string, b []byte, cert *x509.Certificate, at time.Time) int {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	n := 0
	for _, el := range []*etree.Element{doc.Root(), doc.Root().SelectElement("Assertion")} {
		if el == nil || el.SelectElement("Signature") == nil {
			continue
		}
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		ctx.Clock = dsig.NewFakeClockAt(at)
		if _, err := ctx.Validate(el.Copy()); err != nil {
			t.Fatalf("%s: goxmldsig: the signature on <%s> does not verify: %v\n%s", name, el.Tag, err, b)
		}
		n++
	}
	return n
}

func directXMLSecArgs(certFile, signed, file string) []string {
	return []string{"--verify", "--pubkey-cert-pem", certFile,
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
		"--node-xpath", "//*[local-name()='" + signed + "']/*[local-name()='Signature']", file}
}

// directXMLSec verifies each Signature with xmlsec1 (libxml2's canonicaliser, not goxmldsig's).
func directXMLSec(t *testing.T, name, xmlsec, certFile, file string, b []byte) {
	t.Helper()
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, signed := range []string{"Response", "Assertion"} {
		if !bytes.Contains(b, []byte("<"+map[string]string{"Response": "samlp:Response", "Assertion": "Assertion"}[signed])) {
			continue
		}
		doc := etree.NewDocument()
		_ = doc.ReadFromBytes(b)
		el := doc.Root()
		if signed == "Assertion" {
			el = el.SelectElement("Assertion")
		}
		if el.SelectElement("Signature") == nil {
			continue
		}
		if out, err := exec.Command(xmlsec, directXMLSecArgs(certFile, signed, file)...).CombinedOutput(); err != nil {
			t.Fatalf("%s: xmlsec1 does not verify the <%s> signature: %v\n%s", name, signed, err, out)
		}
	}
}
