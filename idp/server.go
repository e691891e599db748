package idp

import (
	"context"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server is a mock Microsoft Entra ID. It is an http.Handler and, like httptest.Server, can
// listen on a loopback port of its own (NewServer, NewUnstartedServer + Start/StartTLS).
type Server struct {
	// URL is the base URL of the server, scheme://host:port, without a trailing slash. It is
	// Config.PublicURL when set, else the listener's address.
	URL string
	// Listener is the listener of a server made with NewServer or NewUnstartedServer.
	Listener net.Listener
	// TLS is the TLS configuration StartTLS uses; nil before StartTLS.
	TLS *tls.Config

	cfg    *Config
	dir    *directory
	clock  *Clock
	rand   randSource
	keygen KeyGenerator
	// tlsCert is the certificate StartTLS serves with (WithTLSCertificate); nil: a fresh
	// local CA's.
	tlsCert *tls.Certificate
	// signers makes every signature (signer.go): OpenSSL or Go's crypto/rsa.
	signers SignerBackend
	addr    string
	mux     *http.ServeMux

	appKeys map[*EnterpriseApp][]*SigningKey
	oidc    *oidcState // OIDC keys (oidc_config.go)

	mu sync.Mutex

	events eventLog
	faults faultState
	// changes is the directory lock and deleted users (directory_changes.go); provisioning
	// is the attached provisioning client (provisioning.go).
	changes      directoryChanges
	provisioning provisioningHook
	// graph is the armed Microsoft Graph faults (graph_faults.go).
	graph graphState
	// retain bounds the log (retention.go). Sessions, sign-ins in progress, codes and refresh
	// tokens are sealed into what the browser or RP carries (session_cookie.go,
	// flow_resume.go, oauth_grant.go): the server keeps none.
	retain Retention

	postActions  postActionCache // escaped form actions of post.html (pages.go)
	roundTrips   roundTrips      // XML tokens that passed the round-trip check (saml_roundtrip.go)
	loginPages   loginPageCache  // login.html without its flow handle (pages.go)
	metadataDocs metadataCache   // signed federation metadata per app (saml_metadata.go)
	jsonDocs     jsonDocCache    // encoded discovery documents and key sets (oidc_discovery.go)
	verifyCerts  verifyCertCache // parsed request-verification certificates (saml_request.go)
	encKeys      encryptionKeys  // token encryption certificates set at run time (saml_encrypt.go)

	// store keeps the state replicas share (store.go); sealer seals the state the browser or
	// RP carries back (seal.go), keyed by stateSecret or the signing keys.
	store       Store
	sealer      cipher.AEAD
	nonceKey    []byte // keys the sealed values' synthetic nonces (seal.go)
	stateSecret []byte

	srv     *http.Server
	caPEM   []byte
	caCert  *x509.Certificate
	started bool
	closed  bool
}

// Option configures a Server.
type Option func(*Server) error

// WithConfig sets the directory (default: DefaultConfig()). The server works on a copy:
// cfg itself is not changed, by New or later; Server.Config is the server's copy.
func WithConfig(cfg *Config) Option { return func(s *Server) error { s.cfg = cfg.clone(); return nil } }

// WithClock injects the server's clock (default: a clock following the wall clock).
func WithClock(c *Clock) Option { return func(s *Server) error { s.clock = c; return nil } }

// WithRand injects the server's random source (default crypto/rand). See NewSeededRand.
func WithRand(r io.Reader) Option { return func(s *Server) error { s.rand.r = r; return nil } }

// WithKeyGenerator replaces RSA key generation (for tests that start many servers).
func WithKeyGenerator(g KeyGenerator) Option {
	return func(s *Server) error { s.keygen = g; return nil }
}

// WithAddr sets the listen address of NewServer/NewUnstartedServer (default 127.0.0.1:0).
func WithAddr(addr string) Option { return func(s *Server) error { s.addr = addr; return nil } }

// New builds a server without a listener, for use as an http.Handler. Config.PublicURL must
// say where it is reachable.
func New(opts ...Option) (*Server, error) {
	s := &Server{addr: "127.0.0.1:0", keygen: generateRSA, clock: NewClock()}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.cfg == nil {
		s.cfg = DefaultConfig()
	}
	if s.signers == nil {
		s.signers = defaultSigner()
	}
	if err := s.cfg.Normalize(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	s.dir = newDirectory(s.cfg)
	s.retain = s.retain.withDefaults()
	s.events.limit = s.retain.Events
	s.appKeys = map[*EnterpriseApp][]*SigningKey{}
	s.faults.init()
	for _, t := range s.cfg.Tenants {
		for _, a := range t.EnterpriseApps {
			keys, err := s.loadKeys(t.ID+"-"+a.AppID, a.SAML.Certificates)
			if err != nil {
				return nil, fmt.Errorf("config: app %q: %w", a.DisplayName, err)
			}
			s.appKeys[a] = keys
			// Uploaded verification certificates are checked now, not at the first request.
			if _, err := verificationCerts(&a.SAML); err != nil {
				return nil, fmt.Errorf("config: app %q: %w", a.DisplayName, err)
			}
		}
	}
	if err := s.initOIDC(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	s.changes.shared = s.store != nil // replicas' directory changes (directory_log.go)
	if s.store == nil {
		s.store = NewMemoryStore(s.clock)
	}
	if err := s.initSealer(); err != nil {
		return nil, fmt.Errorf("state key: %w", err)
	}
	s.URL = s.cfg.PublicURL
	s.routes()
	if err := s.armConfigFaults(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return s, nil
}

// NewUnstartedServer returns a server listening on a loopback port that does not serve yet;
// call Start or StartTLS.
func NewUnstartedServer(opts ...Option) (*Server, error) {
	s, err := New(opts...)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", s.addr, err)
	}
	s.Listener = l
	return s, nil
}

// NewServer starts a server on a loopback port over plain HTTP.
func NewServer(opts ...Option) (*Server, error) {
	s, err := NewUnstartedServer(opts...)
	if err != nil {
		return nil, err
	}
	s.Start()
	return s, nil
}

// Start serves plain HTTP on the listener.
func (s *Server) Start() {
	if s.started {
		panic("idp: Server already started")
	}
	if s.URL == "" {
		s.URL = "http://" + s.Listener.Addr().String()
	}
	s.serve(s.Listener)
}

// StartTLS serves HTTPS with a server certificate issued by a fresh local CA (see CAPEM;
// WithTLSCertificate gives one instead),
// valid for 127.0.0.1, ::1, localhost and the PublicURL host.
func (s *Server) StartTLS() error {
	if s.started {
		return errors.New("idp: Server already started")
	}
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	if s.URL != "" {
		if u, err := url.Parse(s.URL); err == nil {
			hosts = append(hosts, u.Hostname())
		}
	}
	cert, ok := s.useTLSCertificate()
	if !ok {
		var err error
		if cert, err = s.makeLocalCA(hosts); err != nil {
			return err
		}
	}
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if s.URL == "" {
		s.URL = "https://" + s.Listener.Addr().String()
	}
	s.serve(tls.NewListener(s.Listener, s.TLS))
	return nil
}

// Limits of the server's connections. A sign-in is a handful of small requests answered in
// milliseconds, by a browser or an SP on a fast link; these bound what a slow or hostile
// client holds (a connection, a goroutine, a buffer) far above anything a sign-in needs, so
// that 20,000 slow connections cannot take every file descriptor and stop the server.
const (
	// ReadHeaderTimeout bounds the request line and headers (a slowloris sends them a byte
	// at a time).
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds the whole request, body included: a body is at most maxBody (1 MiB).
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds a response from the end of the request's headers, the handler
	// included: the slowest handler, preparing every fault's certificates, takes seconds.
	WriteTimeout = 2 * time.Minute
	// IdleTimeout closes a kept-alive connection no request uses; a browser that comes back
	// later opens a new one.
	IdleTimeout = 90 * time.Second
	// MaxHeaderBytes bounds the request line and headers (net/http answers 431 beyond it, as
	// Entra's front end refuses huge requests with a bare status, not an AADSTS page). Below
	// it an oversized parameter (over 8 KiB) gets Entra's AADSTS90015 page from the handler,
	// so it is well above that: a 100 KB Redirect URL (a deflate bomb) still gets the page.
	// Go's default is 1 MiB; a quarter of it keeps what 20,000 slow clients can make the
	// server buffer four times smaller.
	MaxHeaderBytes = 256 << 10
	// ShutdownGrace is how long Close lets requests in flight finish before it cuts their
	// connections.
	ShutdownGrace = 5 * time.Second
)

func (s *Server) serve(l net.Listener) {
	s.started = true
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	go func() { _ = s.srv.Serve(l) }()
}

// Close shuts the server down: it stops accepting connections, closes idle ones, lets the
// requests in flight finish for up to ShutdownGrace, then closes what is left.
func (s *Server) Close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close() // the grace is over: cut the connections still open
		}
	} else if s.Listener != nil {
		_ = s.Listener.Close()
	}
}

