// Command floor is a measuring stick, not a product: the least a Go net/http server can do
// and still complete the sign-ins `mockidp bench --flavor entra` drives, so that the mock's
// server CPU per sign-in can be compared with what any Go HTTP server pays on the same wire.
//
// It answers the same requests as the mock (SAML: GET /{tenant}/saml2, POST /{tenant}/login
// twice; OIDC: GET /{tenant}/oauth2/v2.0/authorize, POST /{tenant}/login twice, POST
// /{tenant}/oauth2/v2.0/token), over keep-alive HTTP/1.1, with the mock's pages (the same
// forms, fields and sizes), cookies and headers, and makes the signatures the mock makes
// with the same signer (internal/signer, RSA-2048, PKCS #1 v1.5 over a real SHA-256
// digest): one per SAML sign-in, two per OIDC sign-in (access token and ID token).
//
// Everything else is left out on purpose: the pages and the SAMLResponse and token claims
// are canned (the request's ID goes in as InResponseTo, the nonce into the ID token, state
// and RelayState come back), the state between requests travels in the form's ctx and in
// the code in the clear, unsealed (padded to the mock's sizes), nothing is stored, nothing
// is checked (no client, no password, no PKCE), nothing is logged, and the assertion's
// digest is over its bytes as written (no XML canonicalisation). Do not point anything but
// a load generator at it.
//
//	go run ./load/peers/floor --addr 127.0.0.1:0 --signer openssl
//	mockidp bench --flavor entra --protocol both --signer openssl \
//	    --server-cmd "floor --addr 127.0.0.1:{port} --signer openssl" --url http://127.0.0.1:{port}
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/ssoharness/ssoharness/internal/signer"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback `address` to listen on (127.0.0.1:PORT; port 0: any free port)")
	signerName := flag.String("signer", signer.NameAuto, "`backend` of the RSA signatures: auto, openssl or go")
	flag.Parse()
	if err := run(*addr, *signerName); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(addr, signerName string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %s: the floor listens on loopback only (127.0.0.1)", addr)
	}
	backend, note, err := signer.Choose(signerName)
	if err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	f := newFloor(backend.Signer(key))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("floor: signer %s%s\n", backend, noteSuffix(note))
	fmt.Printf("floor: listening on http://%s\n", l.Addr())
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 30 * time.Second}
	return srv.Serve(l)
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}
