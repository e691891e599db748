package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
)

// binary is the mockidp executable built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mockidp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mockidp")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building mockidp:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running `mockidp serve`.
type proc struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	stdout  bytes.Buffer
	stderr  bytes.Buffer
	ready   chan string // the readiness URL, once printed
	exited  chan error
	started time.Time
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "stdout:\n" + p.stdout.String() + "\nstderr:\n" + p.stderr.String()
}

// value returns the first printed "  Label:  value" line's value.
func (p *proc) value(t *testing.T, label string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for line := range strings.Lines(p.stdout.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), label+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q line in the output", label)
	return ""
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// serve starts `mockidp serve args...`; waitReady waits for its "ready" line.
func serve(t *testing.T, args ...string) *proc {
	t.Helper()
	return start(t, "serve", args...)
}

// start starts `mockidp command args...`.
func start(t *testing.T, command string, args ...string) *proc {
	t.Helper()
	p := &proc{ready: make(chan string, 1), exited: make(chan error, 1)}
	p.cmd = exec.Command(binary, append([]string{command}, args...)...)
	p.cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stdout.WriteString(line + "\n")
			p.mu.Unlock()
			if u, ok := strings.CutPrefix(line, "ready "); ok {
				p.ready <- u
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitReady waits for the ready line and the readiness endpoint's 200, returning the time
// from process start.
func (p *proc) waitReady(t *testing.T, client *http.Client) (string, time.Duration) {
	t.Helper()
	select {
	case u := <-p.ready:
		resp, err := client.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v\n%s", u, err, p.output())
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", u, resp.Status)
		}
		return u, time.Since(p.started)
	case err := <-p.exited:
		t.Fatalf("mockidp serve exited before ready: %v\n%s", err, p.output())
	case <-time.After(20 * time.Second):
		t.Fatalf("mockidp serve not ready after 20 s\n%s", p.output())
	}
	return "", 0
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Errorf("mockidp serve after SIGTERM: %v\n%s", err, p.output())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("mockidp serve did not stop within 10 s of SIGTERM\n%s", p.output())
	}
}

var certRE = regexp.MustCompile(`<(?:\w+:)?X509Certificate>([^<]+)</`)

// certs returns the distinct X509Certificate values of a metadata document.
func certs(doc []byte) []string {
	var out []string
	for _, m := range certRE.FindAllSubmatch(doc, -1) {
		if c := string(m[1]); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func get(t *testing.T, client *http.Client, u string) []byte {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, b)
	}
	return b
}

// TestServeDefault: `mockidp serve` with no config is ready quickly, prints the admin values
// and users, serves the metadata Entra serves at the printed URL, and stops on SIGTERM.
func TestServeDefault(t *testing.T) {
	t.Parallel()
	keyDir := t.TempDir()
	tid := idp.DefaultConfig().Tenants[0].ID
	for _, run := range []string{"cold (new signing key)", "warm (key from --key-dir)"} {
		p := serve(t, "--addr", "127.0.0.1:0", "--key-dir", keyDir)
		_, took := p.waitReady(t, http.DefaultClient)
		t.Logf("mockidp serve, %s: start to ready in %v", run, took.Round(time.Millisecond))
		if took > 5*time.Second {
			t.Errorf("start to ready took %v, want well under a second (bound 5 s)", took)
		}

		if got, want := p.value(t, "Microsoft Entra Identifier"), "https://sts.windows.net/"+tid+"/"; got != want {
			t.Errorf("Microsoft Entra Identifier = %q, want %q", got, want)
		}
		for _, label := range []string{"Login URL", "Logout URL", "Certificate (Base64)", "Application ID", "Thumbprint"} {
			p.value(t, label)
		}
		// The multi-tenant registration: the organizations authority and the tenant's
		// (the portal's Endpoints blade), each with a discovery document that answers.
		base := strings.TrimSuffix(p.value(t, "Login URL"), "/"+tid+"/saml2")
		if got, want := p.value(t, "Authority (issuer base)"), base+"/organizations/v2.0"; got != want {
			t.Errorf("Authority (issuer base) = %q, want %q", got, want)
		}
		if got, want := p.value(t, "Authority (this tenant; portal Endpoints blade)"), base+"/"+tid+"/v2.0"; got != want {
			t.Errorf("tenant authority = %q, want %q", got, want)
		}
		for _, label := range []string{"OpenID Connect metadata document", "OpenID Connect metadata document (this tenant)"} {
			if doc := get(t, http.DefaultClient, p.value(t, label)); !bytes.Contains(doc, []byte(`"issuer"`)) {
				t.Errorf("%s: not a discovery document: %.200s", label, doc)
			}
		}
		if got, want := p.value(t, "Microsoft Graph base URL"), base+"/v1.0"; got != want {
			t.Errorf("Microsoft Graph base URL = %q, want %q", got, want)
		} else if resp, err := http.Get(got + "/users"); err != nil {
			t.Error(err)
		} else {
			doc, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !bytes.Contains(doc, []byte(`"InvalidAuthenticationToken"`)) {
				t.Errorf("Graph without a token: %d %.200s", resp.StatusCode, doc)
			}
		}
		out := p.output()
		for _, want := range []string{"Contoso SAML App", "B.Simon@contoso.com", "Passw0rd!", "DisabledUser@contoso.com", "SSO Users"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q\n%s", want, out)
			}
		}

		doc := get(t, http.DefaultClient, p.value(t, "App Federation Metadata Url"))
		if !bytes.HasPrefix(doc, []byte("\xEF\xBB\xBF<?xml")) {
			t.Errorf("metadata does not start with the UTF-8 BOM and the XML declaration: %q", doc[:min(len(doc), 40)])
		}
		if want := `entityID="https://sts.windows.net/` + tid + `/"`; !bytes.Contains(doc, []byte(want)) {
			t.Errorf("metadata lacks %s", want)
		}
		if !regexp.MustCompile(`<(\w+:)?Signature[ >]`).Match(doc) {
			t.Errorf("metadata is not signed")
		}
		cer := get(t, http.DefaultClient, p.value(t, "Certificate (Base64)"))
		if !bytes.Contains(cer, []byte("BEGIN CERTIFICATE")) {
			t.Errorf("Certificate (Base64) download is not a PEM certificate: %q", cer)
		}
		p.stop(t)
	}
}

