package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nsaml:\n  entityId: https://sp.example.test\n  acsUrls: [https://sp.example.test/acs]\n  signIn: [{url: https://sp.example.test/login, binding: soap}]\nexpectations: [{check: saml.xsw.*, expect: accept}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"run", "--parallel", "0"}, "--parallel 0"},
		{[]string{"run", "--idp-replicas", "17"}, "--idp-replicas 17: want 1 to 16"},
		{[]string{"run", "--only", "nothing.matches"}, "select no check"},
		{[]string{"run", "--browser", "x", "--browser-url", "ws://y"}, "exclusive"},
		{[]string{"run", "--target", filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{"run", "--target", bad}, "saml.signIn[0].binding"},
		{[]string{"validate", "--target", bad}, "expectations[0].reason: missing"},
		{[]string{"list", "--protocol", "LDAP"}, "--protocol"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %s)", tc.args, code, exitUsage, stderr)
		}
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: stderr %q does not say %q", tc.args, stderr, tc.want)
		}
	}
}

func TestList(t *testing.T) {
	code, out, _ := runCLI(t, "list")
	if code != 0 || !strings.Contains(out, "saml.xsw.1") || !strings.Contains(out, "config.redirect-uri") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if want := len(scenarios.Catalog()); !strings.Contains(out, "\n"+itoa(want)+" checks") {
		t.Errorf("list does not count %d checks", want)
	}
	code, out, _ = runCLI(t, "list", "--json", "oidc.nonce.*")
	if code != 0 || strings.Count(out, `"id"`) != 2 {
		t.Errorf("list --json oidc.nonce.*: exit %d\n%s", code, out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestRunBuiltIn runs a few checks against the built-in reference SPs, as make demo does,
// and reads the reports it wrote.
func TestRunBuiltIn(t *testing.T) {
	if _, err := scenarios.FindChromium(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	code, out, stderr := runCLI(t, "run", "--report-dir", dir, "--only", "saml.sp.redirect,oidc.id_token.wrong-aud,saml:config.samesite")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	for _, f := range []string{"index.html", "junit.xml", "report.json", "idp-ca.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reports.ValidateJSON(b); err != nil {
		t.Error(err)
	}
	r, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil || r.Summary.Pass != 3 {
		t.Errorf("report: %v %+v", err, r.Summary)
	}
	if !strings.Contains(out, filepath.Join(dir, "index.html")) {
		t.Errorf("the summary does not say where the report is:\n%s", out)
	}
}
