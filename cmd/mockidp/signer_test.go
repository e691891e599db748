package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/internal/signer"
)

// wantOpenSSL: the signer a default build of this machine uses. With libcrypto.so.3 and cgo
// (CI=true requires them) it is OpenSSL.
func wantOpenSSL(t *testing.T) bool {
	_, err := signer.OpenSSL()
	if err != nil && os.Getenv("CI") == "true" {
		t.Fatalf("OpenSSL signer unavailable under CI: %v", err)
	}
	return err == nil
}

// TestVersionNamesSigner: `mockidp version` names the signer serve would use: OpenSSL when
// libcrypto loads, Go's crypto/rsa (with the reason) when MOCKIDP_LIBCRYPTO points at a
// library that does not exist.
func TestVersionNamesSigner(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "signer go (crypto/rsa)"
	if wantOpenSSL(t) {
		want = "signer openssl (OpenSSL 3"
	}
	if !strings.Contains(string(out), want) {
		t.Errorf("mockidp version: %q, want %q", out, want)
	}
	cmd := exec.Command(binary, "version")
	cmd.Env = append(os.Environ(), signer.EnvLibcrypto+"=/nonexistent/libcrypto.so.3")
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "signer go (crypto/rsa) [OpenSSL not used: ") || !strings.Contains(string(out), "/nonexistent/libcrypto.so.3") {
		t.Errorf("without libcrypto, mockidp version: %q", out)
	}
}

// TestServeSigner: serve prints its signer; --signer go forces Go's; --signer openssl fails
// as a usage error when libcrypto is absent.
func TestServeSigner(t *testing.T) {
	t.Parallel()
	p := serve(t, "--addr", "127.0.0.1:0", "--key-dir", "", "--signer", "go")
	p.waitReady(t, http.DefaultClient)
	if got := p.value(t, "Signer"); got != "go (crypto/rsa)" {
		t.Errorf("serve --signer go: Signer: %q", got)
	}
	if wantOpenSSL(t) {
		p := serve(t, "--addr", "127.0.0.1:0", "--key-dir", "")
		p.waitReady(t, http.DefaultClient)
		if got := p.value(t, "Signer"); !strings.HasPrefix(got, "openssl (OpenSSL ") {
			t.Errorf("serve: Signer: %q, want OpenSSL", got)
		}
	}
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--key-dir", "", "--signer", "openssl")
	cmd.Env = append(os.Environ(), signer.EnvLibcrypto+"=/nonexistent/libcrypto.so.3")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "--signer: ") {
		t.Errorf("serve --signer openssl without libcrypto: %v: %s", err, out)
	}
}

// TestBuildWithoutCgo: a CGO_ENABLED=0 build compiles (the OpenSSL backend is left out) and
// signs with Go's crypto/rsa, saying why.
func TestBuildWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mockidp again (-short)")
	}
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "mockidp-nocgo")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "signer go (crypto/rsa) [OpenSSL not used: built without cgo") {
		t.Errorf("CGO_ENABLED=0 mockidp version: %q", out)
	}
}
