package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/signer"
	"github.com/ssoharness/ssoharness/provision"
)

// caFileName is the CA PEM written by serve --tls when --ca-out is not given.
const caFileName = "mockidp-ca.pem"

// tuneGC trades memory for CPU unless GOGC / GOMEMLIMIT say otherwise: almost all a sign-in
// allocates is garbage once it is answered, and the live heap is small (the bounded sign-in
// log, sessions), so collecting at 5× the live heap instead of 2× takes about 4% off the CPU
// of a sign-in under load (`mockidp bench`, see docs/PERFORMANCE.md); the memory limit keeps
// the heap under 256 MiB whatever the load. serve and bench's load generator both call it.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("serve", "[--config FILE] [--addr 127.0.0.1:7443] [--public-url URL] [--tls] [--ca-out FILE] [--key-dir DIR] [--control-token TOKEN] [--signer auto|openssl|go] [--store URL [--store-token TOKEN]] [--state-key-file FILE]", stderr)
	c.register(fs)
	var sf storeFlags
	sf.register(&c)
	signerName := signerFlag(fs)
	fs.StringVar(&c.control, "control-token", os.Getenv("MOCKIDP_CONTROL_TOKEN"), "enable the control API under /_mockidp/faults with this bearer `token` (default $MOCKIDP_CONTROL_TOKEN; off when empty)")
	caOut := fs.String("ca-out", "", "with --tls, `file` to write the local CA certificate (PEM) to (default: "+caFileName+" in the key directory, else in the working directory)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *caOut != "" && !c.tls {
		return usagef("--ca-out needs --tls")
	}
	host, _, err := c.checkAddr()
	if err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	sb, signerNote, err := signer.Choose(*signerName)
	if err != nil {
		return usagef("--signer: %v", err)
	}
	replicaOpts, err := sf.options(ctx)
	if err != nil {
		return err
	}
	if !isLoopback(host) {
		fmt.Fprintf(stderr, "mockidp serve: warning: listening on %s, reachable from other machines\n", c.addr)
	}
	tuneGC()
	s, err := startUp(ctx, func() (*idp.Server, error) {
		opts := append([]idp.Option{idp.WithConfig(cfg), idp.WithAddr(c.addr), idp.WithSigner(sb)}, replicaOpts...)
		return idp.NewUnstartedServer(opts...)
	})
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "mockidp serve: stopped during start-up")
		return nil
	}
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			return err // the port is taken or the address is not ours: a runtime failure
		}
		return usagef("%v", err)
	}
	defer s.Close()
	provision.Attach(s) // POST /_mockidp/provisioning/{appId}/cycle runs Entra's SCIM client
	if cfg.PublicURL == "" {
		if h, p, err := net.SplitHostPort(s.Listener.Addr().String()); err == nil && browsableHost(h) != h {
			s.URL = c.scheme() + "://" + net.JoinHostPort(browsableHost(h), p)
		}
	}
	caPath := ""
	if c.tls {
		if err := s.StartTLS(); err != nil {
			return err
		}
		caPath = *caOut
		if caPath == "" {
			caPath = caFileName
			if cfg.KeyDir != "" {
				caPath = filepath.Join(cfg.KeyDir, caFileName)
			}
		}
		if err := writeFile(caPath, s.CAPEM()); err != nil {
			return fmt.Errorf("--ca-out: %w", err)
		}
	} else {
		s.Start()
	}

	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "mockidp serve: stopped during start-up")
		return nil
	}
	fmt.Fprintf(stdout, "mockidp: mock Microsoft Entra ID serving at %s (listening on %s)\n", s.URL, s.Listener.Addr())
	if cfg.KeyDir != "" {
		fmt.Fprintf(stdout, "Signing keys kept in %s\n", cfg.KeyDir)
	}
	fmt.Fprintf(stdout, "Signer: %s\n", sb)
	if sf.url != "" {
		fmt.Fprintf(stdout, "Shared state: %s (a replica: give every replica the same keys and store)\n", sf.url)
	}
	if signerNote != "" {
		fmt.Fprintf(stdout, "Signer: %s\n", signerNote)
	}
	if caPath != "" {
		abs, _ := filepath.Abs(caPath)
		fmt.Fprintf(stdout, "TLS: local CA certificate written to %s (trust it, e.g. curl --cacert %s)\n", abs, abs)
	}
	fmt.Fprintln(stdout)
	printDirectory(stdout, s)
	switch {
	case cfg.ControlAPI != nil && cfg.ControlAPI.Token != "":
		fmt.Fprintf(stdout, "Sign-in log (JSON): %s/_mockidp/signins (Authorization: Bearer <control token>)\n", s.URL)
	case !isLoopback(host):
		fmt.Fprintf(stdout, "Sign-in log (JSON): %s/_mockidp/signins is off: not listening on loopback, and no --control-token\n", s.URL)
	default:
		fmt.Fprintf(stdout, "Sign-in log (JSON): %s/_mockidp/signins\n", s.URL)
	}
	// Graph answers with the mock's Bearer tokens for https://graph.microsoft.com, also as
	// https://graph.microsoft.com itself behind a hosts entry (idp/graph_request.go).
	fmt.Fprintf(stdout, "Microsoft Graph base URL: %s/v1.0\n", s.URL)
	fmt.Fprintf(stdout, "ready %s/_mockidp/ready\n", s.URL)

	<-ctx.Done()
	fmt.Fprintf(stderr, "mockidp serve: shutting down (requests in flight get up to %v)\n", idp.ShutdownGrace)
	s.Close()
	return nil
}

// startUp builds the server while watching ctx, so that SIGINT/SIGTERM stop `serve` at any
// moment of start-up — generating the signing keys of a large directory takes seconds —
// and not only once it is ready. When ctx ends first it returns context.Canceled at once and
// closes the server when (if) it is built.
func startUp(ctx context.Context, build func() (*idp.Server, error)) (*idp.Server, error) {
	type result struct {
		s   *idp.Server
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := build()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, context.Canceled
	}
}

// writeFile writes b to path, creating the directory.
func writeFile(path string, b []byte) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(path, b, 0o644)
}
