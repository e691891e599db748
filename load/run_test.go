package load

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// short are the options of a short run against srvURL measured as this process. The
// signature cost is given: TestMeasureSignatureCost measures it.
func short(srvURL string, f Flavor, p ...Protocol) Options {
	return Options{
		Protocols:     p,
		Concurrency:   2,
		Duration:      300 * time.Millisecond,
		Warmup:        100 * time.Millisecond,
		Flavor:        &f,
		Server:        Server{URL: srvURL, PID: os.Getpid()},
		SignatureCost: time.Millisecond,
	}
}

// checkRun asserts what every successful run must show.
func checkRun(t *testing.T, rr RunResult) {
	t.Helper()
	if rr.SignIns == 0 {
		t.Fatalf("%s: no sign-in completed: %+v", rr.Protocol, rr)
	}
	if rr.Failed() != 0 {
		t.Fatalf("%s: %d failed sign-ins: %+v", rr.Protocol, rr.Failed(), rr.ErrorSamples)
	}
	if rr.P50 <= 0 || rr.P50 > rr.P99 || rr.P99 > rr.Max {
		t.Errorf("%s: percentiles out of order: p50 %v p99 %v max %v", rr.Protocol, rr.P50, rr.P99, rr.Max)
	}
	if !rr.CPUMeasured || rr.ServerCPU <= 0 || rr.ServerCPUPerSignIn <= 0 {
		t.Errorf("%s: server CPU not measured: measured=%v cpu=%v (%s)", rr.Protocol, rr.CPUMeasured, rr.ServerCPU, rr.CPUNote)
	}
	if rr.Overhead <= 0 {
		t.Errorf("%s: no overhead ratio", rr.Protocol)
	}
	if rr.Rate <= 0 || rr.Window <= 0 {
		t.Errorf("%s: rate %v over %v", rr.Protocol, rr.Rate, rr.Window)
	}
	if !strings.Contains(rr.Line(), "sign-ins") {
		t.Errorf("Line() = %q", rr.Line())
	}
}

func TestRunInProcess(t *testing.T) {
	srv := idptest.Start(t)
	res, err := Run(context.Background(), short(srv.URL, Entra(), ProtocolSAML, ProtocolOIDC))
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, res)
	}
	if len(res.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(res.Runs))
	}
	saml, oidc := res.Runs[0], res.Runs[1]
	checkRun(t, saml)
	checkRun(t, oidc)
	// The mock signs the assertion only, by default: one ds:Signature per Response.
	if saml.SigsMin != 1 || saml.SigsMax != 1 || saml.SignaturesPerSignIn != 1 {
		t.Errorf("saml: signatures per sign-in %v (%d-%d), want 1", saml.SignaturesPerSignIn, saml.SigsMin, saml.SigsMax)
	}
	if oidc.SigsMin < 1 {
		t.Errorf("oidc: signatures per sign-in %v (min %d), want ≥ 1", oidc.SignaturesPerSignIn, oidc.SigsMin)
	}
	out := res.String()
	for _, want := range []string{"saml c=2", "oidc c=2", "overhead", "inside the bench process"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	t.Logf("\n%s", out)
}

// The mock as a child process, as `mockidp bench` runs it: URL read from its output, CPU
// from /proc, killed at the end.
func TestRunChildProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU accounting needs Linux")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "mockidp")
	build := exec.Command(goTool, "build", "-o", bin, "github.com/ssoharness/ssoharness/cmd/mockidp")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := Entra()
	o := short("", f, ProtocolSAML, ProtocolOIDC)
	o.Server = Server{Command: []string{bin, "serve", "--addr", "127.0.0.1:0", "--key-dir", ""}, ReadyTimeout: 20 * time.Second}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, res)
	}
	if res.ServerPID == 0 || res.ServerPID == os.Getpid() || !strings.HasPrefix(res.ServerURL, "http://127.0.0.1:") {
		t.Fatalf("server PID %d URL %q", res.ServerPID, res.ServerURL)
	}
	for _, rr := range res.Runs {
		checkRun(t, rr)
	}
	if res.Runs[0].SignaturesPerSignIn != 1 {
		t.Errorf("saml: %v signatures per sign-in, want 1", res.Runs[0].SignaturesPerSignIn)
	}
	// Run stopped the child.
	if err := syscall.Kill(res.ServerPID, 0); err == nil {
		t.Errorf("the server (PID %d) still runs after Run returned", res.ServerPID)
	}
	t.Logf("\n%s", res)
}

func TestWrongPassword(t *testing.T) {
	srv := idptest.Start(t)
	f := Entra()
	f.Password = "not-the-password"
	for _, p := range []Protocol{ProtocolSAML, ProtocolOIDC} {
		res, err := Run(context.Background(), short(srv.URL, f, p))
		var sie *SignInError
		if !errors.As(err, &sie) {
			t.Fatalf("%s: err = %v, want a *SignInError", p, err)
		}
		rr := res.Runs[0]
		if rr.SignIns != 0 || rr.Failed() == 0 || sie.Failed != rr.Failed() {
			t.Fatalf("%s: %d sign-ins, %d failed (error says %d): every sign-in must fail", p, rr.SignIns, rr.Failed(), sie.Failed)
		}
		if len(rr.ErrorSamples) != 1 || rr.ErrorSamples[0].Count != rr.Failed() {
			t.Errorf("%s: error samples %+v: want one kind counting every failure", p, rr.ErrorSamples)
		}
		if msg := rr.ErrorSamples[0].Message; !strings.Contains(msg, "AADSTS50126") || !strings.Contains(msg, "password step") {
			t.Errorf("%s: message %q lacks AADSTS50126 / the step", p, msg)
		}
		if !strings.Contains(res.String(), "ERRORS:") {
			t.Errorf("report hides the errors:\n%s", res)
		}
	}
}

