package idp_test

import (
	"bytes"
	"compress/flate"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/go-jose/go-jose/v4"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// faultRig is one mock IdP with a frozen clock and seeded IDs, an ACS / redirect URI that
// answers 200, and the default directory pointed at it.
type faultRig struct {
	srv    *idp.Server
	tenant *idp.Tenant
	app    *idp.EnterpriseApp
	reg    *idp.AppRegistration
	sp     *httptest.Server
}

var faultClockAt = time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC)

func newFaultRig(t *testing.T) *faultRig {
	t.Helper()
	sp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "SP reached") }))
	t.Cleanup(sp.Close)
	cfg := idp.DefaultConfig()
	tn := cfg.Tenants[0]
	app := tn.EnterpriseApps[0]
	app.SAML.Identifiers = []idp.Identifier{{Value: "https://sp.example.test/saml/metadata", Default: true}}
	app.SAML.ReplyURLs = []idp.ReplyURL{{URL: sp.URL + "/saml/acs", Default: true}}
	// The SP's encryption certificate, uploaded but not activated: the token encryption
	// checks (RequiresTokenEncryption) encrypt to it; every other Response stays in the clear.
	_, encCert := spCredentials(t)
	app.KeyCredentials = []*idp.KeyCredential{{Usage: idp.KeyUsageEncrypt, Key: base64.StdEncoding.EncodeToString(encCert.Raw)}}
	reg := tn.AppRegistrations[0]
	reg.Web.RedirectURIs = []string{sp.URL + "/callback"}
	reg.Web.ImplicitGrantSettings.EnableAccessTokenIssuance = true // oidc.hybrid.at_hash's code id_token token
	srv := idptest.Start(t, idp.WithConfig(cfg), idp.WithClock(idp.NewFrozenClock(faultClockAt)), idp.WithRand(idp.NewSeededRand(7)))
	return &faultRig{srv: srv, tenant: srv.Config().Tenants[0], app: srv.Config().Tenants[0].EnterpriseApps[0],
		reg: srv.Config().Tenants[0].AppRegistrations[0], sp: sp}
}

// context returns a new browser context with fault armed for it.
func (r *faultRig) context(t *testing.T, fault idp.FaultID) *idptest.Browser {
	t.Helper()
	b := idptest.NewBrowser(nil)
	af, err := r.srv.ArmContext(fault)
	if err != nil {
		t.Fatalf("ArmContext(%s): %v", fault, err)
	}
	if err := b.SetCookie(r.srv.URL, af.Cookie()); err != nil {
		t.Fatal(err)
	}
	return b
}

