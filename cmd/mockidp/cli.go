package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/cli"
	"github.com/ssoharness/ssoharness/internal/signer"
)

// defaultAddr is where `mockidp serve` listens unless --addr says otherwise.
const defaultAddr = "127.0.0.1:7443"

// Exit statuses (see internal/cli).
const (
	exitFailure = cli.ExitFailure
	exitUsage   = cli.ExitUsage
)

// usagef is a mistake of the caller (flag, config file, app name): exit status 2.
var usagef = cli.Usagef

const usageText = `mockidp: a mock Microsoft Entra ID (ssoharness)

Usage:
  mockidp serve    [--config FILE] [--addr 127.0.0.1:7443] [--public-url URL] [--tls] [--ca-out FILE] [--key-dir DIR] [--control-token TOKEN]
                   [--signer auto|openssl|go] [--store URL [--store-token TOKEN]] [--state-key-file FILE]
  mockidp store    [--addr 127.0.0.1:7070] [--token TOKEN]
  mockidp metadata [--config FILE] --app NAME|APPID [--tenant ID|DOMAIN] [--fault-certs] [--addr ADDR] [--public-url URL] [--tls] [--key-dir DIR]
  mockidp values   [--config FILE] [--addr ADDR] [--public-url URL] [--tls] [--key-dir DIR]
  mockidp faults   [--json] [--protocol SAML|OIDC] [PATTERN]
  mockidp provision --app NAME|APPID [--config FILE] [--cycles 1] [--json]
  mockidp bench    [--protocol saml|oidc|both] [--concurrency 8] [--duration 10s] [--warmup 1s] [--json]
                   [--url URL --pid PID | --server-cmd CMD] [--flavor entra|oauth2-mock-server|saml-idp] [--signer auto|openssl|go]
  mockidp version

serve     serves the directory (the embedded default without --config) and prints, per app,
          the values an admin copies into a service provider, and the users
store     serves the state replicas of one mock IdP share (single-use codes, device
          approvals, armed faults, ...) for "serve --store URL": run several serve
          processes with the same --key-dir and --store behind a load balancer
metadata  prints an app's federation metadata without serving, for the URL serve would use
values    prints what serve prints, without serving
faults    prints the fault catalog: check ID, protocol, expected verdict, description
provision runs Entra's SCIM provisioning of an app (its provisioning settings): Test
          Connection, then the initial cycle, and prints the provisioning log
bench     runs complete SAML/OIDC sign-ins without a browser at a concurrency and reports
          sign-ins/s, latency, errors, server CPU per sign-in and its overhead over the
          RSA signatures it needs (starts the mock itself unless --url/--server-cmd)

Run "mockidp COMMAND -h" for the flags of a command.
`

// program is the command: its subcommands on the shared skeleton.
var program = &cli.Program{
	Name:  "mockidp",
	Usage: usageText,
	Commands: []cli.Command{
		{Name: "serve", Run: cmdServe},
		{Name: "store", Run: cmdStore},
		{Name: "metadata", Run: cmdMetadata},
		{Name: "values", Run: cmdValues},
		{Name: "faults", Run: cmdFaults},
		{Name: "provision", Run: cmdProvision},
		{Name: "bench", Run: cmdBench},
	},
	Version: version,
}

// version is what `mockidp version` prints: the build, then the signer serve would use by
// default ("signer openssl (OpenSSL 3.0.17 …, libcrypto.so.3)" or "signer go (crypto/rsa)",
// with why OpenSSL is not used).
func version() string {
	b, note, _ := signer.Choose(signer.NameAuto)
	v := cli.BuildVersion() + " signer " + b.String()
	if note != "" {
		v += " [" + note + "]"
	}
	return v
}

// signerFlag registers --signer: which backend signs (see internal/signer).
func signerFlag(fs *flag.FlagSet) *string {
	return fs.String("signer", signer.NameAuto, "`backend` making the RSA signatures: auto (OpenSSL's libcrypto.so.3 when it loads, else Go; $"+signer.EnvLibcrypto+" names another library), openssl or go")
}

// common are the flags every directory-loading command shares.
type common struct {
	config    string
	addr      string
	publicURL string
	keyDir    string
	tls       bool
	control   string
	fs        *flag.FlagSet
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	return cli.NewFlagSet("mockidp", name, synopsis, stderr)
}

func (c *common) register(fs *flag.FlagSet) {
	c.fs = fs
	fs.StringVar(&c.config, "config", "", "YAML or JSON directory `file` (default: the embedded contoso directory)")
	fs.StringVar(&c.addr, "addr", defaultAddr, "listen `address` host:port (port 0 picks a free port)")
	fs.StringVar(&c.publicURL, "public-url", "", "scheme://host[:port] browsers and SPs use to reach the server (default: config publicUrl, else the listen address)")
	fs.StringVar(&c.keyDir, "key-dir", defaultKeyDir(), "`directory` keeping generated signing keys and certificates (config keyDir overrides the default; \"\" keeps nothing)")
	fs.BoolVar(&c.tls, "tls", false, "serve HTTPS with a server certificate from a fresh local CA")
}

// parse parses flags and refuses positional arguments.
func (c *common) parse(args []string) error { return cli.ParseNoArgs(c.fs, args) }

func (c *common) isSet(name string) bool { return cli.IsSet(c.fs, name) }

// defaultKeyDir is $XDG_CACHE_HOME/ssoharness/keys, else ~/.cache/ssoharness/keys; empty
// (nothing persisted) when neither can be found.
func defaultKeyDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "ssoharness", "keys")
}

