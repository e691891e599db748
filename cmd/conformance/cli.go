package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/internal/cli"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// Exit statuses (see internal/cli).
const (
	exitFailure = cli.ExitFailure
	exitUsage   = cli.ExitUsage
)

// usagef is a mistake of the caller (flag, argument, target file): exit status 2.
var usagef = cli.Usagef

const usageText = `conformance: SSO conformance checks against a service provider (ssoharness)

Usage:
  conformance run      [--target FILE] [--only GLOB] [--skip GLOB] [--parallel N] [--report-dir DIR]
                       [--browser PATH | --browser-url ws://… …] [--screenshots key|all|none] [--timeout 30s] [--check-timeout 2m]
                       [--shard i/n] [--idp-replicas N]
  conformance merge    [--report-dir DIR] SHARD-DIR…
  conformance list     [--json] [--protocol SAML|OIDC] [GLOB]
  conformance validate --target FILE
  conformance version

run       starts the embedded mock Entra ID from the target, drives headless Chromium through
          every applicable check, prints a verdict per check and writes junit.xml,
          report.json and index.html; with no --target it checks the built-in reference SPs
          (--shard i/n: only part i of n; merge the parts' report directories afterwards;
          --idp-replicas N: the mock IdP as N replicas behind a round-robin HAProxy)
merge     combines the report directories of the parts of a sharded run into one run's
          reports (junit.xml, report.json, index.html) and exit status
list      prints the catalog: check ID, protocol, kind, expected verdict, description
validate  reads a target file and reports every problem with the fix

Exit status: 0 all passed (warn, waived, skip allowed), 1 a check failed or errored, 2 usage.
Run "conformance COMMAND -h" for the flags of a command.
`

// runSynopsis is the synopsis of conformance run.
const runSynopsis = "[--target FILE] [--only GLOB] [--skip GLOB] [--parallel N] [--report-dir DIR] " +
	"[--browser PATH | --browser-url ws://… …] [--screenshots key|all|none] [--timeout 30s] [--check-timeout 2m] [--shard i/n] [--idp-replicas N]"

// multiFlag collects a repeatable flag (also comma-separated).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// program is the command: its subcommands on the shared skeleton.
var program = &cli.Program{
	Name:  "conformance",
	Usage: usageText,
	Commands: []cli.Command{
		{Name: "run", Run: runCmd},
		{Name: "merge", Run: mergeCmd},
		{Name: "list", Run: listCmd},
		{Name: "validate", Run: validateCmd},
	},
	// A target file's mistakes are the caller's.
	IsUsage: func(err error) bool {
		var fe *scenarios.FieldError
		return errors.As(err, &fe)
	},
}

// run is the whole command; main only adds the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return program.Run(ctx, args, stdout, stderr)
}