// samlSignIn does an SP-initiated sign-in as B.Simon and returns the Response XML the browser
// carried to the ACS (by POST or, for the binding fault, in the redirect's query).
func (r *faultRig) samlSignIn(t *testing.T, b *idptest.Browser, n int) (xml []byte, binding string) {
	t.Helper()
	req := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_req%d" Version="2.0" IssueInstant="%s" AssertionConsumerServiceURL="%s"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">%s</Issuer></samlp:AuthnRequest>`,
		n, faultClockAt.Format(time.RFC3339), r.app.SAML.ReplyURLs[0].URL, r.app.SAML.Identifiers[0].Value)
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = fw.Write([]byte(req))
	_ = fw.Close()
	u := r.srv.LoginURL(r.tenant) + "?" + url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}}.Encode()
	p, err := b.SignIn(u, "B.Simon@contoso.com", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	if v := p.URL.Query().Get("SAMLResponse"); v != "" { // HTTP-Redirect delivery
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		return out, "HTTP-Redirect (GET " + strings.ReplaceAll(p.URL.Path, r.sp.URL, "") + "?SAMLResponse=…)"
	}
	f := b.LastPosted("SAMLResponse")
	if f == nil {
		t.Fatalf("no SAMLResponse reached the SP; the browser ended on %s", p)
	}
	out, err := base64.StdEncoding.DecodeString(f.Fields.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	return out, "HTTP-POST"
}

// oidcSignIn does a code-flow sign-in as B.Simon, redeems the code and calls userinfo. It
// returns the authorize response parameters, the token response and the userinfo body.
func (r *faultRig) oidcSignIn(t *testing.T, b *idptest.Browser) (authz url.Values, tokens map[string]any, userinfo string) {
	return r.oidcSignInType(t, b, "code")
}

// oidcSignInType is oidcSignIn with a response type: "code id_token" (the hybrid flow)
// comes back by form_post, with the front-channel ID token in authz.
func (r *faultRig) oidcSignInType(t *testing.T, b *idptest.Browser, responseType string) (authz url.Values, tokens map[string]any, userinfo string) {
	t.Helper()
	q := url.Values{"client_id": {r.reg.AppID}, "response_type": {responseType}, "redirect_uri": {r.reg.Web.RedirectURIs[0]},
		"scope": {"openid profile email"}, "state": {"state-123"}, "nonce": {"nonce-456"}}
	if responseType != "code" {
		q.Set("response_mode", "form_post")
	}
	p, err := b.SignIn(r.srv.URL+"/"+r.tenant.ID+"/oauth2/v2.0/authorize?"+q.Encode(), "B.Simon@contoso.com", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	authz = p.URL.Query()
	if f := b.LastPosted("code"); responseType != "code" && f != nil {
		authz = f.Fields
	}
	if authz.Get("code") == "" {
		t.Fatalf("no code: %s", p)
	}
	resp, err := http.PostForm(r.srv.URL+"/"+r.tenant.ID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {authz.Get("code")}, "redirect_uri": {r.reg.Web.RedirectURIs[0]},
		"client_id": {r.reg.AppID}, "client_secret": {r.reg.PasswordCredentials[0].SecretText}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %d %v %v", resp.StatusCode, err, tokens)
	}
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/oidc/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tokens["access_token"].(string))
	ui, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer ui.Body.Close()
	body, _ := io.ReadAll(ui.Body)
	return authz, tokens, string(body)
}

var kidValue = regexp.MustCompile(`"kid":"([^"]*)"`)

// jwkModulus is an RSA modulus a header embeds (oidc.header.jwk-embedded): random per test
// process, so the golden names it instead.
var jwkModulus = regexp.MustCompile(`"n":"[^"]*"`)

// x5tValue is a v1 header's certificate thumbprint (oidc.id_token.graph-aud's access token):
// random per test process like kid.
var x5tValue = regexp.MustCompile(`"x5t":"[^"]*"`)

var opaqueClaims = regexp.MustCompile(`"(aio|rh|uti)":"[^"]*"`)

