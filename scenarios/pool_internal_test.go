package scenarios

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/reports"
)

// remoteChromium is a Chromium started by the test as a process of its own, reachable only
// over its DevTools endpoint: what a browser grid serves.
type remoteChromium struct {
	cmd  *exec.Cmd
	ws   string // ws://127.0.0.1:PORT/devtools/browser/ID
	http string // http://127.0.0.1:PORT
}

var devtoolsLine = regexp.MustCompile(`DevTools listening on (ws://([^/\s]+)/devtools/browser/\S+)`)

// startRemoteChromium starts a headless Chromium with a remote debugging port and the flags
// a remote browser must be given by whoever starts it (the run cannot pass them over CDP):
// the host mappings and the certificates to trust.
func startRemoteChromium(t *testing.T, env *Env) *remoteChromium {
	t.Helper()
	path, err := FindChromium()
	if err != nil {
		t.Skipf("%v — `make test` installs it", err)
	}
	args := []string{"--headless", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--no-sandbox",
		"--user-data-dir=" + t.TempDir(), "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
		"--disable-features=HttpsUpgrades", "--host-resolver-rules=" + hostRules(env.Hosts)}
	if len(env.Trust) > 0 {
		args = append(args, "--ignore-certificate-errors-spki-list="+spkiList(env.Trust))
	}
	cmd := exec.Command(path, append(args, "about:blank")...)
	// Its own process group: Debian's chromium commands are shell scripts that start the
	// browser as a child, so killing the group is what kills the browser.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rc := &remoteChromium{cmd: cmd}
	t.Cleanup(func() { rc.kill(); _ = cmd.Wait() })
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsLine.FindStringSubmatch(sc.Text()); m != nil && rc.ws == "" {
				rc.ws, rc.http = m[1], "http://"+m[2]
				close(found)
			}
		}
	}()
	select {
	case <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("the remote Chromium never said where DevTools listens")
	}
	return rc
}

// kill kills the browser (its process group) at once, as a crashed grid node would go.
func (rc *remoteChromium) kill() { _ = syscall.Kill(-rc.cmd.Process.Pid, syscall.SIGKILL) }

// busy reports whether the browser has a page on the SP or the IdP open: a check is running
// in it (each check closes its pages when it ends).
func (rc *remoteChromium) busy() bool {
	resp, err := http.Get(rc.http + "/json/list")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var targets []struct{ Type, URL string }
	if json.NewDecoder(resp.Body).Decode(&targets) != nil {
		return false
	}
	for _, tg := range targets {
		if tg.Type == "page" && strings.HasPrefix(tg.URL, "https://") {
			return true
		}
	}
	return false
}

// TestRemoteBrowserPoolLoss runs ten checks through two Chromium processes reached over
// their DevTools endpoints, and kills one while it runs a check: the checks it was running
// are errors naming it, and every other check (those still queued included) runs on the
// browser left and passes.
func TestRemoteBrowserPoolLoss(t *testing.T) {
	if _, err := FindChromium(); err != nil {
		t.Skipf("%v — `make test` installs it", err)
	}
	ctx := context.Background()
	env, _, err := StartReferenceEnv(ctx, ReferenceOptions{IdP: []idp.Option{idp.WithKeyGenerator(idptest.PooledKeys())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	a, b := startRemoteChromium(t, env), startRemoteChromium(t, env)
	var once sync.Once
	var finished atomic.Int32 // checks done so far
	killed := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			// Mid-run: once a few checks are done, while the second browser runs one.
			if finished.Load() >= 3 && b.busy() {
				once.Do(func() { b.kill(); t.Logf("killed at %s", time.Now().Format("15:04:05.000")); close(killed) })
				return
			}
		}
	}()
	only := []string{"saml.sp.*,saml.audience.*,saml.sig.none,saml.xsw.1,oidc.code.*,oidc.nonce.wrong"}
	run, err := Run(ctx, env, Options{Only: only, Parallel: 2, KeyRefetchWait: -1, Screenshots: "none",
		BrowserURLs: []string{a.ws, b.ws}, Progress: func(c reports.Check, done, total int) {
			finished.Add(1)
			t.Logf("%s %s %s %s", time.Now().Format("15:04:05.000"), c.ID, c.Status, c.Diagnosis)
		}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-killed:
	default:
		t.Fatal("the second browser never ran a check, so it was never killed")
	}
	var errs int
	for _, c := range run.Checks {
		switch c.Status {
		case reports.StatusPass:
		case reports.StatusError:
			errs++
			if !strings.Contains(c.Diagnosis, b.ws) || !strings.Contains(c.Diagnosis, "lost") {
				t.Errorf("%s: error %q does not say the killed browser was lost", c.ID, c.Diagnosis)
			}
		default:
			t.Errorf("%s: %s (%s %s), want pass or, on the killed browser, error", c.ID, c.Status, c.Observed, c.Diagnosis)
		}
	}
	// One check at a time per browser (--parallel 2 over two browsers): the killed browser
	// was running exactly one.
	if errs != 1 {
		t.Errorf("%d checks are errors, want the 1 the killed browser was running", errs)
	}
	if len(run.Checks) != 10 {
		t.Errorf("%d checks ran, want 10", len(run.Checks))
	}
	t.Logf("%d checks over 2 remote browsers, one killed mid-run: %+v (%s)", len(run.Checks), run.Summary, run.Duration())
}

// TestRewritableURL: Chromium's own endpoints may be resolved by chromedp; a grid's or
// browserless's must be dialled as given (their paths and tokens are the session).
func TestRewritableURL(t *testing.T) {
	for u, want := range map[string]bool{
		"http://127.0.0.1:9222":                          true,
		"ws://127.0.0.1:9222/devtools/browser/0b1c-2d3e": true,
		"ws://grid:4444/session/5e4f1c2a/se/cdp":         false,
		"ws://browserless:3000?token=6R0W53R135510":      false,
		"wss://production-sfo.browserless.io?token=abc":  false,
	} {
		if got := rewritableURL(u); got != want {
			t.Errorf("rewritableURL(%s) = %v, want %v", u, got, want)
		}
	}
}
