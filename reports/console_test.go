package reports_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ssoharness/ssoharness/reports"
)

// consoleRun prints a whole run on c: header, every check, summary.
func consoleRun(c *reports.Console, run *reports.Run, paths ...string) {
	c.Start(run, len(run.Checks))
	for i, ch := range run.Checks {
		c.Progress(ch, i+1, len(run.Checks))
	}
	c.Summary(run, paths...)
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestConsolePlain(t *testing.T) {
	run, _ := fixture(t)
	var buf bytes.Buffer
	consoleRun(&reports.Console{W: &buf}, run, "out/index.html", "out/junit.xml", "out/report.json")
	out := buf.String()
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape codes without Color:\n%q", out)
	}
	for _, want := range []string{
		// header
		"target Contoso Expenses (SAML, OIDC)", "http://127.0.0.1:7443", "8 checks, 4 in parallel",
		// progress
		"[1/8] PASS   saml.happy.sp-initiated  accepted as B.Simon@contoso.com (1.8s)\n",
		"[2/8] FAIL   saml.audience.wrong  accepted as B.Simon@contoso.com (2.2s)\n" +
			"      why: The SP accepted an assertion whose <Audience> is not its Identifier (Entity ID).\n" +
			"           Any other app of the tenant could replay its assertions to this SP.\n" +
			"      fix: Check that AudienceRestriction/Audience",
		"[3/8] ERROR  saml.signature.missing  browser crashed (30.0s)\n      why: The browser tab crashed",
		"[4/8] WARN   oidc.nonce.replayed", "      why: The SP does not check that a nonce is used once.",
		"[5/8] SKIP   oidc.logout.front-channel  the target declares no front-channel logout URL",
		"[6/8] WAIVED saml.cert.expiring  rotation scheduled for 2026-05-20 (CHG-1234) (0.0s)\n[7/8]",
		// summary
		"8 checks: 2 pass, 2 fail, 1 warn, 1 waived, 1 skip, 1 error in 31.2s\n",
		"FAIL: 2 failed, 1 could not run\n",
		"reports: out/index.html  out/junit.xml  out/report.json\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// The summary table lists the checks that did not pass, and only those.
	_, table, ok := strings.Cut(out, "\nCHECK ")
	if !ok {
		t.Fatalf("no summary table:\n%s", out)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	for _, ch := range run.Checks {
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(ch.ID) + ` +` + strings.ToUpper(string(ch.Status)) + ` `)
		if listed := row.MatchString(table); listed != (ch.Status != reports.StatusPass) {
			t.Errorf("%s (%s): in the table = %v", ch.ID, ch.Status, listed)
		}
	}
	if strings.Contains(out, "why: SP-initiated") || strings.Contains(out, "      SP-initiated sign-in") {
		t.Error("descriptions printed without Verbose")
	}
}

func TestConsoleColor(t *testing.T) {
	run, _ := fixture(t)
	var plain, color bytes.Buffer
	consoleRun(&reports.Console{W: &plain}, run, "out/index.html")
	consoleRun(&reports.Console{W: &color, Color: true}, run, "out/index.html")
	out := color.String()
	for st, code := range map[string]string{
		"pass": "\x1b[32m", "fail": "\x1b[31m", "warn": "\x1b[33m", "waived": "\x1b[36m", "skip": "\x1b[2m", "error": "\x1b[35m",
	} {
		if !strings.Contains(out, code+strings.ToUpper(st)) {
			t.Errorf("%s: no %q before the status word", st, code)
		}
	}
	if !strings.Contains(out, "\x1b[0m") {
		t.Error("colours never reset")
	}
	// Colours change nothing else.
	if got := ansi.ReplaceAllString(out, ""); got != plain.String() {
		t.Errorf("coloured output without its escapes differs from the plain output:\n%s\n---\n%s", got, plain.String())
	}
}

func TestConsoleVerbose(t *testing.T) {
	run, _ := fixture(t)
	var buf bytes.Buffer
	consoleRun(&reports.Console{W: &buf, Verbose: true}, run)
	out := buf.String()
	for _, want := range []string{
		"      SP-initiated sign-in with a correct response is accepted.\n",
		"      step: +0.6s IdP sign-in page [200] http://127.0.0.1:7443/",
		"      see: SAML Core 2.0 §2.5.1.4\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verbose output lacks %q", want)
		}
	}
}

func TestConsoleAllPass(t *testing.T) {
	run := &reports.Run{Target: reports.Target{Name: "ok"}, DurationMS: 65000, Checks: []reports.Check{
		{ID: "a", Status: reports.StatusPass}, {ID: "b", Status: reports.StatusPass},
	}}
	var buf bytes.Buffer
	(&reports.Console{W: &buf}).Summary(run)
	out := buf.String()
	if strings.Contains(out, "CHECK") || !strings.Contains(out, "2 checks: 2 pass, 0 fail") ||
		!strings.Contains(out, "in 1m05s\nPASS\n") || strings.Contains(out, "reports:") {
		t.Errorf("all-pass summary:\n%s", out)
	}
}

// TestConsoleConcurrent prints from many goroutines: every line must stay whole.
func TestConsoleConcurrent(t *testing.T) {
	run, _ := fixture(t)
	var buf bytes.Buffer
	c := &reports.Console{W: &buf, Color: true}
	const total = 200
	var wg sync.WaitGroup
	for i := 0; i < total; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c.Progress(run.Checks[i%len(run.Checks)], i+1, total)
		}(i)
	}
	wg.Wait()
	progress := regexp.MustCompile(`^\[ *\d+/200\] \S+ +\S+ `)
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(ansi.ReplaceAllString(buf.String(), ""), "\n"), "\n") {
		switch {
		case progress.MatchString(line):
			n++
		case strings.HasPrefix(line, "          "):
		default:
			t.Errorf("mangled line %q", line)
		}
	}
	if n != total {
		t.Errorf("%d progress lines, want %d", n, total)
	}
}

func TestNewConsole(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm-256color")
	if c := reports.NewConsole(&bytes.Buffer{}); c.Color {
		t.Error("colour on a bytes.Buffer")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if c := reports.NewConsole(f); c.Color || c.W != f {
		t.Error("colour on a regular file")
	}

	// /dev/null is a character device, as a terminal is.
	dev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer dev.Close()
	if fi, err := dev.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Skipf("%s is not a character device here", os.DevNull)
	}
	if c := reports.NewConsole(dev); !c.Color {
		t.Error("no colour on a character device")
	}
	for _, env := range [][2]string{{"NO_COLOR", "1"}, {"TERM", "dumb"}} {
		t.Run(fmt.Sprintf("%s=%s", env[0], env[1]), func(t *testing.T) {
			t.Setenv(env[0], env[1])
			if c := reports.NewConsole(dev); c.Color {
				t.Error("colour despite the environment")
			}
		})
	}
}