func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	return cli.NewFlagSet("conformance", name, synopsis, stderr)
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", runSynopsis, stderr)
	target := fs.String("target", "", "target file (YAML) describing the SP; default: the built-in reference SPs")
	var only, skip multiFlag
	fs.Var(&only, "only", "run only checks matching this ID or glob (repeatable, comma-separated; saml:config.* picks one protocol)")
	fs.Var(&skip, "skip", "skip checks matching this ID or glob (repeatable)")
	parallel := fs.Int("parallel", 2, "checks run at once, each in its own browser context")
	reportDir := fs.String("report-dir", "conformance-report", "directory for junit.xml, report.json, index.html and screenshots")
	browser := fs.String("browser", "", "Chromium binary (default: chromium on PATH or $CHROMIUM)")
	var browserURLs multiFlag
	fs.Var(&browserURLs, "browser-url", "DevTools URL of a running browser (ws://host:9222/devtools/browser/…, http://host:9222, a grid's ws://grid:4444/session/ID/se/cdp); repeat it for a pool: the checks are spread over the browsers, --parallel in all")
	shard := fs.String("shard", "", "run only part i of n of the applicable checks (i/n, e.g. 2/3); combine the parts with conformance merge")
	refSP := fs.Bool("reference-sp", false, "serve the target's sign-in URLs (and graph and scim endpoints) with strict reference SPs configured from the target (try a guide's values before the real SP exists)")
	insecure := fs.Bool("insecure-tls", false, "ignore certificate errors of the SP in the browser (self-signed test SP)")
	shots := fs.String("screenshots", "key", "screenshots: key (IdP page and outcome), all (every step), none")
	timeout := fs.Duration("timeout", 30*time.Second, "how long one page may take to settle")
	checkTimeout := fs.Duration("check-timeout", 2*time.Minute, "how long one check may take in all; a check that runs out is an error, never a pass")
	keyWait := fs.Duration("key-refetch-wait", 61*time.Second, "how long oidc.key.rotation waits before the token signed with a new key: past the refetch limit an RP may put on its key set (default 61s; 0 with the built-in reference SPs, which refetch at once)")
	verbose := fs.Bool("v", false, "print each check's description, steps and references")
	replicas := fs.Int("idp-replicas", 0, "run the mock IdP as `N` replicas (same keys, one shared store) behind a round-robin HAProxy that balances every request on its own (overrides the target's idp.replicas; needs haproxy)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags come before nothing: conformance run --target FILE)", fs.Arg(0))
	}
	if !cli.IsSet(fs, "key-refetch-wait") && (*target == "" || *refSP) {
		*keyWait = 0 // the reference RPs refetch on an unknown kid at once
	}
	if *keyWait <= 0 {
		*keyWait = -1 // Options: negative is no wait
	}
	if *parallel < 1 || *parallel > 32 {
		return usagef("--parallel %d: want 1 to 32", *parallel)
	}
	var part scenarios.Shard
	if *shard != "" {
		var err error
		if part, err = scenarios.ParseShard(*shard); err != nil {
			return usagef("%v", err)
		}
	}
	if *browser != "" && len(browserURLs) > 0 {
		return usagef("--browser and --browser-url are exclusive: launch a local browser, or use a running one")
	}
	switch *shots {
	case "key", "all", "none":
	default:
		return usagef("--screenshots %q: want key, all or none", *shots)
	}
	if *replicas < 0 || *replicas > scenarios.MaxReplicas {
		return usagef("--idp-replicas %d: want 1 to %d", *replicas, scenarios.MaxReplicas)
	}
	withReplicas := func(t *scenarios.Target) {
		if *replicas > 0 {
			t.IdP.Replicas = *replicas
		}
	}
	if *refSP && *target == "" {
		return usagef("--reference-sp needs --target (without one the run uses the built-in reference SPs anyway)")
	}
	if len(scenarios.Select(only, skip)) == 0 {
		return usagef("--only/--skip select no check (run `conformance list` for the IDs)")
	}
	var env *scenarios.Env
	var err error
	if *target == "" {
		env, _, err = scenarios.StartReferenceEnv(ctx, scenarios.ReferenceOptions{}, withReplicas)
	} else {
		var t *scenarios.Target
		if t, err = scenarios.LoadTarget(*target); err != nil {
			return cli.Usage(err)
		}
		withReplicas(t)
		env, err = scenarios.Start(ctx, t, scenarios.StartOptions{})
		if err == nil && *refSP {
			if _, err = scenarios.StartTargetReferences(ctx, env); err != nil {
				env.Close()
			}
		}
	}
	if err != nil {
		return err
	}
	defer env.Close()
	if err := os.MkdirAll(*reportDir, 0o755); err != nil {
		return err
	}
	if ca := env.CAPEM(); env.Target.IdP.TLS && len(ca) > 0 {
		_ = os.WriteFile(filepath.Join(*reportDir, "idp-ca.pem"), ca, 0o644)
	}
	con := reports.NewConsole(stdout)
	con.Verbose = *verbose
	res, err := scenarios.Run(ctx, env, scenarios.Options{
		Only: only, Skip: skip, Parallel: *parallel, ReportDir: *reportDir, Screenshots: *shots, PageTimeout: *timeout, CheckTimeout: *checkTimeout,
		KeyRefetchWait: *keyWait,
		Browser:        scenarios.BrowserOptions{Path: *browser, IgnoreCertErrors: *insecure},
		BrowserURLs:    browserURLs,
		Shard:          part,
		OnStart:        func(r *reports.Run, total int) { con.Start(r, total) },
		Progress:       con.Progress,
		Tool:           "ssoharness conformance " + cli.Version(),
	})
	if err != nil {
		return err
	}
	paths, err := reports.WriteAll(*reportDir, res)
	if err != nil {
		return err
	}
	con.Summary(res, paths.List()...)
	if part.Count > 0 {
		fmt.Fprintf(stdout, "part %s of a sharded run: the findings are judged, and the run's verdict given, by conformance merge over every part's report directory\n", part)
	}
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	if code := res.ExitCode(); code != cli.ExitOK {
		return cli.ExitStatus(code)
	}
	return nil
}

func mergeCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge", "[--report-dir DIR] SHARD-DIR…", stderr)
	reportDir := fs.String("report-dir", "conformance-report", "directory for the merged junit.xml, report.json, index.html and screenshots")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("merge needs the report directories of the parts (conformance merge --report-dir DIR part1 part2 …)")
	}
	res, paths, missing, err := scenarios.MergeDirs(fs.Args(), *reportDir)
	if err != nil {
		return err
	}
	con := reports.NewConsole(stdout)
	con.Summary(res, paths.List()...)
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "conformance merge: error: no report of part %s: its checks are errors in the merged run (did that part run?)\n",
			strings.Join(missing, ", part "))
	}
	if code := res.ExitCode(); code != cli.ExitOK {
		return cli.ExitStatus(code)
	}
	return nil
}

func listCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("list", "[--json] [-v] [--protocol SAML|OIDC] [GLOB]", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	verbose := fs.Bool("v", false, "print each check's references after the table")
	proto := fs.String("protocol", "", "only SAML or OIDC")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	var globs []string
	if fs.NArg() > 0 {
		globs = fs.Args()
	}
	var out []scenarios.Check
	for _, c := range scenarios.Select(globs, nil) {
		if *proto == "" || strings.EqualFold(*proto, c.Protocol) {
			out = append(out, c)
		}
	}
	if *proto != "" && !strings.EqualFold(*proto, "SAML") && !strings.EqualFold(*proto, "OIDC") {
		return usagef("--protocol %q: want SAML or OIDC", *proto)
	}
	if len(out) == 0 {
		return usagef("no check matches %s", strings.Join(globs, " "))
	}
	if *asJSON {
		return cli.PrintJSON(stdout, out)
	}
	tw := cli.NewTable(stdout)
	fmt.Fprintln(tw, "CHECK\tPROTOCOL\tKIND\tEXPECTED\tDESCRIPTION")
	for _, c := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Protocol, c.Kind, c.Expected, c.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if *verbose {
		for _, c := range out {
			if len(c.References) == 0 {
				continue
			}
			fmt.Fprintf(stdout, "\n%s (%s %s) references:\n", c.ID, c.Protocol, c.Kind)
			for _, r := range c.References {
				fmt.Fprintf(stdout, "  - %s\n", r)
			}
		}
	}
	fmt.Fprintf(stdout, "\n%d checks\n", len(out))
	return nil
}

func validateCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "--target FILE", stderr)
	target := fs.String("target", "", "target file")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *target == "" {
		return usagef("validate needs --target FILE")
	}
	t, err := scenarios.LoadTarget(*target)
	if err != nil {
		return cli.Usage(err)
	}
	fmt.Fprintf(stdout, "%s: ok (%s; %s)\n", *target, t.Name, strings.Join(t.Protocols(), ", "))
	return nil
}