// TestMetadataMatchesServe: `mockidp metadata` before `mockidp serve` with the same
// --key-dir publishes the same signing certificate.
func TestMetadataMatchesServe(t *testing.T) {
	t.Parallel()
	keyDir := t.TempDir()
	cmd := exec.Command(binary, "metadata", "--app", "Contoso SAML App", "--key-dir", keyDir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	offline, err := cmd.Output()
	if err != nil {
		t.Fatalf("mockidp metadata: %v\n%s", err, stderr.String())
	}
	if !bytes.HasPrefix(offline, []byte("\xEF\xBB\xBF")) || !bytes.Contains(offline, []byte(defaultAddr)) {
		t.Errorf("offline metadata should start with the BOM and name the default address %s", defaultAddr)
	}
	before := certs(offline)
	if len(before) == 0 {
		t.Fatalf("no X509Certificate in offline metadata:\n%s", offline)
	}

	p := serve(t, "--addr", "127.0.0.1:0", "--key-dir", keyDir)
	p.waitReady(t, http.DefaultClient)
	served := certs(get(t, http.DefaultClient, p.value(t, "App Federation Metadata Url")))
	if !slices.Equal(before, served) {
		t.Errorf("metadata printed %d certificate(s), serve published others:\n%v\n%v", len(before), before, served)
	}
	p.stop(t)
}

// TestMetadataFaultCerts: --fault-certs prints the certificate checks' certificates too,
// the same ones on every call with the same key directory, and a server on that directory
// signs the certificate faults with them (an SP given the printed metadata trusts them).
func TestMetadataFaultCerts(t *testing.T) {
	t.Parallel()
	keyDir := t.TempDir()
	printed := func(extra ...string) []string {
		cmd := exec.Command(binary, append([]string{"metadata", "--key-dir", keyDir}, extra...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("mockidp metadata %v: %v\n%s", extra, err, stderr.String())
		}
		return certs(out)
	}
	plain := printed()
	first, second := printed("--fault-certs"), printed("--fault-certs")
	if len(first) != len(plain)+3 || !slices.Equal(first, second) {
		t.Fatalf("--fault-certs: %d certificates then %d (plain %d); want the plain ones and 3 more, the same each time", len(first), len(second), len(plain))
	}
	cfg := idp.DefaultConfig()
	cfg.KeyDir = keyDir
	srv, err := idp.New(idp.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.PrepareFaults("saml.cert.expired", "saml.cert.not-yet-valid"); err != nil {
		t.Fatal(err)
	}
	tn := srv.Config().Tenants[0]
	doc, err := srv.Metadata(tn, tn.EnterpriseApps[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range certs(doc) {
		if !slices.Contains(first, c) {
			t.Errorf("the server publishes a certificate the printed metadata lacks")
		}
	}
	cmd := exec.Command(binary, "metadata", "--key-dir", "", "--fault-certs")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "--fault-certs needs a key directory") {
		t.Errorf("--fault-certs without a key directory: %v\n%s", err, out)
	}
}

// TestServeTLS: --tls serves HTTPS whose certificate the written CA PEM verifies.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "out", "ca.pem")
	p := serve(t, "--tls", "--addr", "127.0.0.1:0", "--key-dir", dir, "--ca-out", caFile)
	select {
	case u := <-p.ready:
		p.ready <- u
		if !strings.HasPrefix(u, "https://") {
			t.Fatalf("ready URL %q is not https", u)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("not ready\n%s", p.output())
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("CA PEM not written: %v\n%s", err, p.output())
	}
	if !strings.Contains(p.output(), caFile) {
		t.Errorf("serve does not say where it wrote the CA (%s)", caFile)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no PEM certificate", caFile)
	}
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	u, took := p.waitReady(t, trusting)
	t.Logf("mockidp serve --tls: start to ready in %v", took.Round(time.Millisecond))

	if _, err := http.Get(u); err == nil {
		t.Errorf("a client without the CA was not refused: the certificate is not the local CA's")
	}
	doc := get(t, trusting, p.value(t, "App Federation Metadata Url"))
	if !bytes.Contains(doc, []byte("https://127.0.0.1:")) {
		t.Errorf("TLS metadata does not name https endpoints")
	}
	p.stop(t)
}

// TestUsageErrors: mistakes exit with status 2 and a message naming the problem, never a
// stack trace.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	typo := write("typo.yaml", "tenantz: []\n")
	badID := write("badid.yaml", "tenants:\n  - id: not-a-guid\n    verifiedDomains: [x.onmicrosoft.com]\n")
	notYAML := write("broken.yaml", "tenants: [\n")
	keyDir := filepath.Join(dir, "keys")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"Usage:"}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate"`}},
		{[]string{"serve", "--bogus"}, []string{"-bogus"}},
		{[]string{"serve", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"serve", "--addr", "nonsense"}, []string{`--addr "nonsense"`}},
		{[]string{"serve", "--ca-out", "x.pem"}, []string{"--ca-out needs --tls"}},
		{[]string{"serve", "--config", filepath.Join(dir, "missing.yaml")}, []string{"missing.yaml", "no such file"}},
		{[]string{"serve", "--config", typo}, []string{"typo.yaml", "tenantz"}},
		{[]string{"serve", "--config", badID}, []string{"badid.yaml", "tenants[0].id", "GUID"}},
		{[]string{"serve", "--config", notYAML}, []string{"broken.yaml"}},
		{[]string{"serve", "--public-url", "ftp://x"}, []string{"publicUrl", "ftp://x"}},
		{[]string{"metadata", "--app", "Nope", "--key-dir", keyDir}, []string{`--app "Nope"`, `"Contoso SAML App"`}},
		{[]string{"metadata", "--tenant", "fabrikam.com", "--key-dir", keyDir}, []string{`--tenant "fabrikam.com"`, "contoso.onmicrosoft.com"}},
		{[]string{"metadata", "--addr", "127.0.0.1:0", "--key-dir", keyDir}, []string{"no fixed port"}},
		{[]string{"values", "--config", typo}, []string{"tenantz"}},
	} {
		t.Run(strings.ReplaceAll(strings.Join(tc.args, " "), dir, "DIR"), func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err == nil {
				code = 0
			}
			if code != exitUsage {
				t.Errorf("exit status %d, want %d\n%s", code, exitUsage, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if strings.Contains(stderr.String(), "goroutine ") {
				t.Errorf("stack trace on stderr:\n%s", stderr.String())
			}
		})
	}
}

// TestPortInUse: a taken port is a runtime failure (exit 1) that names the address.
func TestPortInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command(binary, "serve", "--addr", l.Addr().String(), "--key-dir", t.TempDir())
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitFailure {
		t.Fatalf("serve on a taken port: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), l.Addr().String()) {
		t.Errorf("message does not name the address:\n%s", out)
	}
}

func TestBrowsableHost(t *testing.T) {
	for in, want := range map[string]string{"": "localhost", "0.0.0.0": "localhost", "::": "localhost", "127.0.0.1": "127.0.0.1", "idp.test": "idp.test"} {
		if got := browsableHost(in); got != want {
			t.Errorf("browsableHost(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "0.0.0.0": false, "10.0.0.1": false} {
		if got := isLoopback(in); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestFaultsCommand prints the catalog: every fault with its protocol and verdict, filtered
// by pattern and protocol, and as JSON.
func TestFaultsCommand(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "faults").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, f := range idp.Faults() {
		if !bytes.Contains(out, []byte(string(f.ID)+" ")) {
			t.Errorf("faults does not list %s", f.ID)
		}
	}
	if !bytes.Contains(out, []byte("saml.cert.expired")) || !bytes.Contains(out, []byte("profile (warn)")) {
		t.Errorf("faults output:\n%s", out)
	}
	out, err = exec.Command(binary, "faults", "--protocol", "oidc", "oidc.id_token.*").CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("saml.")) || !bytes.Contains(out, []byte("oidc.id_token.alg-none")) || bytes.Contains(out, []byte("oidc.state.wrong")) {
		t.Errorf("filtered: %v\n%s", err, out)
	}
	out, err = exec.Command(binary, "faults", "--json", "saml.xsw.3").CombinedOutput()
	var list []idp.Fault
	if err != nil || json.Unmarshal(out, &list) != nil || len(list) != 1 || len(list[0].References) == 0 {
		t.Errorf("--json: %v\n%s", err, out)
	}
	cmd := exec.Command(binary, "faults", "nothing.matches")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !bytes.Contains(out, []byte("no fault matches")) {
		t.Errorf("no match: exit %d\n%s", cmd.ProcessState.ExitCode(), out)
	}
}
