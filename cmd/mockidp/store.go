package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/cli"
)

// defaultStoreAddr is where `mockidp store` listens unless --addr says otherwise.
const defaultStoreAddr = "127.0.0.1:7070"

// storeTokenEnv is the environment variable both `store --token` and `serve --store-token`
// default to, so that the token need not appear on a command line.
const storeTokenEnv = "MOCKIDP_STORE_TOKEN"

// cmdStore serves an in-memory idp.Store over HTTP for the replicas of one mock IdP
// (`mockidp serve --store URL`), until SIGINT/SIGTERM.
func cmdStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("store", "[--addr 127.0.0.1:7070] [--token TOKEN]", stderr)
	addr := fs.String("addr", defaultStoreAddr, "listen `address` host:port (port 0 picks a free port)")
	token := fs.String("token", os.Getenv(storeTokenEnv), "bearer `token` every request must carry (default $"+storeTokenEnv+"; required unless listening on loopback)")
	if err := cli.ParseNoArgs(fs, args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usagef("--addr %q: want host:port, e.g. %s", *addr, defaultStoreAddr)
	}
	if !isLoopback(host) && *token == "" {
		return usagef("--addr %s is reachable from other machines: give --token (or $%s), which every replica then passes as --store-token", *addr, storeTokenEnv)
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err // a runtime failure: the port is taken
	}
	srv := &http.Server{Handler: idp.StoreHandler(idp.NewMemoryStore(nil), *token),
		ReadHeaderTimeout: idp.ReadHeaderTimeout, ReadTimeout: idp.ReadTimeout, IdleTimeout: idp.IdleTimeout}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	auth := "no token (loopback only)"
	if *token != "" {
		auth = "bearer token required"
	}
	fmt.Fprintf(stdout, "mockidp store: serving the shared state of mock IdP replicas at http://%s (%s)\n", l.Addr(), auth)
	fmt.Fprintf(stdout, "Start each replica with: mockidp serve --store http://%s --key-dir DIR (the same keys) [--store-token TOKEN]\n", l.Addr())
	fmt.Fprintf(stdout, "ready http://%s/ready\n", l.Addr())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "mockidp store: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), idp.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	return nil
}

// storeFlags are serve's flags for running as one replica of several.
type storeFlags struct {
	url, token, stateKeyFile string
	c                        *common
}

func (sf *storeFlags) register(c *common) {
	sf.c = c
	fs := c.fs
	fs.StringVar(&sf.url, "store", "", "keep the state replicas share in the `URL` of a 'mockidp store' (e.g. http://127.0.0.1:7070) instead of this process's memory; give every replica the same keys (--key-dir) too")
	fs.StringVar(&sf.token, "store-token", os.Getenv(storeTokenEnv), "bearer `token` of the --store (default $"+storeTokenEnv+")")
	fs.StringVar(&sf.stateKeyFile, "state-key-file", "", "`file` holding the secret (32 bytes or more) sealed state (codes, sessions, flow handles) is encrypted with; default: derived from the signing keys, the same for replicas sharing --key-dir")
}

// options are the idp options the flags ask for; a store that does not answer is a
// runtime failure, a bad flag a usage error.
func (sf *storeFlags) options(ctx context.Context) ([]idp.Option, error) {
	var opts []idp.Option
	if sf.stateKeyFile != "" {
		b, err := os.ReadFile(sf.stateKeyFile)
		if err != nil {
			return nil, usagef("--state-key-file: %v", err)
		}
		b = []byte(strings.TrimRight(string(b), "\r\n"))
		if len(b) < 32 {
			return nil, usagef("--state-key-file %s: %d bytes, need at least 32 (e.g. head -c 48 /dev/urandom | base64 > FILE)", sf.stateKeyFile, len(b))
		}
		opts = append(opts, idp.WithStateKey(b))
	}
	if sf.url == "" {
		if sf.c.isSet("store-token") {
			return nil, usagef("--store-token needs --store")
		}
		return opts, nil
	}
	if !strings.HasPrefix(sf.url, "http://") && !strings.HasPrefix(sf.url, "https://") {
		return nil, usagef("--store %q: want the http:// URL `mockidp store` prints", sf.url)
	}
	st := idp.NewHTTPStore(sf.url, sf.token, nil)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := st.Get(pctx, "ping/serve"); err != nil && !errors.Is(err, idp.ErrStoreNotFound) {
		return nil, fmt.Errorf("--store: the store does not answer: %w", err)
	}
	return append(opts, idp.WithStore(st)), nil
}
