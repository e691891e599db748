package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProvisionCommand: `mockidp provision` refuses an app without provisioning settings
// (exit 2), and reports a Test Connection that cannot reach the SCIM endpoint in the
// portal's words (exit 1). The provisioning itself is tested in package provision against
// real SCIM servers.
func TestProvisionCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyDir := filepath.Join(dir, "keys")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing listens there now
	cfg, err := os.ReadFile("../../idp/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withProv := strings.Replace(string(cfg), "          logoutUrl: https://sp.example.test/saml/slo\n",
		"          logoutUrl: https://sp.example.test/saml/slo\n        provisioning:\n          tenantUrl: http://"+closed+"/scim/v2\n          secretToken: s3cret\n", 1)
	cfgPath := filepath.Join(dir, "prov.yaml")
	if err := os.WriteFile(cfgPath, []byte(withProv), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"provision", "--key-dir", keyDir}, exitUsage, "", "--app is required"},
		{[]string{"provision", "--app", "Contoso SAML App", "--key-dir", keyDir}, exitUsage, "", "no provisioning settings"},
		{[]string{"provision", "--config", cfgPath, "--app", "Contoso SAML App", "--key-dir", keyDir}, exitFailure,
			"Test Connection: Error code: SystemForCrossDomainIdentityManagementCredentialValidationUnavailable", "test connection failed"},
	} {
		cmd := exec.Command(binary, tc.args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("mockidp %s: exit %d (want %d)\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.code, stdout.String(), stderr.String())
		}
	}
}
