package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/internal/cli"
	"github.com/ssoharness/ssoharness/internal/signer"
	"github.com/ssoharness/ssoharness/load"
)

const benchSynopsis = "[--protocol saml|oidc|both] [--concurrency 8] [--duration 10s] [--warmup 1s] [--json] " +
	"[--url URL --pid PID | --server-cmd CMD [--url URL]] [--flavor entra|oauth2-mock-server|saml-idp] [--max-errors 100] [--signer auto|openssl|go]"

// cmdBench is `mockidp bench`: flags in, load.Run, the report out. Exit 1 when a sign-in
// failed or the run could not be made.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", benchSynopsis, stderr)
	protocol := fs.String("protocol", "both", "`protocols` to run one after the other: saml, oidc or both")
	concurrency := fs.Int("concurrency", load.DefaultConcurrency, "virtual users signing in at once")
	duration := fs.Duration("duration", load.DefaultDuration, "measured `time` of each protocol's run")
	warmup := fs.Duration("warmup", load.DefaultWarmup, "load before each measured window, not counted (0: none)")
	asJSON := fs.Bool("json", false, "print the result as JSON instead of text")
	rawURL := fs.String("url", "", "base `URL` of a server not started by bench (with --server-cmd: its URL; {port} is a free port)")
	pid := fs.Int("pid", 0, "`PID` of the --url server, whose CPU time is measured")
	serverCmd := fs.String("server-cmd", "", "start this shell `command` as the server and measure its CPU ({port}: a free port)")
	flavor := fs.String("flavor", "entra", "the server's `kind`: "+strings.Join(load.FlavorNames(), ", "))
	maxErrors := fs.Int("max-errors", 100, "stop a run after this many failed sign-ins (0: never)")
	timeout := fs.Duration("timeout", load.DefaultRequestTimeout, "timeout of each HTTP request")
	user := fs.String("user", "", "user to sign in as (default: the flavor's, B.Simon@contoso.com)")
	password := fs.String("password", "", "the user's password (default: the flavor's)")
	keyDir := fs.String("key-dir", "", "with the mock started by bench: its --key-dir (\"\": keys in memory only)")
	serverLog := fs.String("server-log", "", "`file` to write the started server's output to (default: kept in memory, shown on failure)")
	sigCost := fs.Duration("signature-cost", 0, "use this cost of one RSA-2048 signature instead of measuring it")
	readyTimeout := fs.Duration("ready-timeout", load.DefaultReadyTimeout, "how long to wait for the server to be ready")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	signerName := signerFlag(fs)
	if err := cli.ParseNoArgs(fs, args); err != nil {
		return err
	}
	protos, err := load.ParseProtocols(*protocol)
	if err != nil {
		return usagef("--protocol: %v", err)
	}
	f, err := load.FlavorByName(*flavor)
	if err != nil {
		return usagef("--flavor: %v", err)
	}
	if *user != "" {
		f.User = *user
	}
	if *password != "" {
		f.Password = *password
	}
	if *concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	if *duration <= 0 {
		return usagef("--duration must be positive")
	}
	if *maxErrors < 0 {
		return usagef("--max-errors must not be negative")
	}
	// The signer: the started mock's (--signer is passed on) and the one whose signature
	// cost the overhead figures divide by.
	sb, signerNote, err := signer.Choose(*signerName)
	if err != nil {
		return usagef("--signer: %v", err)
	}
	opts := load.Options{
		Protocols: protos, Concurrency: *concurrency, Duration: *duration, Warmup: *warmup,
		Flavor: &f, MaxErrors: *maxErrors, RequestTimeout: *timeout, SignatureCost: *sigCost, Signer: sb,
		Server: load.Server{URL: *rawURL, PID: *pid, ReadyTimeout: *readyTimeout},
	}
	if *warmup == 0 {
		opts.Warmup = -1 // none
	}
	if !*quiet {
		opts.Log = stderr
		fmt.Fprintf(stderr, "mockidp bench: signer %s\n", sb)
		if signerNote != "" {
			fmt.Fprintf(stderr, "mockidp bench: %s\n", signerNote)
		}
	}
	switch {
	case *serverCmd != "":
		if *pid != 0 {
			return usagef("--pid is for a server bench does not start; with --server-cmd its PID is measured")
		}
		// exec: the shell becomes the command, so the PID measured is the server's.
		opts.Server.Command = []string{"/bin/sh", "-c", "exec " + *serverCmd}
	case *rawURL != "":
		if *pid == 0 {
			fmt.Fprintln(stderr, "mockidp bench: warning: no --pid: the server's CPU is not measured")
		}
	default:
		if *pid != 0 {
			return usagef("--pid needs --url")
		}
		if f.Name != "entra" {
			return usagef("--flavor %s: bench starts only the mock itself; give --server-cmd or --url", f.Name)
		}
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding the mockidp executable: %w", err)
		}
		opts.Server.Command = []string{exe, "serve", "--addr", "127.0.0.1:0", "--key-dir", *keyDir, "--signer", sb.Name()}
	}
	if *serverLog != "" {
		lf, err := os.Create(*serverLog)
		if err != nil {
			return fmt.Errorf("--server-log: %w", err)
		}
		defer lf.Close()
		opts.Server.Output = lf
	}
	// The load generator shares the machine with the server it measures: the same GC
	// trade as serve's (tuneGC) takes ~14% off its CPU per sign-in (0.65 → 0.55 ms for an
	// OIDC sign-in at c=8), CPU the server — mock or peer alike — gets instead.
	tuneGC()
	start := time.Now()
	res, err := load.Run(ctx, opts)
	var sie *load.SignInError
	if *asJSON {
		if jerr := cli.PrintJSON(stdout, res); jerr != nil {
			return jerr
		}
	} else if len(res.Runs) > 0 || errors.As(err, &sie) {
		res.Format(stdout)
	}
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "mockidp bench: done in %v\n", time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}
