package idp_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The README's config example is fixtures/contoso.yaml; these tests keep both from rotting.

// TestConfigExample loads fixtures/contoso.yaml and serves it. PEM paths in a config file
// are relative to the file, so the working directory does not matter.
func TestConfigExample(t *testing.T) {
	cfg, err := idp.LoadConfig("../fixtures/contoso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "" // the example names 127.0.0.1:7443; this test listens on a free port
	cfg.KeyDir = t.TempDir()
	s := idptest.Start(t, idp.WithConfig(cfg))

	tenant := s.Tenant("contoso.com")
	if tenant == nil {
		t.Fatal("tenant contoso.com not found")
	}
	expenses := tenant.EnterpriseApp("Contoso Expenses")
	wiki := tenant.EnterpriseApp("Contoso Wiki")
	if expenses == nil || wiki == nil {
		t.Fatalf("apps not found: expenses=%v wiki=%v", expenses, wiki)
	}

	// SAML Certificates: one active, one expired and unpublished, one rollover published.
	keys := s.AppKeys(expenses)
	if len(keys) != 3 {
		t.Fatalf("Contoso Expenses has %d signing keys, want 3", len(keys))
	}
	now := s.Clock().Now()
	if !keys[0].Active || !keys[0].ValidAt(now) {
		t.Errorf("certificates[0] should be the active, valid certificate")
	}
	if keys[1].Active || keys[1].Published || keys[1].ValidAt(now) {
		t.Errorf("certificates[1] should be expired, inactive and unpublished")
	}
	if keys[2].Active || !keys[2].Published {
		t.Errorf("certificates[2] should be the published rollover certificate")
	}

	resp, err := s.Client().Get(s.MetadataURL(tenant, expenses))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("metadata: %s\n%s", resp.Status, body)
	}
	for i, k := range keys {
		if got, want := bytes.Contains(body, []byte(k.Base64())), k.Published; got != want {
			t.Errorf("metadata lists certificates[%d]: %v, want %v", i, got, want)
		}
	}

	// The imported certificate of Contoso Wiki is the PEM file's.
	fileCert := readCert(t, "../fixtures/contoso-wiki-idp-signing.crt")
	if wk := s.AppKeys(wiki); len(wk) != 1 || !wk[0].Cert.Equal(fileCert) {
		t.Errorf("Contoso Wiki does not sign with fixtures/contoso-wiki-idp-signing.crt")
	}
	// The uploaded verification certificate is a certificate.
	for _, p := range expenses.SAML.VerificationCertificates {
		readCert(t, p)
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// TestREADMEConfigExample checks that README.md shows fixtures/contoso.yaml verbatim.
func TestREADMEConfigExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fixture, err := os.ReadFile("../fixtures/contoso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, append(append([]byte("```yaml\n"), fixture...), "```"...)) {
		t.Errorf("README.md must contain fixtures/contoso.yaml verbatim in a ```yaml block; update one from the other")
	}
}

// TestREADMEDocumentsEveryConfigKey checks that every key of idp.Config appears in README.md
// as `key` (or in a dotted `parent.key`), so a new field cannot ship undocumented.
func TestREADMEDocumentsEveryConfigKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
			if typ.Kind() != reflect.Pointer && typ.Kind() != reflect.Slice {
				path += "[]"
			}
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := strings.TrimPrefix(path+"."+name, ".")
			if !bytes.Contains(readme, []byte("`"+name+"`")) && !bytes.Contains(readme, []byte("`"+name+".")) &&
				!bytes.Contains(readme, []byte("."+name+"`")) && !bytes.Contains(readme, []byte("."+name+".")) {
				t.Errorf("README.md does not document config key %s (want `%s` in the config reference)", p, name)
			}
			walk(f.Type, p)
		}
	}
	walk(reflect.TypeFor[idp.Config](), "")
}
