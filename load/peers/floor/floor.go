package main

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Paths of the default directory, as the entra flavor drives them.
const (
	pathReady     = "/_mockidp/ready"
	pathSAML      = tenantPath + "/saml2"
	pathAuthorize = tenantPath + "/oauth2/v2.0/authorize"
	pathLogin     = tenantPath + "/login"
	pathToken     = tenantPath + "/oauth2/v2.0/token"
	acsURL        = "https://sp.example.test/saml/acs"
)

// The sizes of the mock's opaque values on the wire, which the floor pads its own to: the
// sign-in page's ctx (SAML, OIDC) and the authorization code.
const (
	ctxSizeSAML = 2201
	ctxSizeOIDC = 1392
	codeSize    = 895
)

// filler pads ctx and codes to the mock's sizes.
var filler = strings.Repeat("A", 4096)

// Canned header values, set into the header map as they are (no canonicalisation per
// request).
var (
	hdrHTML       = []string{"text/html; charset=utf-8"}
	hdrJSON       = []string{"application/json; charset=utf-8"}
	hdrNoStore    = []string{"no-store, no-cache"}
	hdrNoSniff    = []string{"nosniff"}
	hdrDeny       = []string{"DENY"}
	hdrServer     = []string{"ssoharness-mockidp"}
	hdrNoCache    = []string{"no-cache"}
	hdrExpires    = []string{"-1"}
	hdrRequestID  = []string{"e3ee267d-f320-4843-aa1f-435f745e8638"}
	hdrCookieCtx  = []string{"esctx=PEAA2M7IFZV54FOGOUUVLEFASI; Path=/; HttpOnly; SameSite=Lax"}
	hdrCookieAuth = []string{"ESTSAUTH=" + filler[:380] + "; Path=/; HttpOnly; SameSite=Lax"}
)

// floor is the server: a signer and buffers.
type floor struct {
	sign crypto.Signer
	bufs sync.Pool // *bytes.Buffer
	uti  atomic.Uint64
}

func newFloor(s crypto.Signer) *floor { return &floor{sign: s} }

// ServeHTTP dispatches on the path alone: the method is what the driver sends.
func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case pathSAML:
		f.samlRequest(w, r)
	case pathAuthorize:
		f.authorize(w, r)
	case pathLogin:
		f.login(w, r)
	case pathToken:
		f.token(w, r)
	case pathReady:
		w.Write([]byte("ready\n"))
	default:
		http.NotFound(w, r)
	}
}

func (f *floor) buffer() *bytes.Buffer {
	if b, ok := f.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return bytes.NewBuffer(make([]byte, 0, 16<<10))
}

// page writes an HTML page with the mock's headers.
func (f *floor) page(w http.ResponseWriter, b *bytes.Buffer, cookie []string) {
	h := w.Header()
	h["Cache-Control"] = hdrNoStore
	h["Content-Type"] = hdrHTML
	if cookie != nil {
		h["Set-Cookie"] = cookie
	}
	h["X-Content-Type-Options"] = hdrNoSniff
	h["X-Frame-Options"] = hdrDeny
	h["X-Ms-Ests-Server"] = hdrServer
	w.Write(b.Bytes())
	f.bufs.Put(b)
}

// ctx is the state a sign-in page carries: its kind ("s" SAML, "o" OIDC) and two values
// (SAML: the AuthnRequest's ID and the RelayState; OIDC: state and nonce), base64url,
// padded to the mock's size.
func appendCtx(dst []byte, kind string, a, b string, size int) []byte {
	start := len(dst)
	dst = append(dst, kind...)
	dst = append(dst, '.')
	dst = base64.RawURLEncoding.AppendEncode(dst, []byte(a))
	dst = append(dst, '.')
	dst = base64.RawURLEncoding.AppendEncode(dst, []byte(b))
	dst = append(dst, '.')
	if n := size - (len(dst) - start); n > 0 {
		dst = append(dst, filler[:min(n, len(filler))]...)
	}
	return dst
}

// parseCtx splits a ctx into its kind and two values.
func parseCtx(ctx string) (kind, a, b string, ok bool) {
	parts := strings.SplitN(ctx, ".", 4)
	if len(parts) < 3 {
		return "", "", "", false
	}
	ab, err1 := base64.RawURLEncoding.DecodeString(parts[1])
	bb, err2 := base64.RawURLEncoding.DecodeString(parts[2])
	return parts[0], string(ab), string(bb), err1 == nil && err2 == nil
}

// emailPage is the sign-in page's email step.
func (f *floor) emailPage(w http.ResponseWriter, kind, a, b string) {
	buf := f.buffer()
	buf.WriteString(pageHead)
	step, size := emailStepSAML, ctxSizeSAML
	if kind == "o" {
		step, size = emailStepOIDC, ctxSizeOIDC
	}
	buf.WriteString(step)
	buf.WriteString(emailForm)
	buf.Write(appendCtx(buf.AvailableBuffer(), kind, a, b, size))
	buf.WriteString(emailTail)
	f.page(w, buf, hdrCookieCtx)
}

// samlRequest reads the AuthnRequest's ID (inflated, found by its attribute, not parsed as
// XML) and shows the email step.
func (f *floor) samlRequest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw, err := base64.StdEncoding.DecodeString(q.Get("SAMLRequest"))
	if err != nil {
		http.Error(w, "SAMLRequest is not base64", http.StatusBadRequest)
		return
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		http.Error(w, "SAMLRequest is not deflated", http.StatusBadRequest)
		return
	}
	id := attr(xml, " ID=\"")
	if id == "" {
		http.Error(w, "AuthnRequest without an ID", http.StatusBadRequest)
		return
	}
	f.emailPage(w, "s", id, q.Get("RelayState"))
}

// attr is the value after prefix up to the next quote ("" when absent).
func attr(doc []byte, prefix string) string {
	i := bytes.Index(doc, []byte(prefix))
	if i < 0 {
		return ""
	}
	v := doc[i+len(prefix):]
	j := bytes.IndexByte(v, '"')
	if j < 0 {
		return ""
	}
	return string(v[:j])
}

// authorize keeps state and nonce in ctx and shows the email step.
func (f *floor) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.emailPage(w, "o", q.Get("state"), q.Get("nonce"))
}

// login is both steps of the sign-in page: the email step shows the password step; the
// password step (no password checked) ends the sign-in.
func (f *floor) login(w http.ResponseWriter, r *http.Request) {
	ctx, step := r.PostFormValue("ctx"), r.PostFormValue("step")
	kind, a, b, ok := parseCtx(ctx)
	if !ok {
		http.Error(w, "bad ctx", http.StatusBadRequest)
		return
	}
	if step == "email" {
		buf := f.buffer()
		login := html.EscapeString(r.PostFormValue("login"))
		buf.WriteString(pageHead)
		buf.WriteString(passwordIdentity)
		buf.WriteString(login)
		buf.WriteString(passwordForm)
		buf.WriteString(ctx)
		buf.WriteString(passwordLogin)
		buf.WriteString(login)
		buf.WriteString(passwordTail)
		f.page(w, buf, nil)
		return
	}
	switch kind {
	case "s":
		f.samlResponse(w, a, b)
	case "o":
		f.redirectWithCode(w, a, b)
	default:
		http.Error(w, "bad ctx", http.StatusBadRequest)
	}
}

// signSHA256 signs the SHA-256 digest of msg (PKCS #1 v1.5).
func (f *floor) signSHA256(msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	return f.sign.Sign(rand.Reader, d[:], crypto.SHA256)
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