// Client returns an HTTP client that trusts the server's TLS CA (if any).
func (s *Server) Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.caCert != nil {
		pool := x509.NewCertPool()
		pool.AddCert(s.caCert)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: tr}
}

// Certificate returns the local CA certificate of a TLS server, nil otherwise.
func (s *Server) Certificate() *x509.Certificate { return s.caCert }

// CAPEM returns the local CA certificate as PEM, for clients to trust (nil without TLS).
func (s *Server) CAPEM() []byte { return s.caPEM }

// Clock returns the server's clock.
func (s *Server) Clock() *Clock { return s.clock }

// Config returns the normalized configuration. Treat it as read-only while serving.
func (s *Server) Config() *Config { return s.cfg }

// Tenant finds a tenant by GUID or verified domain.
func (s *Server) Tenant(key string) *Tenant { return s.dir.tenant(key) }

// AppKeys returns an enterprise app's signing keys (active first is not guaranteed; see
// SigningKey.Active).
func (s *Server) AppKeys(app *EnterpriseApp) []*SigningKey { return s.appKeys[app] }

func (s *Server) makeLocalCA(hosts []string) (tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := s.clock.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ssoharness mockidp local CA", Organization: []string{"ssoharness"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: hosts[len(hosts)-1]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else if h != "" {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	s.caCert = caCert
	s.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey}, nil
}

