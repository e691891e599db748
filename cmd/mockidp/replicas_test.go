package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	"golang.org/x/oauth2"

	"github.com/ssoharness/ssoharness/fixtures/lb/haproxy"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The default directory's OIDC web app and its secret (idp/default.yaml).
const (
	replicaClientID = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	replicaSecret   = "Mq8Q~contoso.mock-secret_value.0123456789"
	replicaTenant   = "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"
)

// replicaSetup is two `mockidp serve` processes sharing one --key-dir and one `mockidp
// store`, behind HAProxy, with a crewjam SAML SP and an OIDC redirect URI configured.
type replicaSetup struct {
	lb        *haproxy.Proxy
	public    string // HAProxy's URL: the IdP's public URL
	spURL     string // the SAML SP
	rpURL     string // the OIDC RP's redirect URI's origin
	samlSP    *samlsp.Middleware
	redirects chan *url.URL // what reached the RP's redirect URI
}

// TestReplicasBehindHAProxy signs in through two real `mockidp serve` replicas behind a
// round-robin HAProxy with a scripted HTTP client (no browser): an OIDC code flow with the
// token redemption, a refresh and a replayed code, and a SAML SP-initiated sign-in that a
// crewjam/saml SP accepts. HAProxy's log must show both replicas serving each sign-in.
//
// Until the idp core is replica-safe (flows, sessions, codes, faults in sealed values or
// the shared store: issue 18's R1–R3), a sign-in whose requests land on two replicas fails.
func TestReplicasBehindHAProxy(t *testing.T) {
	if _, err := haproxy.Binary(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	rs := startReplicaSetup(t)

	t.Run("oidc", func(t *testing.T) {
		from := rs.settledLog()
		rs.oidcSignIn(t)
		rs.expectBothReplicas(t, from)
	})
	t.Run("saml", func(t *testing.T) {
		from := rs.settledLog()
		b := idptest.NewBrowser(nil)
		p, err := b.SignIn(rs.spURL+"/", "B.Simon@contoso.com", "Passw0rd!")
		if err != nil {
			t.Fatalf("SAML sign-in: %v", err)
		}
		if !strings.Contains(p.Body, "signed in as B.Simon@contoso.com") {
			t.Fatalf("the crewjam SP did not sign B.Simon in:\n%s", p)
		}
		rs.expectBothReplicas(t, from)
	})
}

// oidcSignIn runs the code flow through the load balancer: authorize and sign in, redeem the
// code, verify the ID token (go-oidc, keys and discovery through the load balancer),
// refresh, and replay the code, which must be refused.
func (rs *replicaSetup) oidcSignIn(t *testing.T) {
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, rs.public+"/"+replicaTenant+"/v2.0")
	if err != nil {
		t.Fatalf("discovery through the load balancer: %v", err)
	}
	oc := oauth2.Config{ClientID: replicaClientID, ClientSecret: replicaSecret, Endpoint: provider.Endpoint(),
		RedirectURL: rs.rpURL + "/signin-oidc", Scopes: []string{oidc.ScopeOpenID, "profile", "offline_access"}}
	verifier := oauth2.GenerateVerifier()
	authURL := oc.AuthCodeURL("state-123", oidc.Nonce("nonce-456"), oauth2.S256ChallengeOption(verifier))
	b := idptest.NewBrowser(nil)
	if _, err := b.SignIn(authURL, "B.Simon@contoso.com", "Passw0rd!"); err != nil {
		t.Fatalf("OIDC sign-in: %v", err)
	}
	var cb *url.URL
	select {
	case cb = <-rs.redirects:
	default:
		t.Fatalf("the sign-in never reached the redirect URI; last page:\n%s", b.Pages[len(b.Pages)-1])
	}
	code := cb.Query().Get("code")
	if code == "" || cb.Query().Get("state") != "state-123" {
		t.Fatalf("redirect %s: want a code and the state", cb)
	}
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code redemption: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: replicaClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		Nonce string `json:"nonce"`
		UPN   string `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Nonce != "nonce-456" || !strings.EqualFold(claims.UPN, "B.Simon@contoso.com") {
		t.Fatalf("ID token claims %+v, %v", claims, err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token (offline_access was asked for)")
	}
	refreshed, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	if err != nil || refreshed.AccessToken == "" {
		t.Fatalf("refresh: %v", err)
	}
	// A code is single-use on every replica: the replay goes to the other replica (round
	// robin) or the same one; either must refuse it.
	resp, err := http.PostForm(provider.Endpoint().TokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"client_id": {replicaClientID}, "client_secret": {replicaSecret}, "redirect_uri": {oc.RedirectURL}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct {
		Error string `json:"error"`
	}
	if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Error != "invalid_grant" {
		t.Fatalf("replayed code: %s %s, want 400 invalid_grant", resp.Status, body)
	}
}

// settledLog waits until HAProxy has logged every request made so far (it writes a line
// once the answer is sent, so the last lines of a sign-in may come a moment after it) and
// returns the log's length: the next sign-in's lines start there.
func (rs *replicaSetup) settledLog() int {
	n := len(rs.lb.Log())
	for quiet := 0; quiet < 5; time.Sleep(20 * time.Millisecond) {
		if m := len(rs.lb.Log()); m != n {
			n, quiet = m, 0
		} else {
			quiet++
		}
	}
	return n
}

// expectBothReplicas checks that the load balancer's log from entry from on shows requests
// served by both replicas (and by nothing else).
func (rs *replicaSetup) expectBothReplicas(t *testing.T, from int) {
	t.Helper()
	end := rs.settledLog() // before reading the log: the call order of an index expression's operands is unspecified
	log := rs.lb.Log()[from:end]
	n := haproxy.Servers(log)
	var lines []string
	for _, e := range log {
		lines = append(lines, fmt.Sprintf("%s %s %s %d", e.Server, e.Method, e.Path, e.Status))
	}
	if n["r0"] == 0 || n["r1"] == 0 || len(n) != 2 {
		t.Fatalf("HAProxy's log of the sign-in shows %v, want both replicas:\n%s", n, strings.Join(lines, "\n"))
	}
	t.Logf("requests per replica: %v\n%s", n, strings.Join(lines, "\n"))
}

func startReplicaSetup(t *testing.T) *replicaSetup {
	rs := &replicaSetup{redirects: make(chan *url.URL, 4)}
	lbAddr, a0, a1 := freeLoopback(t), freeLoopback(t), freeLoopback(t)
	rs.public = "http://" + lbAddr
	// The RP's redirect URI and the SAML SP.
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.redirects <- r.URL
		_, _ = io.WriteString(w, "RP got the answer")
	}))
	t.Cleanup(rp.Close)
	rs.rpURL = rp.URL
	spSrv := httptest.NewUnstartedServer(nil)
	rs.spURL = "http://" + spSrv.Listener.Addr().String()
	cfg, err := os.ReadFile("../../idp/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yml := strings.ReplaceAll(string(cfg), "https://sp.example.test", rs.spURL)
	yml = strings.ReplaceAll(yml, "http://localhost:8080", rs.rpURL)
	cfgFile := filepath.Join(t.TempDir(), "idp.yaml")
	if err := os.WriteFile(cfgFile, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	// The store, then replica 0 (which generates the keys into the key directory), then
	// replica 1 (which loads them).
	const token = "replica-store-token-0123456789"
	store := start(t, "store", "--addr", "127.0.0.1:0", "--token", token)
	readyURL, _ := store.waitReady(t, http.DefaultClient)
	storeURL := strings.TrimSuffix(readyURL, "/ready")
	keyDir := t.TempDir()
	var backends []haproxy.Backend
	for i, addr := range []string{a0, a1} {
		p := serve(t, "--config", cfgFile, "--addr", addr, "--public-url", rs.public, "--key-dir", keyDir,
			"--store", storeURL, "--store-token", token, "--signer", "go")
		select {
		case <-p.ready:
		case err := <-p.exited:
			t.Fatalf("replica %d exited: %v\n%s", i, err, p.output())
		case <-time.After(30 * time.Second):
			t.Fatalf("replica %d not ready\n%s", i, p.output())
		}
		if !strings.Contains(p.output(), "Shared state: "+storeURL) {
			t.Fatalf("replica %d does not say it uses the store:\n%s", i, p.output())
		}
		backends = append(backends, haproxy.Backend{Name: fmt.Sprintf("r%d", i), Addr: addr})
	}
	lb, err := haproxy.Start(haproxy.Options{Backends: backends, Listen: lbAddr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lb.Close() })
	rs.lb = lb
	rs.startSAMLSP(t, spSrv)
	return rs
}

// startSAMLSP serves a crewjam/saml SP (the oracle) whose home page needs a sign-in.
func (rs *replicaSetup) startSAMLSP(t *testing.T, spSrv *httptest.Server) {
	mdURL, _ := url.Parse(rs.public + "/" + replicaTenant + "/federationmetadata/2007-06/federationmetadata.xml?appid=9a4c7e1f-6b2d-4e8a-b3c5-d7e9f1a2b4c6")
	md, err := samlsp.FetchMetadata(context.Background(), http.DefaultClient, *mdURL)
	if err != nil {
		t.Fatalf("the SP cannot load the metadata through the load balancer: %v", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "replica test SP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	root, _ := url.Parse(rs.spURL)
	mw, err := samlsp.New(samlsp.Options{URL: *root, Key: key, Certificate: cert, IDPMetadata: md, DefaultRedirectURI: "/"})
	if err != nil {
		t.Fatal(err)
	}
	// Entra's portal default NameID is the UPN; the library's default asks for transient.
	mw.ServiceProvider.AuthnNameIDFormat = saml.EmailAddressNameIDFormat
	rs.samlSP = mw
	mux := http.NewServeMux()
	mux.Handle("/saml/", mw)
	mux.Handle("/", mw.RequireAccount(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "signed in as %s", samlsp.AttributeFromContext(r.Context(), "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"))
	})))
	spSrv.Config.Handler = mux
	spSrv.Start()
	t.Cleanup(spSrv.Close)
}

// freeLoopback is a free loopback address (host:port).
func freeLoopback(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
