package load

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/internal/signer"
)

// Protocol is the kind of sign-in a run performs.
type Protocol string

// The protocols.
const (
	// ProtocolSAML is an SP-initiated SAML 2.0 sign-in (HTTP-Redirect AuthnRequest, HTTP-POST
	// Response).
	ProtocolSAML Protocol = "saml"
	// ProtocolOIDC is an OpenID Connect authorization code flow with PKCE, up to the tokens.
	ProtocolOIDC Protocol = "oidc"
)

// ParseProtocols parses a protocol list: "saml", "oidc", "both", or a comma-separated list.
func ParseProtocols(s string) ([]Protocol, error) {
	var out []Protocol
	for _, part := range strings.Split(strings.ToLower(s), ",") {
		switch p := strings.TrimSpace(part); p {
		case "saml", "oidc":
			out = append(out, Protocol(p))
		case "both", "all":
			out = append(out, ProtocolSAML, ProtocolOIDC)
		default:
			return nil, fmt.Errorf("unknown protocol %q (want saml, oidc or both)", p)
		}
	}
	return out, nil
}

// Defaults of the zero Options.
const (
	// DefaultConcurrency is Options.Concurrency.
	DefaultConcurrency = 8
	// DefaultDuration is Options.Duration.
	DefaultDuration = 10 * time.Second
	// DefaultWarmup is Options.Warmup.
	DefaultWarmup = time.Second
	// DefaultRequestTimeout is Options.RequestTimeout.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultReadyTimeout is Server.ReadyTimeout.
	DefaultReadyTimeout = 30 * time.Second
)

// Options configure Run. Zero values take the defaults above.
type Options struct {
	// Protocols are run one after the other against the same server (default: SAML).
	Protocols []Protocol
	// Concurrency is the number of virtual users signing in at once.
	Concurrency int
	// Duration is the measured window of each protocol's run.
	Duration time.Duration
	// Warmup is the load run before each measured window, whose sign-ins are not counted
	// (their errors are). Negative: none.
	Warmup time.Duration
	// Flavor is the kind of server and the values its flows use (default: Entra()).
	Flavor *Flavor
	// Server is the server under test: started by Run, or already running.
	Server Server
	// MaxErrors stops a protocol's run once this many sign-ins have failed (warm-up
	// included). 0: never stop early.
	MaxErrors int
	// RequestTimeout bounds each HTTP request of a sign-in.
	RequestTimeout time.Duration
	// SignatureCost, when positive, is used as the cost of one RSA-2048 signature instead of
	// measuring it.
	SignatureCost time.Duration
	// Signer is the backend whose signature cost is measured: the one the server signs
	// with (nil: Go's crypto/rsa).
	Signer signer.Backend
	// Log, when set, receives progress lines (server started, warm-up, ...).
	Log io.Writer
}

// Server is the server under test.
type Server struct {
	// Command, when set, is started as a child process (argv; not through a shell), its PID
	// measured, and it is killed when Run returns. "{port}" in any argument and in URL is
	// replaced by a free loopback port. With Command and no URL, the server's URL is the
	// first http(s)://127.0.0.1|localhost|[::1]:PORT the child prints.
	Command []string
	// Dir is the child's working directory ("" for the current one).
	Dir string
	// URL is the server's base URL (scheme://host:port, no trailing slash).
	URL string
	// PID is the process whose CPU time (with its descendants) is measured, for a server
	// not started by Run. 0: server CPU is not measured (and no overhead is reported).
	PID int
	// ReadyTimeout bounds the wait for the server to answer the flavor's ReadyPath.
	ReadyTimeout time.Duration
	// Output, when set, receives the child's stdout and stderr. The last 64 KiB are kept
	// anyway and shown when the server fails.
	Output io.Writer
}

// withDefaults fills zero values and checks the options.
func (o Options) withDefaults() (Options, error) {
	if len(o.Protocols) == 0 {
		o.Protocols = []Protocol{ProtocolSAML}
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Concurrency < 0 {
		return o, errors.New("concurrency must be positive")
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration < 0 {
		return o, errors.New("duration must be positive")
	}
	switch {
	case o.Warmup == 0:
		o.Warmup = DefaultWarmup
	case o.Warmup < 0:
		o.Warmup = 0
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Server.ReadyTimeout <= 0 {
		o.Server.ReadyTimeout = DefaultReadyTimeout
	}
	if o.MaxErrors < 0 {
		return o, errors.New("max errors must not be negative")
	}
	if o.Flavor == nil {
		f := Entra()
		o.Flavor = &f
	}
	for _, p := range o.Protocols {
		if p != ProtocolSAML && p != ProtocolOIDC {
			return o, fmt.Errorf("unknown protocol %q", p)
		}
		if !o.Flavor.Supports(p) {
			return o, fmt.Errorf("flavor %s does not do %s", o.Flavor.Name, strings.ToUpper(string(p)))
		}
	}
	if len(o.Server.Command) == 0 && o.Server.URL == "" {
		return o, errors.New("no server: give Server.Command or Server.URL")
	}
	if len(o.Server.Command) > 0 && o.Server.PID != 0 {
		return o, errors.New("Server.PID is for a server not started by Run; the child's PID is measured")
	}
	return o, nil
}

// signer is Signer, Go's crypto/rsa when unset.
func (o Options) signer() signer.Backend {
	if o.Signer == nil {
		return signer.Go()
	}
	return o.Signer
}
