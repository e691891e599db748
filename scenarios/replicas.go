package scenarios

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/fixtures/lb/haproxy"
	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// MaxReplicas bounds idp.replicas (and conformance run --idp-replicas).
const MaxReplicas = 16

// A run with idp.replicas > 1 starts the mock IdP as replicas behind HAProxy: N idp.Server
// with the same config and keys, sharing one store that they reach over HTTP (StoreHandler
// on a loopback port, as `mockidp store` serves it), each listening on a loopback port of
// its own over plain HTTP, and HAProxy on the public address (terminating TLS when the
// target asks for it), balancing every request on its own. Env.Server is replica 0 — what
// the replicas share (config, keys, the store: armed faults, prepared fault keys, directory
// changes) is read and changed through it — and Env.Events merges every replica's sign-in
// log.

// replicaName is a replica's server name in HAProxy's config and log.
func replicaName(i int) string { return fmt.Sprintf("r%d", i) }

// startReplicas starts the replicas, their store and HAProxy for t, and returns replica 0
// with its URL set to the public URL (HAProxy's). Everything stops with e.
func (e *Env) startReplicas(t *Target, cfg *idp.Config, extra []idp.Option) (*idp.Server, error) {
	if _, err := haproxy.Binary(); err != nil {
		return nil, &FieldError{"idp.replicas", err.Error(), "install HAProxy, or run one replica (idp.replicas: 1)"}
	}
	listen := t.IdP.Listen
	if listen == "" || strings.HasSuffix(listen, ":0") {
		host := "127.0.0.1"
		if listen != "" {
			host, _, _ = net.SplitHostPort(listen)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("idp: load balancer address: %w", err)
		}
		listen = l.Addr().String()
		l.Close()
	}
	public, err := publicURL(t, listen)
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			e.Close() // whatever was started before the failure
		}
	}()
	if cfg.KeyDir == "" {
		// Replica 0 generates the keys into it; the others load them.
		dir, err := os.MkdirTemp("", "ssoharness-replica-keys-")
		if err != nil {
			return nil, err
		}
		e.closers = append(e.closers, func() { _ = os.RemoveAll(dir) })
		cfg.KeyDir = dir
	}
	st, err := e.startStore()
	if err != nil {
		return nil, err
	}
	var backends []haproxy.Backend
	for i := range max(t.IdP.Replicas, 1) {
		opts := append([]idp.Option{idp.WithConfig(cfg), idp.WithAddr("127.0.0.1:0"), idp.WithStore(st)}, extra...)
		srv, err := idp.NewUnstartedServer(opts...)
		if err != nil {
			return nil, fmt.Errorf("idp replica %d: %w", i, err)
		}
		e.closers = append(e.closers, srv.Close)
		srv.URL = public
		srv.Start()
		e.Replicas = append(e.Replicas, srv)
		backends = append(backends, haproxy.Backend{Name: replicaName(i), Addr: srv.Listener.Addr().String()})
	}
	o := haproxy.Options{Backends: backends, Listen: listen}
	if t.IdP.TLS {
		u, _ := url.Parse(public)
		ca, certKey, err := frontendCertificate(u.Hostname())
		if err != nil {
			return nil, err
		}
		o.CertKeyPEM = certKey
		e.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
		e.Trust = append(e.Trust, ca)
	}
	lb, err := haproxy.Start(o)
	if err != nil {
		return nil, fmt.Errorf("idp load balancer: %w", err)
	}
	e.closers = append(e.closers, func() { _ = lb.Close() })
	e.lb = lb
	started = true
	return e.Replicas[0], nil
}

// publicURL is the IdP's public URL for a load balancer listening on listen: the target's
// publicUrl (with listen's port when it has none), else http(s)://listen.
func publicURL(t *Target, listen string) (string, error) {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", &FieldError{"idp.listen", err.Error(), "write it as host:port"}
	}
	if t.IdP.PublicURL == "" {
		scheme := "http"
		if t.IdP.TLS {
			scheme = "https"
		}
		return scheme + "://" + listen, nil
	}
	pu := strings.TrimRight(t.IdP.PublicURL, "/")
	if u, _ := url.Parse(pu); u != nil && u.Port() == "" {
		pu = u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port)
	}
	return pu, nil
}

// startStore serves a MemoryStore over HTTP on a loopback port, with a token of its own,
// and returns the HTTP store the replicas use.
func (e *Env) startStore() (idp.Store, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("idp store: %w", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	srv := &http.Server{Handler: idp.StoreHandler(idp.NewMemoryStore(nil), token), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	e.closers = append(e.closers, func() { _ = srv.Close() })
	return idp.NewHTTPStore("http://"+l.Addr().String(), token, nil), nil
}

// frontendCertificate makes a CA for the run and a server certificate for host (and
// loopback) issued by it, returned as HAProxy's PEM (chain, then key).
func frontendCertificate(host string) (*x509.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ssoharness load balancer CA", Organization: []string{"ssoharness"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 1, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 1, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}}
	if ip := net.ParseIP(host); ip != nil {
		leaf.IPAddresses = append(leaf.IPAddresses, ip)
	} else if host != "" {
		leaf.DNSNames = append(leaf.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})...)
	return ca, out, nil
}

// Events is the mock IdP's sign-in log: with replicas, every replica's log merged in time
// order (a sign-in's events, spread over the replicas, share its correlation ID).
func (e *Env) Events() []idp.Event {
	evs, _ := e.replicaEvents()
	return evs
}

// replicaEvents is Events and, with replicas, the replica that logged each event (by
// event ID).
func (e *Env) replicaEvents() ([]idp.Event, map[string]string) {
	if len(e.Replicas) < 2 {
		return e.Server.Events(), nil
	}
	var all []idp.Event
	by := map[string]string{}
	for i, r := range e.Replicas {
		for _, ev := range r.Events() {
			all = append(all, ev)
			by[ev.ID] = replicaName(i)
		}
	}
	slices.SortStableFunc(all, func(a, b idp.Event) int { return a.Time.Compare(b.Time) })
	return all, by
}

// CAPEM is the CA certificate (PEM) a client of the IdP must trust: the IdP's local CA, or
// with replicas the load balancer's; nil over plain HTTP.
func (e *Env) CAPEM() []byte {
	if e.lb != nil {
		return e.caPEM
	}
	return e.Server.CAPEM()
}

// LoadBalancerLog is the requests HAProxy balanced to the replicas so far (nil without
// replicas).
func (e *Env) LoadBalancerLog() []haproxy.Entry {
	if e.lb == nil {
		return nil
	}
	return e.lb.Log()
}

// idpRequests are the load balancer's log lines of this check: the requests of its browser
// contexts (their cookie) and the back-channel requests whose answer is one of its sign-in
// log events (x-ms-request-id). nil without replicas.
func (cr *checkRun) idpRequests(evs []idp.Event) []reports.IdPRequest {
	log := cr.r.env.LoadBalancerLog()
	if log == nil {
		return nil
	}
	ids := map[string]bool{}
	for _, ev := range evs {
		ids[ev.ID] = true
	}
	var out []reports.IdPRequest
	for _, le := range log {
		if (le.Context != "" && slices.Contains(cr.tokens, le.Context)) || (le.ResponseID != "" && ids[le.ResponseID]) {
			out = append(out, reports.IdPRequest{Time: le.Time, Replica: le.Server, Method: le.Method, Path: le.Path,
				Status: le.Status, RequestID: le.ResponseID})
		}
	}
	slices.SortStableFunc(out, func(a, b reports.IdPRequest) int { return cmp.Compare(a.Time.UnixMilli(), b.Time.UnixMilli()) })
	return out
}