// loadConfig reads --config (or the embedded default), applies the flags over it and checks
// it. Every failure is a usage error.
func (c *common) loadConfig() (*idp.Config, error) {
	var cfg *idp.Config
	if c.config == "" {
		cfg = idp.DefaultConfig()
	} else {
		var err error
		if cfg, err = idp.LoadConfig(c.config); err != nil {
			return nil, usagef("--config: %v", err)
		}
	}
	if c.isSet("key-dir") || cfg.KeyDir == "" {
		cfg.KeyDir = c.keyDir
	}
	if c.publicURL != "" {
		cfg.PublicURL = c.publicURL
	}
	if c.control != "" {
		cfg.ControlAPI = &idp.ControlAPI{Token: c.control}
	}
	if err := cfg.Normalize(); err != nil {
		if c.config == "" {
			return nil, usagef("%v", err)
		}
		return nil, usagef("--config %s: %v", c.config, err)
	}
	return cfg, nil
}

// checkAddr validates --addr.
func (c *common) checkAddr() (host, port string, err error) {
	host, port, err = net.SplitHostPort(c.addr)
	if err != nil {
		return "", "", usagef("--addr %q: want host:port, e.g. %s", c.addr, defaultAddr)
	}
	return host, port, nil
}

// scheme is the URL scheme the server speaks.
func (c *common) scheme() string {
	if c.tls {
		return "https"
	}
	return "http"
}

// staticPublicURL sets cfg.PublicURL, when no flag or config did, to the URL serve would
// have with the same --addr and --tls: for commands that do not listen.
func (c *common) staticPublicURL(cfg *idp.Config) error {
	if cfg.PublicURL != "" {
		return nil
	}
	host, port, err := c.checkAddr()
	if err != nil {
		return err
	}
	if port == "0" || port == "" {
		return usagef("--addr %q has no fixed port: give the port serve will use, or --public-url", c.addr)
	}
	cfg.PublicURL = c.scheme() + "://" + net.JoinHostPort(browsableHost(host), port)
	return nil
}

// browsableHost replaces an unspecified bind address (0.0.0.0, ::, "") by localhost.
func browsableHost(host string) string {
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "localhost"
	}
	return host
}

// isLoopback reports whether host only accepts local connections.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newOffline builds a server that does not listen, for metadata and values.
func (c *common) newOffline() (*idp.Server, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	if err := c.staticPublicURL(cfg); err != nil {
		return nil, err
	}
	s, err := idp.New(idp.WithConfig(cfg))
	if err != nil {
		return nil, usagef("%v", err)
	}
	return s, nil
}

func cmdMetadata(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("metadata", "[--config FILE] --app NAME|APPID [--tenant ID|DOMAIN] [flags]", stderr)
	c.register(fs)
	appName := fs.String("app", "", "the enterprise app: display name or application ID (may be omitted when the tenant has one app)")
	tenantKey := fs.String("tenant", "", "the tenant: ID or verified domain (default: the first tenant)")
	faultCerts := fs.Bool("fault-certs", false, "also list the certificates the certificate checks sign with (expired, not yet valid, rollover), kept in the key directory so that serve uses the same ones: for an SP that loads the IdP metadata once, before the run")
	if err := c.parse(args); err != nil {
		return err
	}
	s, err := c.newOffline()
	if err != nil {
		return err
	}
	t, app, err := findApp(s, *tenantKey, *appName)
	if err != nil {
		return err
	}
	if *faultCerts {
		if s.Config().KeyDir == "" {
			return usagef("--fault-certs needs a key directory (--key-dir or the config's keyDir), so that serve signs with the certificates printed now")
		}
		if err := s.PrepareFaults("saml.cert.expired", "saml.cert.not-yet-valid", "saml.cert.rollover"); err != nil {
			return err
		}
	}
	doc, err := s.Metadata(t, app)
	if err != nil {
		return err
	}
	_, err = stdout.Write(doc)
	return err
}

// findApp resolves --tenant and --app; errors list what exists.
func findApp(s *idp.Server, tenantKey, appName string) (*idp.Tenant, *idp.EnterpriseApp, error) {
	cfg := s.Config()
	t := cfg.Tenants[0]
	if tenantKey != "" {
		if t = s.Tenant(tenantKey); t == nil {
			var names []string
			for _, t := range cfg.Tenants {
				names = append(names, fmt.Sprintf("%s (%s, %s)", t.DisplayName, t.ID, strings.Join(t.VerifiedDomains, ", ")))
			}
			return nil, nil, usagef("--tenant %q: no such tenant; tenants: %s", tenantKey, strings.Join(names, "; "))
		}
	}
	if appName == "" && len(t.EnterpriseApps) == 1 {
		return t, t.EnterpriseApps[0], nil
	}
	if appName != "" {
		if a := t.EnterpriseApp(appName); a != nil {
			return t, a, nil
		}
	}
	var names []string
	for _, a := range t.EnterpriseApps {
		names = append(names, fmt.Sprintf("%q (%s)", a.DisplayName, a.AppID))
	}
	list := "it has none"
	if len(names) > 0 {
		list = "apps: " + strings.Join(names, ", ")
	}
	if appName == "" {
		return nil, nil, usagef("--app is required: tenant %s has %d SAML apps; %s", t.DisplayName, len(names), list)
	}
	return nil, nil, usagef("--app %q: no SAML enterprise app of that name or ID in tenant %s; %s", appName, t.DisplayName, list)
}

func cmdValues(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("values", "[--config FILE] [flags]", stderr)
	c.register(fs)
	if err := c.parse(args); err != nil {
		return err
	}
	s, err := c.newOffline()
	if err != nil {
		return err
	}
	printDirectory(stdout, s)
	return nil
}