var guidID = regexp.MustCompile(`_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// samlLines renders a Response as indented lines for diffing: IDs become _ID1, _ID2… in order
// of appearance, digests / signature values / certificates a short hash, hosts fixed.
func (r *faultRig) samlLines(t *testing.T, x []byte) []string {
	t.Helper()
	doc := etree.NewDocument()
	// An entity a DOCTYPE declares is shown as the reference it is on the wire.
	doc.ReadSettings.Permissive = bytes.HasPrefix(x, []byte("<!DOCTYPE"))
	if err := doc.ReadFromBytes(x); err != nil {
		t.Fatalf("minted Response is not XML: %v\n%s", err, x)
	}
	decryptForReport(t, doc)
	sigs := signatureReport(doc)
	// A KeyValue's Modulus (saml.sig.keyvalue-only) is a key made per run.
	for _, path := range []string{"//DigestValue", "//SignatureValue", "//Modulus"} {
		for _, el := range doc.FindElements(path) {
			// differs between runs (the ACS port is signed); see the report lines. A comment
			// in it (saml.sig.digest-comment*) is kept, its text masked too.
			comment := false
			for _, c := range append([]etree.Token(nil), el.Child...) {
				switch c := c.(type) {
				case *etree.CharData:
					el.RemoveChild(c)
				case *etree.Comment:
					c.Data, comment = "…", true
				}
			}
			if comment {
				el.CreateText("…")
			} else {
				el.SetText("…")
			}
		}
	}
	for _, el := range doc.FindElements("//X509Certificate") {
		el.SetText(r.certLabel(t, el.Text()))
	}
	// Indenting would put whitespace into mixed content (a NameID with a comment); show such
	// text on one line instead, the comment written as it is on the wire.
	for _, el := range doc.FindElements("//NameID") {
		var text strings.Builder
		mixed := false
		for _, c := range el.Child {
			switch c := c.(type) {
			case *etree.CharData:
				text.WriteString(c.Data)
			case *etree.Comment:
				text.WriteString("⟪" + c.Data + "⟫")
				mixed = true
			}
		}
		if mixed {
			for _, c := range append([]etree.Token(nil), el.Child...) {
				el.RemoveChild(c)
			}
			el.SetText(text.String())
		}
	}
	doc.Indent(1)
	s, _ := doc.WriteToString()
	s = strings.NewReplacer("⟪", "<!--", "⟫", "-->").Replace(s)
	s = strings.ReplaceAll(s, r.sp.URL, "https://sp.example.test")
	ids := map[string]string{}
	s = guidID.ReplaceAllStringFunc(s, func(id string) string {
		if ids[id] == "" {
			ids[id] = fmt.Sprintf("_ID%d", len(ids)+1)
		}
		return ids[id]
	})
	s = guidID.ReplaceAllStringFunc(strings.Join(sigs, "\n"), func(id string) string { return ids[id] }) + "\n" + s
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// certLabel says what a KeyInfo certificate is, from the SP's point of view: the app's
// active certificate, another one its metadata publishes, or one it does not; and its
// validity at the server's time. (Keys are random per test process, so bytes cannot be
// golden.)
func (r *faultRig) certLabel(t *testing.T, b64 string) string {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "not base64"
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "not a certificate"
	}
	active := r.srv.AppKeys(r.app)[0].Cert
	for _, k := range r.srv.AppKeys(r.app) {
		if k.Active {
			active = k.Cert
		}
	}
	md, err := r.srv.Metadata(r.tenant, r.app)
	if err != nil {
		t.Fatal(err)
	}
	label := "a certificate the metadata does not publish"
	switch {
	case bytes.Equal(der, active.Raw):
		label = "the active certificate of the app"
	case bytes.Contains(md, []byte(b64)):
		label = "another certificate of the app metadata"
	}
	if cert.SerialNumber.Cmp(active.SerialNumber) == 0 && !bytes.Equal(der, active.Raw) {
		label += ", cloning the subject and serial of the active one"
	}
	now := faultClockAt
	switch {
	case now.After(cert.NotAfter):
		label += ", expired"
	case now.Before(cert.NotBefore):
		label += ", not yet valid"
	}
	return label
}

// signatureReport says, for every ds:Signature, where it is, what it references and whether
// it verifies over its parent with the certificate in its own KeyInfo (integrity only:
// whether that certificate is trusted is what the SP decides).
func signatureReport(doc *etree.Document) []string {
	var out []string
	for i, sig := range doc.FindElements("//Signature") {
		parent := sig.Parent()
		ref := sig.FindElement("./SignedInfo/Reference").SelectAttrValue("URI", "")
		line := fmt.Sprintf("# signature %d in <%s ID=%s> references %s: ", i+1, parent.Tag, parent.SelectAttrValue("ID", ""), ref)
		certEl := sig.FindElement("./KeyInfo/X509Data/X509Certificate")
		if certEl == nil {
			out = append(out, line+"no certificate")
			continue
		}
		der, _ := base64.StdEncoding.DecodeString(certEl.Text())
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			out = append(out, line+"bad certificate")
			continue
		}
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vc.Clock = dsig.NewFakeClockAt(cert.NotBefore.Add(time.Hour))
		if _, err := vc.Validate(parent.Copy()); err != nil {
			out = append(out, line+"does not verify ("+err.Error()+")")
		} else {
			out = append(out, line+"verifies")
		}
	}
	return out
}

// jwtLines renders a JWT as its header, its claims (member order kept) and what its
// signature is, checked against the tenant's published key set and the client secret.
func (r *faultRig) jwtLines(t *testing.T, prefix, tok string) []string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	var out []string
	set := r.jwks(t)
	for i, name := range []string{"header", "claims"} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 { // kids are key thumbprints, random per test process: name the key instead
			raw = kidValue.ReplaceAllFunc(raw, func(m []byte) []byte {
				kid := string(kidValue.FindSubmatch(m)[1])
				for n, k := range set.Keys {
					if k.KeyID == kid {
						return fmt.Appendf(nil, `"kid":"(JWKS key %d of %d)"`, n+1, len(set.Keys))
					}
				}
				return []byte(`"kid":"(not in the JWKS)"`)
			})
			raw = jwkModulus.ReplaceAll(raw, []byte(`"n":"(the embedded key's modulus)"`))
			raw = x5tValue.ReplaceAll(raw, []byte(`"x5t":"(the key's thumbprint)"`))
		}
		// aio, rh and uti are opaque random values; they say nothing about a fault.
		raw = opaqueClaims.ReplaceAll(raw, []byte(`"$1":"…"`))
		var buf bytes.Buffer
		_ = json.Indent(&buf, raw, "", " ")
		for _, l := range strings.Split(strings.ReplaceAll(buf.String(), r.srv.URL, "https://login.mock.test"), "\n") {
			out = append(out, prefix+name+": "+l)
		}
	}
	return append(out, prefix+"signature: "+r.describeSig(t, parts))
}

func (r *faultRig) describeSig(t *testing.T, parts []string) string {
	var h struct{ Alg, Kid string }
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(raw, &h)
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	input := parts[0] + "." + parts[1]
	switch h.Alg {
	case "none":
		if len(sig) == 0 {
			return "none (empty)"
		}
		return "none with bytes"
	case "HS256":
		for name, key := range map[string][]byte{"the client secret": []byte(r.reg.PasswordCredentials[0].SecretText), "the public key PEM": r.publicKeyPEM(t)} {
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(input))
			if hmac.Equal(mac.Sum(nil), sig) {
				return "HS256 keyed with " + name
			}
		}
		return "HS256 with an unknown key"
	}
	set := r.jwks(t)
	jws, err := jose.ParseSigned(strings.Join(parts, "."), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return "unparseable: " + err.Error()
	}
	for i, k := range set.Keys {
		if _, err := jws.Verify(k.Key); err == nil {
			return fmt.Sprintf("RS256, valid with JWKS key %d of %d (kid matches: %v)", i+1, len(set.Keys), h.Kid == k.KeyID)
		}
	}
	return fmt.Sprintf("RS256, verifies with no key of the JWKS (%d keys)", len(set.Keys))
}

func (r *faultRig) jwks(t *testing.T) jose.JSONWebKeySet {
	resp, err := http.Get(r.srv.URL + "/" + r.tenant.ID + "/discovery/v2.0/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

func (r *faultRig) publicKeyPEM(t *testing.T) []byte {
	keys := r.srv.OIDCKeys(r.tenant.ID)
	der, err := x509.MarshalPKIXPublicKey(&keys[0].Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// mint does the fault's sign-ins (Fault.SignIns of them, in one context) and renders what the
// SP received.
func (r *faultRig) mint(t *testing.T, f idp.Fault, fault idp.FaultID) [][]string {
	b := r.context(t, fault)
	var out [][]string
	for step := range f.SignIns {
		if f.Condition() && f.Protocol == idp.ProtocolOIDC {
			out = append(out, r.conditionLines(t, b, f)) // consent_golden_test.go
			continue
		}
		if f.Protocol == idp.ProtocolSAML {
			x, binding := r.samlSignIn(t, b, step)
			out = append(out, append([]string{"# delivered by " + binding}, r.samlLines(t, x)...))
			continue
		}
		rt := "code"
		switch {
		case slices.Contains(f.Requires, idp.RequiresHybrid):
			rt = "code id_token"
		case slices.Contains(f.Requires, idp.RequiresHybridToken):
			rt = "code id_token token"
		}
		authz, tokens, ui := r.oidcSignInType(t, b, rt)
		lines := []string{"authorize: state=" + authz.Get("state")}
		if front := authz.Get("id_token"); front != "" {
			fl := r.jwtLines(t, "front-channel id_token ", front)
			if code := authz.Get("code"); code != "" {
				// The code is the sealed grant (oauth_grant.go), which names the fault, so
				// its hash differs from the clean run's: name the right one instead.
				h := sha256.Sum256([]byte(code))
				right := `"c_hash": "` + base64.RawURLEncoding.EncodeToString(h[:16]) + `"`
				for i := range fl {
					fl[i] = strings.Replace(fl[i], right, `"c_hash": "(the hash of the code)"`, 1)
				}
			}
			if at := authz.Get("access_token"); at != "" {
				// The access token is signed with a per-process key, so its hash is random:
				// name the right one instead.
				h := sha256.Sum256([]byte(at))
				right := `"at_hash": "` + base64.RawURLEncoding.EncodeToString(h[:16]) + `"`
				for i := range fl {
					fl[i] = strings.Replace(fl[i], right, `"at_hash": "(the hash of the access token)"`, 1)
				}
			}
			lines = append(lines, fl...)
		}
		lines = append(lines, r.jwtLines(t, "id_token ", tokens["id_token"].(string))...)
		out = append(out, append(lines, "userinfo: "+ui))
	}
	return out
}

// TestFaultCatalogMinting arms every fault of the catalog, signs in, and compares what the SP
// received with what the same sign-in gives with no fault (a benign fault of the same
// protocol, so both runs draw the same random IDs): the difference is the golden file
// testdata/faults/<id>.diff, reviewed by a person and checked on every run. Run with
// -update to rewrite.
func TestFaultCatalogMinting(t *testing.T) {
	for _, f := range idp.Faults() {
		t.Run(string(f.ID), func(t *testing.T) {
			t.Parallel()
			// The baseline is the clean response of the same shape: Entra's defaults, or for the
			// Response-wrapping shapes a Response signed by "Sign SAML response".
			clean := idp.FaultID("saml.sp.redirect")
			switch {
			case f.Protocol == idp.ProtocolOIDC:
				clean = "oidc.code.query"
			case f.ID == "saml.xsw.1" || f.ID == "saml.xsw.2":
				clean = "saml.sign.response"
			case f.ID == "saml.encrypted.unsigned":
				clean = "saml.encrypted" // the encrypted Response Entra sends
			}
			got := newFaultRig(t).mint(t, f, f.ID)
			want := newFaultRig(t).mint(t, f, clean)
			var diff strings.Builder
			fmt.Fprintf(&diff, "# %s (%s): %s\n# expected verdict: %s\n", f.ID, f.Protocol, f.Description, f.Expect.Expected())
			changed := false
			for step := range got {
				d := lineDiff(want[step], got[step])
				if len(d) > 0 {
					changed = true
				}
				fmt.Fprintf(&diff, "## sign-in %d of %d: %d lines differ from the clean response\n", step+1, len(got), len(d))
				for _, l := range d {
					diff.WriteString(l + "\n")
				}
			}
			benign := f.Flow != idp.FlowSPInitiated || f.ID == "saml.sp.redirect" || f.ID == "saml.sp.post" ||
				strings.HasPrefix(string(f.ID), "oidc.code.") || strings.HasPrefix(string(f.ID), "oidc.userinfo.get") || f.ID == "oidc.userinfo.post"
			if changed == benign {
				t.Errorf("%s: changed=%v, but a fault that mints nothing is one whose flow makes the check (%s)", f.ID, changed, f.Flow)
			}
			checkFaultGolden(t, string(f.ID)+".diff", diff.String())
		})
	}
}

func checkFaultGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "faults", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./idp/ -run FaultCatalogMinting -update` and review the diff)", err)
	}
	if string(want) != got {
		t.Errorf("%s: the minted difference changed:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// lineDiff is a minimal LCS line diff: "- " lines only in a, "+ " lines only in b.
func lineDiff(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, "+ "+b[j])
			j++
		default:
			out = append(out, "- "+a[i])
			i++
		}
	}
	return out
}
