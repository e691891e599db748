package idp

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// escTenantID is the tenant of the whitespace-escaping tests.
const escTenantID = "6e3d2c1b-0a9f-4b8c-9d7e-6f5a4b3c2d1e"

// escCase puts one whitespace character into one place of a Response: text (a claim value,
// the NameID), where a parser reads a raw CR as LF, or an attribute (a claim name, the
// InResponseTo), where it reads a raw TAB, LF or CR as a space.
type escCase struct {
	name                                        string
	claimValue, claimName, nameID, inResponseTo string
}

// escCases are the 14 values that were sent raw but digested escaped: before the sent form
// escaped them, xmlsec1 refused the 10 with a CR in text or any of TAB/LF/CR in an
// attribute (TAB and LF in text are read back as written, and verified all along).
var escCases = []escCase{
	{name: "claim-value-TAB", claimValue: "a\tb"},
	{name: "claim-value-LF", claimValue: "a\nb"},
	{name: "claim-value-CR", claimValue: "a\rb"},
	{name: "claim-value-CRLF", claimValue: "a\r\nb"},
	{name: "nameid-TAB", nameID: "B\tSimon"},
	{name: "nameid-LF", nameID: "B\nSimon"},
	{name: "nameid-CR", nameID: "B\rSimon"},
	{name: "claim-name-TAB", claimName: "na\tme"},
	{name: "claim-name-LF", claimName: "na\nme"},
	{name: "claim-name-CR", claimName: "na\rme"},
	{name: "inresponseto-TAB", inResponseTo: "_req\tid"},
	{name: "inresponseto-LF", inResponseTo: "_req\nid"},
	{name: "inresponseto-CR", inResponseTo: "_req\rid"},
	{name: "inresponseto-CRLF", inResponseTo: "_req\r\nid"},
}

// escConfig is a one-user, one-app directory carrying c's value. The app signs Response and
// Assertion, so both signatures are checked; with slo it also signs LogoutResponses.
func escConfig(c escCase, slo bool) *Config {
	keys := filepath.Join("testdata", "keys")
	display := "B.Simon"
	if c.nameID != "" {
		display = c.nameID
	}
	claims := []Claim{{Name: "note", Namespace: "https://example.test/claims", Constant: "plain"}}
	if c.claimValue != "" {
		claims[0].Constant = c.claimValue
	}
	if c.claimName != "" {
		claims[0].Name = c.claimName
	}
	app := &EnterpriseApp{
		AppID: "8b3c6d2e-5f1a-4c7b-9e2d-3a4b5c6d7e8f", DisplayName: "Escapes",
		SAML: SAMLSettings{
			Identifiers: []Identifier{{Value: "https://sp.example.test/saml/metadata"}},
			ReplyURLs:   []ReplyURL{{URL: "https://sp.example.test/saml/acs"}},
			LogoutURL:   "https://sp.example.test/saml/slo",
			Signing:     Signing{Option: SignResponseAndAssertion, Algorithm: AlgorithmSHA256},
			NameID:      NameIDClaim{Format: NameIDFormatUnspecified, Source: "user.displayname"},
			Claims:      claims,
			Certificates: []*Certificate{{Active: true, CertPEM: filepath.Join(keys, "signing.crt"),
				KeyPEM: filepath.Join(keys, "signing.key")}},
			SignLogoutResponse: slo,
		},
	}
	return &Config{PublicURL: "https://login.example.test", Tenants: []*Tenant{{
		ID: escTenantID, DisplayName: "Contoso", VerifiedDomains: []string{"contoso.com"},
		Users: []*User{{ID: "0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f", UserPrincipalName: "B.Simon@contoso.com",
			Mail: "B.Simon@contoso.com", DisplayName: display, Password: "p"}},
		EnterpriseApps: []*EnterpriseApp{app},
	}}}
}

// escXMLSec is the xmlsec1 command, or a skip when it is not installed.
func escXMLSec(t *testing.T) string {
	t.Helper()
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Skip("xmlsec1 is not installed (Debian/Ubuntu package xmlsec1)")
	}
	return xmlsec
}

