// Command floor is a measuring stick, not a product: the least a Go net/http server can do
// and still complete the sign-ins `mockidp bench --flavor entra` drives, so that the mock's
// server CPU per sign-in can be compared with what any Go HTTP server pays on the same wire.
//
// It answers the same requests as the mock (SAML: GET /{tenant}/saml2, POST /{tenant}/login
// twice; OIDC: GET /{tenant}/oauth2/v2.0/authorize, POST /{tenant}/login twice, POST
// /{tenant}/oauth2/v2.0/token), over keep-alive HTTP/1.1, with the mock's pages (the same
// forms, fields and sizes), cookies and headers, and makes the signatures the mock makes
// with the same signer (internal/signer, RSA-2048, PKCS #1 v1.5 over a real SHA-256
// digest): one per SAML sign-in, two per OIDC sign-in (access token and ID token). With
// --signer none it makes no signatures (256 zero bytes in their place): what is left is what
// the wire alone costs a Go net/http server.
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
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/ssoharness/ssoharness/internal/signer"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback `address` to listen on (127.0.0.1:PORT; port 0: any free port)")
	signerName := flag.String("signer", signer.NameAuto, "`backend` of the RSA signatures: auto, openssl or go; none: no signatures (256 zero bytes instead), to measure the wire alone")
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
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	var (
		s    crypto.Signer = noSigner{key.Public()}
		name               = "none (no signatures: the wire alone)"
	)
	if signerName != "none" {
		backend, note, err := signer.Choose(signerName)
		if err != nil {
			return err
		}
		s, name = backend.Signer(key), backend.String()+noteSuffix(note)
	}
	f := newFloor(s)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("floor: signer %s\n", name)
	fmt.Printf("floor: listening on http://%s\n", l.Addr())
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 30 * time.Second}
	return srv.Serve(l)
}

// noSigner "signs" with 256 zero bytes (the size of an RSA-2048 signature), for --signer
// none: what the floor costs without its signatures is what the wire costs.
type noSigner struct{ pub crypto.PublicKey }

func (n noSigner) Public() crypto.PublicKey { return n.pub }

func (noSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return make([]byte, 256), nil
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}