func TestWrongRedirectURI(t *testing.T) {
	srv := idptest.Start(t)
	f := Entra()
	f.OIDC.RedirectURI = "http://localhost:8080/not-registered"
	o := short(srv.URL, f, ProtocolOIDC)
	o.MaxErrors = 3
	res, err := Run(context.Background(), o)
	if err == nil {
		t.Fatal("Run succeeded with an unregistered redirect URI")
	}
	rr := res.Runs[0]
	if rr.SignIns != 0 || rr.Failed() < 3 {
		t.Fatalf("%d sign-ins, %d failed", rr.SignIns, rr.Failed())
	}
	if !strings.Contains(rr.ErrorSamples[0].Message, "AADSTS50011") {
		t.Errorf("message %q lacks AADSTS50011", rr.ErrorSamples[0].Message)
	}
	if !strings.Contains(rr.StoppedEarly, "max errors") {
		t.Errorf("StoppedEarly = %q, want the max-errors stop", rr.StoppedEarly)
	}
}

func TestUnassignedUserSAML(t *testing.T) {
	srv := idptest.Start(t)
	f := Entra()
	f.User = "MeganB@contoso.com" // not assigned to the SAML app
	res, err := Run(context.Background(), short(srv.URL, f, ProtocolSAML))
	if err == nil || res.Runs[0].SignIns != 0 {
		t.Fatalf("err %v, %d sign-ins: want every sign-in to fail", err, res.Runs[0].SignIns)
	}
	if msg := res.Runs[0].ErrorSamples[0].Message; !strings.Contains(msg, "AADSTS50105") {
		t.Errorf("message %q lacks AADSTS50105", msg)
	}
}

func TestServerNotReady(t *testing.T) {
	o := short("", Entra(), ProtocolSAML)
	o.Server = Server{Command: []string{"/bin/sh", "-c", "echo starting; echo broken config >&2; exit 3"}, ReadyTimeout: 5 * time.Second}
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "broken config") {
		t.Fatalf("err = %v, want the exit and the server's output", err)
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "no server"},
		{Options{Server: Server{URL: "http://x"}, Concurrency: -1}, "concurrency"},
		{Options{Server: Server{URL: "http://x"}, Protocols: []Protocol{"ws-fed"}}, "unknown protocol"},
		{Options{Server: Server{URL: "http://x"}, Protocols: []Protocol{ProtocolSAML}, Flavor: ptr(OAuth2MockServer())}, "does not do SAML"},
		{Options{Server: Server{Command: []string{"x"}, PID: 3}}, "PID"},
	} {
		if _, err := Run(context.Background(), tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v) = %v, want an error with %q", tc.o, err, tc.want)
		}
	}
	ps, err := ParseProtocols("both")
	if err != nil || len(ps) != 2 || ps[0] != ProtocolSAML || ps[1] != ProtocolOIDC {
		t.Errorf("ParseProtocols(both) = %v, %v", ps, err)
	}
	if _, err := ParseProtocols("saml,ldap"); err == nil {
		t.Error("ParseProtocols accepted ldap")
	}
}

func ptr[T any](v T) *T { return &v }

func TestMeasureSignatureCost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("RUSAGE_THREAD is Linux")
	}
	c, err := MeasureSignatureCost(20, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	mean := c.CPU / time.Duration(max(c.Signatures, 1))
	if c.Signatures < 20 || c.CPU < 50*time.Millisecond || c.PerSignature < mean/2 || c.PerSignature > 2*mean {
		t.Errorf("cost %+v: the median batch is far from the mean %v", c, mean)
	}
	// An RSA-2048 signature costs between 50 µs and 50 ms on anything that runs Go.
	if c.PerSignature < 50*time.Microsecond || c.PerSignature > 50*time.Millisecond {
		t.Errorf("%v per signature is implausible", c.PerSignature)
	}
}

// The Entra flavor's values are those of the embedded default directory.
func TestEntraFlavorMatchesDefaultDirectory(t *testing.T) {
	cfg := idp.DefaultConfig()
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	ten := cfg.Tenants[0]
	f := Entra()
	if !strings.Contains(f.SAML.SSOPath, ten.ID) || !strings.Contains(f.OIDC.TokenPath, ten.ID) {
		t.Errorf("tenant %s not in %s / %s", ten.ID, f.SAML.SSOPath, f.OIDC.TokenPath)
	}
	app := ten.EnterpriseApp("Contoso SAML App")
	if app == nil || app.SAML.Identifiers[0].Value != f.SAML.SPEntityID || app.SAML.ReplyURLs[0].URL != f.SAML.ACSURL {
		t.Errorf("SAML app %+v does not match the flavor %+v", app, f.SAML)
	}
	reg := ten.AppRegistrations[0]
	if reg.AppID != f.OIDC.ClientID || reg.Web.RedirectURIs[0] != f.OIDC.RedirectURI || reg.PasswordCredentials[0].SecretText != f.OIDC.ClientSecret {
		t.Errorf("app registration does not match the flavor %+v", f.OIDC)
	}
	found := false
	for _, u := range ten.Users {
		found = found || (u.UserPrincipalName == f.User && u.Password == f.Password)
	}
	if !found {
		t.Errorf("no user %s with the flavor's password", f.User)
	}
}