// TestEscapedWhitespaceVerifies: each of the 14 values is sent escaped as the canonical form
// escapes it, so that the direct writer and the DOM path still make identical bytes, a
// parser reads back the value that was signed, and both signatures verify with goxmldsig and
// with xmlsec1 (libxml2, which normalises as the XML spec says).
func TestEscapedWhitespaceVerifies(t *testing.T) {
	t.Parallel() // its own servers and temp files; waits on xmlsec1
	xmlsec := escXMLSec(t)
	at := time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC)
	certFile := filepath.Join("testdata", "keys", "signing.crt")
	for _, c := range escCases {
		t.Run(c.name, func(t *testing.T) {
			mk := func() (*Server, samlResponseInput) {
				s, err := New(WithConfig(escConfig(c, false)), WithClock(NewFrozenClock(at)), WithRand(NewSeededRand(5)), WithKeyGenerator(pooledTestKeys()))
				if err != nil {
					t.Fatal(err)
				}
				tn := s.Tenant(escTenantID)
				app := tn.EnterpriseApps[0]
				return s, samlResponseInput{Tenant: tn, App: app, User: tn.Users[0],
					Destination: app.SAML.ReplyURLs[0].URL, InResponseTo: c.inResponseTo}
			}
			dom, in := mk()
			resp, err := dom.BuildSAMLResponse(in)
			if err != nil {
				t.Fatal(err)
			}
			domBytes, err := resp.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			direct, in := mk()
			directBytes, _, err := direct.samlResponseBytes(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(domBytes, directBytes) {
				t.Fatalf("the DOM path and the direct writer differ:\n%s\n%s", domBytes, directBytes)
			}
			// One check covers both paths: their bytes are equal.
			b := directBytes
			if bytes.ContainsRune(b, '\r') { // TAB and LF are read back as written in text
				t.Fatalf("a raw CR is sent:\n%q", b)
			}
			escReadBack(t, b, c)
			if n := directVerify(t, c.name, b, direct.activeKey(in.App).Cert, at); n != 2 {
				t.Fatalf("goxmldsig verified %d signatures, want 2", n)
			}
			escXMLSecCount(t, xmlsec, certFile, b, 2)
		})
	}
}

// escReadBack parses b and requires the values c put in to come back as they were.
func escReadBack(t *testing.T, b []byte, c escCase) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	check := func(what, got, want string) {
		if got != want {
			t.Errorf("%s reads back as %q, want %q", what, got, want)
		}
	}
	if c.inResponseTo != "" {
		check("Response/@InResponseTo", root.SelectAttrValue("InResponseTo", ""), c.inResponseTo)
		check("SubjectConfirmationData/@InResponseTo",
			root.FindElement("./Assertion/Subject/SubjectConfirmation/SubjectConfirmationData").SelectAttrValue("InResponseTo", ""), c.inResponseTo)
	}
	if c.nameID != "" {
		check("NameID", root.FindElement("./Assertion/Subject/NameID").Text(), c.nameID)
	}
	name, value := "https://example.test/claims/note", "plain"
	if c.claimName != "" {
		name = "https://example.test/claims/" + c.claimName
	}
	if c.claimValue != "" {
		value = c.claimValue
	}
	found := false
	for _, a := range root.FindElements("./Assertion/AttributeStatement/Attribute") {
		if a.SelectAttrValue("Name", "") == name {
			found = true
			check("AttributeValue", a.SelectElement("AttributeValue").Text(), value)
		}
	}
	if !found {
		t.Errorf("no Attribute named %q", name)
	}
}

// escXMLSecCount requires n Signatures in b and runs xmlsec1 on each, selected by position,
// so that no signature goes unchecked whatever its parent's name.
func escXMLSecCount(t *testing.T, xmlsec, certFile string, b []byte, n int) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	got := bytes.Count(b, []byte("<Signature "))
	if got != n {
		t.Fatalf("%d signatures, want %d", got, n)
	}
	for i := 1; i <= n; i++ {
		xp := fmt.Sprintf("(//*[local-name()='Signature' and namespace-uri()='%s'])[%d]", nsDSig, i)
		args := []string{"--verify", "--pubkey-cert-pem", certFile,
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
			"--node-xpath", xp, f}
		if out, err := exec.Command(xmlsec, args...).CombinedOutput(); err != nil {
			t.Fatalf("xmlsec1 does not verify signature %d: %v\n%s\n%s", i, err, out, b)
		}
	}
}

// escSLOCases are the InResponseTo values (a LogoutRequest's ID, sent by the SP as character
// references) and an Issuer with a CR, each of which a signed LogoutResponse carries.
var escSLOCases = []struct{ name, requestID, issuer string }{
	{name: "inresponseto-TAB", requestID: "_lr\tid"},
	{name: "inresponseto-LF", requestID: "_lr\nid"},
	{name: "inresponseto-CR", requestID: "_lr\rid"},
	{name: "inresponseto-CRLF", requestID: "_lr\r\nid"},
	{name: "issuer-CR", requestID: "_lr", issuer: "https://issuer.example.test/\rx"},
}

