package idp_test

import (
	"bytes"
	"compress/flate"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// encryptedResponse builds the Response of an app that encrypts to the test SP's
// certificate, with the signing option and cipher given.
func encryptedResponse(t *testing.T, option, method string) (b []byte, srv *idp.Server, spKey *rsa.PrivateKey, spCert *x509.Certificate) {
	t.Helper()
	spKey, spCert = spCredentials(t)
	cfg := idp.DefaultConfig()
	cfg.Tenants[0].EnterpriseApps[0].SAML.Signing.Option = option
	srv = idptest.Start(t, idp.WithConfig(cfg), idp.WithTokenEncryption(spCert, method))
	tn := srv.Config().Tenants[0]
	app := tn.EnterpriseApps[0]
	resp, err := srv.BuildSAMLResponse(idp.SAMLResponseInput{Tenant: tn, App: app, User: tn.Users[0],
		Destination: app.SAML.ReplyURLs[0].URL, InResponseTo: "_req1"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Encryption == nil || resp.Encryption.Thumbprint() == "" {
		t.Fatalf("the Response does not say it was encrypted: %+v", resp)
	}
	b, _ = resp.Bytes()
	return b, srv, spKey, spCert
}

// TestTokenEncryptionDecrypts checks the EncryptedAssertion of every signing option and both
// ciphers with independent implementations: xmlsec1 (libxmlsec1/OpenSSL, what mellon and
// many SPs use) decrypts it and verifies the inner Assertion signature and the Response
// signature over the EncryptedAssertion; crewjam/saml's xmlenc decrypts the AES-256-CBC
// ones (it registers no aes256-gcm decrypter) and goxmldsig verifies the decrypted
// Assertion's signature.
func TestTokenEncryptionDecrypts(t *testing.T) {
	xmlsec, xerr := exec.LookPath("xmlsec1")
	if xerr != nil && os.Getenv("CI") == "true" {
		t.Fatal("xmlsec1 is required in CI: ", xerr)
	}
	for _, option := range []string{idp.SignAssertion, idp.SignResponse, idp.SignResponseAndAssertion} {
		for _, method := range []string{"", "aes256-gcm"} {
			name := option + "/" + map[string]string{"": "aes256-cbc"}[method] + method
			t.Run(name, func(t *testing.T) {
				b, srv, key, cert := encryptedResponse(t, option, method)
				tn := srv.Config().Tenants[0]
				idpCert := srv.AppKeys(tn.EnterpriseApps[0])[0].Cert
				wantAlg := idp.EncryptionAES256CBC
				if method != "" {
					wantAlg = idp.EncryptionAES256GCM
				}
				doc := etree.NewDocument()
				if err := doc.ReadFromBytes(b); err != nil {
					t.Fatal(err)
				}
				root := doc.Root()
				if root.SelectElement("Assertion") != nil || bytes.Contains(b, []byte("B.Simon")) {
					t.Fatalf("the assertion is in the clear:\n%s", b)
				}
				ed := root.FindElement("./EncryptedAssertion/EncryptedData")
				if ed == nil || ed.SelectAttrValue("Type", "") != "http://www.w3.org/2001/04/xmlenc#Element" ||
					ed.FindElement("./EncryptionMethod").SelectAttrValue("Algorithm", "") != wantAlg {
					t.Fatalf("EncryptedData:\n%s", b)
				}
				ek := ed.FindElement("./KeyInfo/EncryptedKey")
				if ek == nil || ek.FindElement("./EncryptionMethod").SelectAttrValue("Algorithm", "") != idp.KeyTransportRSAOAEP ||
					ek.FindElement("./EncryptionMethod/DigestMethod").SelectAttrValue("Algorithm", "") != "http://www.w3.org/2000/09/xmldsig#sha1" ||
					ek.FindElement("./KeyInfo/X509Data/X509Certificate").Text() != base64.StdEncoding.EncodeToString(cert.Raw) {
					t.Fatalf("EncryptedKey (want rsa-oaep-mgf1p, SHA-1, the SP's certificate):\n%s", b)
				}
				signedResp := option != idp.SignAssertion
				if (root.SelectElement("Signature") != nil) != signedResp {
					t.Fatalf("Response signature present = %v for %s", !signedResp, option)
				}
				if signedResp {
					verifyGoxmldsig(t, root, idpCert)
				}

				// crewjam/saml's xmlenc (CBC only) and goxmldsig on the decrypted Assertion.
				if method == "" {
					plain, err := xmlenc.Decrypt(key, ed.Copy())
					if err != nil {
						t.Fatalf("crewjam xmlenc: %v", err)
					}
					checkDecrypted(t, plain, option, idpCert)
				} else if _, err := xmlenc.Decrypt(key, ed.Copy()); err == nil {
					t.Log("crewjam xmlenc now decrypts aes256-gcm: make it an oracle here")
				}
				if xmlsec == "" {
					t.Skip("xmlsec1 not installed: ", xerr)
				}
				dir := t.TempDir()
				write := func(name string, b []byte) string {
					p := filepath.Join(dir, name)
					if err := os.WriteFile(p, b, 0o600); err != nil {
						t.Fatal(err)
					}
					return p
				}
				keyFile := write("sp.key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
				idpCertFile := write("idp.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idpCert.Raw}))
				encFile := write("encrypted.xml", b)
				if signedResp {
					if out, err := exec.Command(xmlsec, encXMLSecArgs(idpCertFile, "Response", encFile)...).CombinedOutput(); err != nil {
						t.Fatalf("xmlsec1 does not verify the Response signature over the EncryptedAssertion: %v\n%s", err, out)
					}
				}
				dec, err := exec.Command(xmlsec, "--decrypt", "--privkey-pem", keyFile, encFile).Output()
				if err != nil {
					t.Fatalf("xmlsec1 --decrypt: %v", err)
				}
				if !bytes.Contains(dec, []byte("<Assertion")) || bytes.Contains(dec, []byte("EncryptedData")) {
					t.Fatalf("xmlsec1 --decrypt gave:\n%.1000s", dec)
				}
				ddoc := etree.NewDocument()
				if err := ddoc.ReadFromBytes(dec); err != nil {
					t.Fatal(err)
				}
				a := ddoc.Root().FindElement("./EncryptedAssertion/Assertion")
				var ab bytes.Buffer
				d := etree.NewDocument()
				d.SetRoot(a.Copy())
				_, _ = d.WriteTo(&ab)
				checkDecrypted(t, ab.Bytes(), option, idpCert)
				if option != idp.SignResponse {
					decFile := write("decrypted.xml", dec)
					if out, err := exec.Command(xmlsec, encXMLSecArgs(idpCertFile, "Assertion", decFile)...).CombinedOutput(); err != nil {
						t.Fatalf("xmlsec1 does not verify the decrypted Assertion's signature: %v\n%s", err, out)
					}
				}
			})
		}
	}
}

// checkDecrypted checks a decrypted Assertion: B.Simon's, signed by the app's certificate
// when the option signs it.
func checkDecrypted(t *testing.T, plain []byte, option string, idpCert *x509.Certificate) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(plain); err != nil {
		t.Fatalf("decrypted: %v\n%s", err, plain)
	}
	a := doc.Root()
	if a == nil || a.Tag != "Assertion" || a.FindElement("./Subject/NameID").Text() != "B.Simon@contoso.com" {
		t.Fatalf("decrypted:\n%s", plain)
	}
	if (a.SelectElement("Signature") != nil) != (option != idp.SignResponse) {
		t.Fatalf("Assertion signature present for %s:\n%s", option, plain)
	}
	if option != idp.SignResponse {
		verifyGoxmldsig(t, a, idpCert)
	}
}

func verifyGoxmldsig(t *testing.T, el *etree.Element, cert *x509.Certificate) {
	t.Helper()
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.Clock = dsig.NewFakeClockAt(cert.NotBefore.Add(1))
	if _, err := ctx.Validate(el.Copy()); err != nil {
		t.Fatalf("goxmldsig: the signature on <%s> does not verify: %v", el.Tag, err)
	}
}

// TestTokenEncryptionSignIn signs in at crewjam/saml's ServiceProvider (given its key, it
// decrypts EncryptedAssertions) with the certificate configured as Graph has it (a
// keyCredential with usage Encrypt, activated by tokenEncryptionKeyId), and checks the
// sign-in log says the token was encrypted, to which certificate.
func TestTokenEncryptionSignIn(t *testing.T) {
	_, cert := spCredentials(t)
	const keyID = "5c1f2b7e-8d3a-4e6f-9a1b-2c3d4e5f6a7b"
	sp := startSAMLPair(t, spSetup{idpConfig: func(cfg *idp.Config, _ string) {
		a := cfg.Tenants[0].EnterpriseApps[0]
		a.KeyCredentials = []*idp.KeyCredential{{KeyID: keyID, Usage: idp.KeyUsageEncrypt, Key: base64.StdEncoding.EncodeToString(cert.Raw)}}
		a.TokenEncryptionKeyID = strings.ToUpper(keyID)
	}})
	b := idptest.NewBrowser(nil)
	p := mustPage(t)(b.Get(sp.URL + "/"))
	p = mustPage(t)(b.Continue(p, "B.Simon@contoso.com", "Passw0rd!"))
	if p.Status != 200 || p.URL.String() != sp.URL+"/" {
		t.Fatalf("sign-in did not end signed in at the SP:\n%s", p)
	}
	mustContain(t, p, "signed in as B.Simon@contoso.com")
	raw, _ := base64.StdEncoding.DecodeString(b.LastPosted("SAMLResponse").Fields.Get("SAMLResponse"))
	if !bytes.Contains(raw, []byte("<EncryptedAssertion")) || bytes.Contains(raw, []byte("<Assertion")) {
		t.Fatalf("the SP did not get an EncryptedAssertion:\n%s", raw)
	}
	ev := lastEvent(t, sp.IdP, "authn-request")
	want := (&idp.EncryptionKey{Cert: cert}).Thumbprint()
	if ev.Response["EncryptedAssertion"] != idp.EncryptionAES256CBC || ev.Response["EncryptionCertificate"] != want ||
		ev.Response["TokenEncryptionKeyId"] != keyID {
		t.Fatalf("sign-in log entry does not note the encryption (thumbprint %s): %+v", want, ev.Response)
	}

	// Turned off at run time, the next Response is in the clear again.
	if _, err := sp.IdP.SetTokenEncryption(sp.IdP.Config().Tenants[0].EnterpriseApps[0], nil, ""); err != nil {
		t.Fatal(err)
	}
	b = idptest.NewBrowser(nil)
	p = mustPage(t)(b.Get(sp.URL + "/"))
	mustPage(t)(b.Continue(p, "B.Simon@contoso.com", "Passw0rd!"))
	raw, _ = base64.StdEncoding.DecodeString(b.LastPosted("SAMLResponse").Fields.Get("SAMLResponse"))
	if bytes.Contains(raw, []byte("EncryptedAssertion")) {
		t.Fatal("still encrypted after SetTokenEncryption(nil)")
	}
}

// encXMLSecArgs has xmlsec1 verify the Signature of the element named signed (Response or
// Assertion), with the SAML ID attributes declared.
func encXMLSecArgs(certFile, signed, file string) []string {
	return []string{"--verify", "--pubkey-cert-pem", certFile,
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
		"--node-xpath", "//*[local-name()='" + signed + "']/*[local-name()='Signature']", file}
}

// TestTokenEncryptionConfig checks the config's keyCredentials as Graph has them, the
// metadata import (a KeyDescriptor use="encryption", else one without use) and the errors.
func TestTokenEncryptionConfig(t *testing.T) {
	_, cert := spCredentials(t)
	b64 := base64.StdEncoding.EncodeToString(cert.Raw)
	kd := func(use string) string {
		u := ""
		if use != "" {
			u = ` use="` + use + `"`
		}
		return `<KeyDescriptor` + u + `><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` + b64 + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`
	}
	md := func(keys string) []byte {
		return []byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.test/md"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
			keys + `<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.test/acs"/></SPSSODescriptor></EntityDescriptor>`)
	}
	for _, tc := range []struct {
		name, keys string
		want       bool
	}{
		{"encryption", kd("signing") + kd("encryption"), true},
		{"no use", kd("signing") + kd(""), true},
		{"signing only", kd("signing"), false},
	} {
		got, err := idp.ParseSPMetadata(md(tc.keys))
		if err != nil || (got.EncryptionCertificate == b64) != tc.want {
			t.Errorf("%s: EncryptionCertificate %q, err %v (want found=%v)", tc.name, got.EncryptionCertificate, err, tc.want)
		}
	}

	dir := t.TempDir()
	mdFile := filepath.Join(dir, "sp.xml")
	if err := os.WriteFile(mdFile, md(kd("encryption")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := idp.DefaultConfig()
	a := cfg.Tenants[0].EnterpriseApps[0]
	a.SAML.MetadataFile, a.TokenEncryptionFromMetadata, a.TokenEncryptionMethod = mdFile, true, "aes256-gcm"
	srv := idptest.Start(t, idp.WithConfig(cfg))
	sa := srv.Config().Tenants[0].EnterpriseApps[0]
	if len(sa.KeyCredentials) != 1 || sa.KeyCredentials[0].Usage != idp.KeyUsageEncrypt || sa.TokenEncryptionKeyID != sa.KeyCredentials[0].KeyID ||
		!sa.KeyCredentials[0].Certificate().Equal(cert) {
		t.Fatalf("tokenEncryptionFromMetadata did not import and activate the certificate: %+v", sa.KeyCredentials)
	}

	for _, tc := range []struct {
		name string
		set  func(a *idp.EnterpriseApp)
		want string
	}{
		{"unknown keyId", func(a *idp.EnterpriseApp) { a.TokenEncryptionKeyID = "5c1f2b7e-8d3a-4e6f-9a1b-2c3d4e5f6a7b" }, "no keyCredential with usage Encrypt"},
		{"verify key", func(a *idp.EnterpriseApp) {
			a.KeyCredentials = []*idp.KeyCredential{{KeyID: "5c1f2b7e-8d3a-4e6f-9a1b-2c3d4e5f6a7b", Usage: idp.KeyUsageVerify, Key: b64}}
			a.TokenEncryptionKeyID = "5c1f2b7e-8d3a-4e6f-9a1b-2c3d4e5f6a7b"
		}, "usage is Verify"},
		{"bad usage", func(a *idp.EnterpriseApp) { a.KeyCredentials = []*idp.KeyCredential{{Usage: "Sign", Key: b64}} }, "want Encrypt or Verify"},
		{"bad cert", func(a *idp.EnterpriseApp) {
			a.KeyCredentials = []*idp.KeyCredential{{Usage: idp.KeyUsageEncrypt, Key: "bm90IGEgY2VydA=="}}
		}, "keyCredentials[0].key"},
		{"bad method", func(a *idp.EnterpriseApp) { a.TokenEncryptionMethod = "aes128-cbc" }, "want aes256-cbc"},
		{"no metadata", func(a *idp.EnterpriseApp) { a.TokenEncryptionFromMetadata = true }, "needs saml.metadataFile"},
	} {
		cfg := idp.DefaultConfig()
		tc.set(cfg.Tenants[0].EnterpriseApps[0])
		if err := cfg.Normalize(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Normalize: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestTokenEncryptionFaults mints every SAML fault of the catalog for an app that encrypts.
// A fault's edits come before the signature and the encryption, so it mints an
// EncryptedAssertion as usual; a fault that changes the signed Assertion afterwards
// (wrapping, tampering) cannot, and the sign-in log says why instead of minting the
// assertion in the clear.
func TestTokenEncryptionFaults(t *testing.T) {
	_, cert := spCredentials(t)
	var refused []string
	for _, f := range idp.Faults() {
		if f.Protocol != idp.ProtocolSAML || f.Flow != idp.FlowSPInitiated {
			continue
		}
		t.Run(string(f.ID), func(t *testing.T) {
			r := newFaultRig(t)
			if _, err := r.srv.SetTokenEncryption(r.app, cert, ""); err != nil {
				t.Fatal(err)
			}
			b := r.context(t, f.ID)
			req := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_req1" Version="2.0" IssueInstant="` +
				faultClockAt.Format(time.RFC3339) + `" AssertionConsumerServiceURL="` + r.app.SAML.ReplyURLs[0].URL +
				`"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + r.app.SAML.Identifiers[0].Value + `</Issuer></samlp:AuthnRequest>`
			var buf bytes.Buffer
			fw, _ := flate.NewWriter(&buf, flate.BestCompression)
			_, _ = fw.Write([]byte(req))
			_ = fw.Close()
			p, err := b.SignIn(r.srv.LoginURL(r.tenant)+"?"+url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}}.Encode(),
				"B.Simon@contoso.com", "Passw0rd!")
			if err != nil {
				t.Fatal(err)
			}
			if f := b.LastPosted("SAMLResponse"); f != nil {
				x, _ := base64.StdEncoding.DecodeString(f.Fields.Get("SAMLResponse"))
				if !bytes.Contains(x, []byte("<EncryptedAssertion")) && bytes.Contains(x, []byte("<Assertion")) {
					t.Errorf("the Response carries the assertion in the clear:\n%.600s", x)
				}
				return
			}
			if p.URL.Query().Get("SAMLResponse") != "" {
				return // the HTTP-Redirect delivery fault
			}
			ev := r.srv.Events()
			if len(ev) == 0 || !strings.Contains(ev[len(ev)-1].Detail, "encrypts its assertions") {
				t.Fatalf("no Response and no reason in the sign-in log: %+v\n%.300s", ev[len(ev)-1], p.Text())
			}
			refused = append(refused, string(f.ID))
		})
	}
	t.Logf("refused for an app that encrypts: %v", refused)
}

// TestTokenEncryptionConfigExample: the README's example encrypts Contoso Wiki's assertions
// to the certificate file its keyCredentials name (a path relative to the config file).
func TestTokenEncryptionConfigExample(t *testing.T) {
	cfg, err := idp.LoadConfig("../fixtures/contoso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL, cfg.KeyDir = "", t.TempDir()
	s := idptest.Start(t, idp.WithConfig(cfg))
	tn := s.Tenant("contoso.com")
	wiki := tn.EnterpriseApp("Contoso Wiki")
	resp, err := s.BuildSAMLResponse(idp.SAMLResponseInput{Tenant: tn, App: wiki, User: tn.Users[0], Destination: wiki.SAML.ReplyURLs[0].URL})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := resp.Bytes()
	if resp.Encryption == nil || resp.Encryption.KeyID != "6b1c9d2e-3f4a-4b5c-8d6e-7f8091a2b3c4" || !bytes.Contains(b, []byte("<EncryptedAssertion")) {
		t.Fatalf("Contoso Wiki's Response is not encrypted to its keyCredential: %+v", resp.Encryption)
	}
}

// BenchmarkEncryptedResponse is the cost of one Response with and without token
// encryption (the encrypted one is built on the DOM, the plain one by the direct writer).
func BenchmarkEncryptedResponse(b *testing.B) {
	_, cert := spCredentials(b)
	for _, enc := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "encrypted"}[enc], func(b *testing.B) {
			opts := []idp.Option{}
			if enc {
				opts = append(opts, idp.WithTokenEncryption(cert, ""))
			}
			srv, err := idp.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			tn := srv.Config().Tenants[0]
			in := idp.SAMLResponseInput{Tenant: tn, App: tn.EnterpriseApps[0], User: tn.Users[0], Destination: tn.EnterpriseApps[0].SAML.ReplyURLs[0].URL}
			for b.Loop() {
				if _, err := srv.SAMLResponseBytes(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// decryptForReport replaces each EncryptedAssertion (decrypted with the test SP's key) by a
// comment naming its algorithms and recipient, followed by the Assertion it holds, in the
// Assertion's place: the golden diff of a token encryption check then shows what was
// encrypted, and how, not random ciphertext.
func decryptForReport(t *testing.T, doc *etree.Document) {
	t.Helper()
	key, _ := spCredentials(t)
	for _, ea := range doc.FindElements("//EncryptedAssertion") {
		ed := ea.FindElement("./EncryptedData")
		ek := ed.FindElement("./KeyInfo/EncryptedKey")
		plain, err := xmlenc.Decrypt(key, ed.Copy())
		if err != nil || ek == nil {
			t.Fatalf("decrypt the EncryptedAssertion: %v", err)
		}
		pd := etree.NewDocument()
		if err := pd.ReadFromBytes(plain); err != nil {
			t.Fatal(err)
		}
		to := "?"
		if der, err := base64.StdEncoding.DecodeString(ek.FindElement("./KeyInfo/X509Data/X509Certificate").Text()); err == nil {
			if c, err := x509.ParseCertificate(der); err == nil {
				to = c.Subject.String()
			}
		}
		parent, at := ea.Parent(), ea.Index()
		parent.InsertChildAt(at, etree.NewComment(" EncryptedAssertion: EncryptedData "+ed.FindElement("./EncryptionMethod").SelectAttrValue("Algorithm", "")+
			", EncryptedKey "+ek.FindElement("./EncryptionMethod").SelectAttrValue("Algorithm", "")+" to "+to+"; decrypted: "))
		parent.InsertChildAt(at+1, pd.Root())
		parent.RemoveChild(ea)
	}
}

// TestTokenEncryptionChecksNeedCertificate: without the SP's encryption certificate the
// token encryption checks cannot be armed (and say why), while preparing the whole catalog
// still works.
func TestTokenEncryptionChecksNeedCertificate(t *testing.T) {
	srv := idptest.Start(t)
	if err := srv.PrepareFaults(); err != nil {
		t.Fatalf("PrepareFaults with an app that has no encryption certificate: %v", err)
	}
	if _, err := srv.ArmContext("saml.encrypted.unsigned"); err == nil || !strings.Contains(err.Error(), "no Encrypt key credential") {
		t.Fatalf("ArmContext(saml.encrypted.unsigned) without a certificate: %v", err)
	}
	if srv.HasEncryptionCertificate(srv.Config().Tenants[0].EnterpriseApps[0]) {
		t.Fatal("HasEncryptionCertificate without one")
	}
}