// maxBody caps request bodies: Entra answers oversized requests with an error, never by
// reading them whole.
const maxBody = 1 << 20

// ServeHTTP routes a request. Panics in handlers are turned into an Entra error page so that
// no input can produce a bare 500 or a stack trace.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			ev := &Event{Protocol: "HTTP", Kind: EventInternal, Status: StatusFailure, Detail: fmt.Sprint(v)}
			s.renderErrorPage(w, r, asError(fmt.Errorf("panic: %v", v)), ev)
		}
	}()
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	// Set("x-ms-ests-server", …) without its copies (headers.go).
	setShared(w.Header(), "X-Ms-Ests-Server", hdrESTSServer)
	s.syncDirectory()            // changes other replicas made (directory_log.go)
	if !isProvisioningCycle(r) { // a cycle reads the directory itself (provisioning.go)
		s.changes.mu.RLock() // directory changes wait for the request (directory_changes.go)
		defer s.changes.mu.RUnlock()
	}
	s.mux.ServeHTTP(w, withSessionMemo(r)) // the session is opened once (session_request.go)
}

// base is the server's public base URL.
func (s *Server) base() string { return strings.TrimSuffix(s.URL, "/") }

// tenantFromPath resolves {tenant}; a miss renders AADSTS90002.
func (s *Server) tenantFromPath(w http.ResponseWriter, r *http.Request, ev *Event) *Tenant {
	key := r.PathValue("tenant")
	t := s.dir.tenant(key)
	if t == nil {
		s.renderErrorPage(w, r, errUnknownTenant(key), ev)
	}
	return t
}