// TestEscapedWhitespaceVerifiesSLO: a signed LogoutResponse echoing a LogoutRequest ID with
// TAB, LF or CR (or an Issuer with a CR) verifies with goxmldsig and xmlsec1, and carries the
// ID back unchanged.
func TestEscapedWhitespaceVerifiesSLO(t *testing.T) {
	xmlsec := escXMLSec(t)
	at := time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC)
	certFile := filepath.Join("testdata", "keys", "signing.crt")
	for _, c := range escSLOCases {
		t.Run(c.name, func(t *testing.T) {
			cfg := escConfig(escCase{}, true)
			cfg.Tenants[0].EnterpriseApps[0].SAML.LogoutResponseIssuer = c.issuer
			s, err := New(WithConfig(cfg), WithClock(NewFrozenClock(at)), WithRand(NewSeededRand(5)), WithKeyGenerator(pooledTestKeys()))
			if err != nil {
				t.Fatal(err)
			}
			var id strings.Builder
			for _, r := range c.requestID {
				if r < 0x20 {
					fmt.Fprintf(&id, "&#x%X;", r) // as an SP's serialiser writes them
					continue
				}
				id.WriteRune(r)
			}
			req := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="` +
				id.String() + `" Version="2.0" IssueInstant="2026-05-04T10:30:00Z"><saml:Issuer>https://sp.example.test/saml/metadata</saml:Issuer>` +
				`<saml:NameID>B.Simon@contoso.com</saml:NameID></samlp:LogoutRequest>`
			var buf bytes.Buffer
			fw, _ := flate.NewWriter(&buf, flate.BestCompression)
			_, _ = fw.Write([]byte(req))
			_ = fw.Close()
			u := "/" + escTenantID + "/saml2?" + url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}}.Encode()
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
			if rec.Code != http.StatusFound {
				t.Fatalf("status %d, want a redirect:\n%s", rec.Code, rec.Body)
			}
			loc, err := url.Parse(rec.Header().Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLResponse"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.ContainsAny(b, "\t\r") { // nothing here has a TAB or CR in text
				t.Fatalf("a raw TAB or CR is sent:\n%q", b)
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(b); err != nil {
				t.Fatal(err)
			}
			if got := doc.Root().SelectAttrValue("InResponseTo", ""); got != c.requestID {
				t.Errorf("InResponseTo reads back as %q, want %q", got, c.requestID)
			}
			cert := s.activeKey(s.Tenant(escTenantID).EnterpriseApps[0]).Cert
			if n := directVerify(t, c.name, b, cert, at); n != 1 {
				t.Fatalf("goxmldsig verified %d signatures, want 1", n)
			}
			escXMLSecCount(t, xmlsec, certFile, b, 1)
		})
	}
}

// TestXMLEscapeStatus: the unsigned error Response escapes attribute whitespace (its
// InResponseTo must read back as the request's ID) and CR in its StatusMessage text.
func TestXMLEscapeStatus(t *testing.T) {
	if got, want := xmlEscapeAttr("_r\tq\nr\r&\"<>'"), `_r&#x9;q&#xA;r&#xD;&amp;&quot;&lt;&gt;'`; got != want {
		t.Errorf("xmlEscapeAttr: %s, want %s", got, want)
	}
	if got, want := xmlEscape("a\tb\r\nc"), "a\tb&#xD;\nc"; got != want {
		t.Errorf("xmlEscape: %q, want %q", got, want)
	}
}

// TestWriteXMLMatchesEtree: writeXML writes what etree writes (tokens of every kind, the
// characters it escapes or replaces), but for TAB/LF/CR in attributes and CR in text.
func TestWriteXMLMatchesEtree(t *testing.T) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
	doc.CreateDirective(`DOCTYPE r [<!ENTITY e "x">]`)
	r := doc.CreateElement("p:r")
	r.CreateAttr("xmlns:p", "urn:x")
	r.CreateAttr("a", `&<>"' ü 😀 bad\xffbyte ctl`+"\x01"+`end`)
	r.CreateElement("empty")
	c := r.CreateElement("p:c")
	c.CreateAttr("p:b", "")
	c.SetText(`text &<>"' ü bad` + "\xff\x01\uFFFE" + " tab\tlf\n")
	c.CreateComment(" a comment ")
	c.CreateCData("cdata ]]> split")
	c.CreateText("after")
	want, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if got := writeXML(doc); !bytes.Equal(got, want) {
		t.Fatalf("writeXML differs from etree:\n got %q\nwant %q", got, want)
	}
	r.CreateAttr("ws", "t\tl\nc\r")
	c.CreateText("cr\r")
	if want, err = doc.WriteToBytes(); err != nil {
		t.Fatal(err)
	}
	want = bytes.Replace(want, []byte("t\tl\nc\r"), []byte("t&#x9;l&#xA;c&#xD;"), 1)
	want = bytes.Replace(want, []byte("cr\r"), []byte("cr&#xD;"), 1)
	if got := writeXML(doc); !bytes.Equal(got, want) {
		t.Fatalf("writeXML escapes whitespace differently:\n got %q\nwant %q", got, want)
	}
}
