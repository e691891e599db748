package load

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxBody caps a response body read by the driver.
const maxBody = 4 << 20

// maxHops bounds the requests of one browsing sequence (redirects and forms).
const maxHops = 16

// driver runs sign-ins of one flavor against one server. It is safe for concurrent use:
// every sign-in has its own client and cookie jar, sharing the transport's connections.
type driver struct {
	base      *url.URL
	flavor    Flavor
	transport http.RoundTripper
	timeout   time.Duration
	deflaters sync.Pool // *flate.Writer
}

func newDriver(base *url.URL, f Flavor, rt http.RoundTripper, timeout time.Duration) *driver {
	return &driver{base: base, flavor: f, transport: rt, timeout: timeout}
}

// signIn runs one complete sign-in and returns the number of signatures it produced.
func (d *driver) signIn(ctx context.Context, p Protocol) (int, error) {
	switch p {
	case ProtocolSAML:
		return d.saml(ctx)
	case ProtocolOIDC:
		return d.oidc(ctx)
	}
	return 0, fmt.Errorf("unknown protocol %q", p)
}

// browser is one sign-in's client: a fresh cookie jar, redirects followed by hand.
type browser struct {
	d      *driver
	client *http.Client
	// filled counts the credential forms submitted, by kind.
	filled [3]int
}

func (d *driver) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{d: d, client: &http.Client{
		Transport:     d.transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// open starts a sign-in as a user does: a new browser (an empty cookie jar) opens u and
// browses until the flow leaves the server.
func (d *driver) open(ctx context.Context, u *url.URL) (*browser, *landing, error) {
	start, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	b := d.newBrowser()
	l, err := b.browse(ctx, start)
	return b, l, err
}

// do sends req with the driver's per-request timeout and reads the body.
func (b *browser) do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, b.d.timeout)
	defer cancel()
	resp, err := b.client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, shortURL(req.URL), unwrapURLError(err))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: reading the response: %w", req.Method, shortURL(req.URL), err)
	}
	return resp, body, nil
}

// landing is where browsing stopped: a redirect that leaves the server (to the OIDC
// redirect URI), or a page whose form carries a SAMLResponse (to the SP's ACS).
type landing struct {
	redirect *url.URL
	form     *form
}

// browse starts with req and does what a browser with a user at the keyboard does until the
// flow leaves the server: follow redirects, submit auto-posting forms as they are, type the
// user and password into sign-in forms. A credential form that comes back after it was
// submitted means the credentials were refused: an error with what the page says.
func (b *browser) browse(ctx context.Context, req *http.Request) (*landing, error) {
	f := b.d.flavor
	for range maxHops {
		resp, body, err := b.do(ctx, req)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc, err := resp.Location()
			if err != nil {
				return nil, fmt.Errorf("%s %s: redirect without a valid Location: %w", req.Method, shortURL(req.URL), err)
			}
			if !sameOrigin(loc, b.d.base) {
				return &landing{redirect: loc}, nil
			}
			if req, err = http.NewRequest(http.MethodGet, loc.String(), nil); err != nil {
				return nil, err
			}
			continue
		case http.StatusOK:
		default:
			return nil, fmt.Errorf("%s %s: HTTP %d: %s", req.Method, shortURL(req.URL), resp.StatusCode, describe(resp, body))
		}
		pg := parsePage(resp.Request.URL, body)
		for _, fm := range pg.forms {
			if fm.has("SAMLResponse") {
				return &landing{form: fm}, nil
			}
		}
		if pg.autoSubmit && len(pg.forms) > 0 {
			if req, err = pg.forms[0].request(); err != nil {
				return nil, err
			}
			continue
		}
		var fm *form
		for _, c := range pg.forms {
			if c.credentialKind() != LoginNone {
				fm = c
				break
			}
		}
		if fm == nil {
			return nil, fmt.Errorf("%s %s: stopped on a page with no sign-in form: %s", req.Method, shortURL(req.URL), pg.problem())
		}
		kind := fm.credentialKind()
		if b.filled[kind] > 0 {
			return nil, fmt.Errorf("sign-in refused (%s): %s", kindStep(kind), pg.problem())
		}
		b.filled[kind]++
		fm.fill(f.User, f.Password)
		if req, err = fm.request(); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no response after %d requests (a redirect or form loop?)", maxHops)
}

// checkLogin reports an error when the flow did not ask for what the flavor says it asks.
func (b *browser) checkLogin(want LoginKind) error {
	switch want {
	case LoginPassword:
		if b.filled[LoginPassword] == 0 {
			return errors.New("the response came without a password being asked for (want a sign-in page)")
		}
	case LoginForm:
		if b.filled[LoginForm]+b.filled[LoginPassword] == 0 {
			return errors.New("the response came without a sign-in form being shown")
		}
	}
	return nil
}

func kindStep(k LoginKind) string {
	if k == LoginPassword {
		return "password step"
	}
	return "user step"
}

// saml runs an SP-initiated SAML sign-in and returns the number of ds:Signature elements of
// the Response.
func (d *driver) saml(ctx context.Context) (int, error) {
	sp := d.flavor.SAML
	id := "_" + randomHex(16)
	relay := randomToken(12)
	sso, err := d.base.Parse(sp.SSOPath)
	if err != nil {
		return 0, err
	}
	req := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`+
		` ID="%s" Version="2.0" IssueInstant="%s" Destination="%s" AssertionConsumerServiceURL="%s"`+
		` ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
		id, time.Now().UTC().Format("2006-01-02T15:04:05Z"), xmlEscape(sso.String()), xmlEscape(sp.ACSURL), xmlEscape(sp.SPEntityID))
	enc, err := d.deflate([]byte(req))
	if err != nil {
		return 0, err
	}
	q := url.Values{"SAMLRequest": {enc}, "RelayState": {relay}}
	sso.RawQuery = q.Encode()
	b, l, err := d.open(ctx, sso)
	if err != nil {
		return 0, err
	}
	if l.form == nil {
		return 0, fmt.Errorf("redirected to %s instead of getting a SAMLResponse", shortURL(l.redirect))
	}
	if err := b.checkLogin(sp.Login); err != nil {
		return 0, err
	}
	if l.form.action != sp.ACSURL {
		return 0, fmt.Errorf("the SAMLResponse is posted to %q, not to the ACS %q", l.form.action, sp.ACSURL)
	}
	if got := l.form.get("RelayState"); got != relay {
		return 0, fmt.Errorf("RelayState %q came back as %q", relay, got)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(l.form.get("SAMLResponse")), ""))
	if err != nil {
		return 0, fmt.Errorf("SAMLResponse is not base64: %w", err)
	}
	want := ""
	if sp.InResponseTo {
		want = id
	}
	return checkSAMLResponse(raw, want)
}

// deflate is the HTTP-Redirect binding's encoding: raw DEFLATE, then base64.
func (d *driver) deflate(b []byte) (string, error) {
	var buf bytes.Buffer
	w, _ := d.deflaters.Get().(*flate.Writer)
	if w == nil {
		var err error
		if w, err = flate.NewWriter(&buf, flate.DefaultCompression); err != nil {
			return "", err
		}
	} else {
		w.Reset(&buf)
	}
	if _, err := w.Write(b); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	d.deflaters.Put(w)
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// SAML namespaces.
const (
	nsSAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsSAML  = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig  = "http://www.w3.org/2000/09/xmldsig#"
)

// checkSAMLResponse checks that raw is a samlp:Response with status Success, an assertion,
// and (when inResponseTo is not empty) that InResponseTo; it returns the number of
// ds:Signature elements in it.
func checkSAMLResponse(raw []byte, inResponseTo string) (int, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var (
		root, status, message string
		sigs, assertions      int
		inStatus, inMessage   bool
		gotIRT                string
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("SAMLResponse is not XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = t.Name.Space + " " + t.Name.Local
				if t.Name.Space != nsSAMLP || t.Name.Local != "Response" {
					return 0, fmt.Errorf("SAMLResponse holds a {%s}%s, not a samlp:Response", t.Name.Space, t.Name.Local)
				}
				for _, a := range t.Attr {
					if a.Name.Local == "InResponseTo" && a.Name.Space == "" {
						gotIRT = a.Value
					}
				}
			}
			switch {
			case t.Name.Space == nsDSig && t.Name.Local == "Signature":
				sigs++
			case t.Name.Space == nsSAML && (t.Name.Local == "Assertion" || t.Name.Local == "EncryptedAssertion"):
				assertions++
			case t.Name.Space == nsSAMLP && t.Name.Local == "Status":
				inStatus = true
			case inStatus && t.Name.Space == nsSAMLP && t.Name.Local == "StatusCode" && status == "":
				for _, a := range t.Attr {
					if a.Name.Local == "Value" {
						status = a.Value
					}
				}
			case inStatus && t.Name.Space == nsSAMLP && t.Name.Local == "StatusMessage":
				inMessage = true
			}
		case xml.EndElement:
			if t.Name.Space == nsSAMLP && t.Name.Local == "Status" {
				inStatus = false
			}
			if t.Name.Space == nsSAMLP && t.Name.Local == "StatusMessage" {
				inMessage = false
			}
		case xml.CharData:
			if inMessage {
				message += string(t)
			}
		}
	}
	if root == "" {
		return 0, errors.New("SAMLResponse is empty")
	}
	if status != "urn:oasis:names:tc:SAML:2.0:status:Success" {
		msg := strings.TrimSpace(message)
		if i := strings.IndexAny(msg, "\r\n"); i > 0 {
			msg = msg[:i]
		}
		return 0, fmt.Errorf("SAML Response status %s: %s", strings.TrimPrefix(status, "urn:oasis:names:tc:SAML:2.0:status:"), msg)
	}
	if assertions == 0 {
		return 0, errors.New("the Success Response has no assertion")
	}
	if inResponseTo != "" && gotIRT != inResponseTo {
		return 0, fmt.Errorf("the Response's InResponseTo is %q, not the request's ID %q", gotIRT, inResponseTo)
	}
	return sigs, nil
}

// oidc runs an authorization code flow with PKCE and returns the number of signed JWTs
// among the code and the tokens.
func (d *driver) oidc(ctx context.Context) (int, error) {
	c := d.flavor.OIDC
	state, nonce, verifier := randomToken(16), randomToken(16), randomToken(32)
	sum := sha256.Sum256([]byte(verifier))
	authz, err := d.base.Parse(c.AuthorizePath)
	if err != nil {
		return 0, err
	}
	authz.RawQuery = url.Values{
		"client_id": {c.ClientID}, "response_type": {"code"}, "redirect_uri": {c.RedirectURI},
		"scope": {c.Scope}, "state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}.Encode()
	b, l, err := d.open(ctx, authz)
	if err != nil {
		return 0, err
	}
	if l.redirect == nil {
		return 0, fmt.Errorf("got a page posting to %s instead of a redirect to %s", l.form.action, c.RedirectURI)
	}
	back := *l.redirect
	back.RawQuery, back.Fragment = "", ""
	if back.String() != c.RedirectURI {
		return 0, fmt.Errorf("redirected to %s, not to the redirect URI %s", shortURL(l.redirect), c.RedirectURI)
	}
	q := l.redirect.Query()
	if e := q.Get("error"); e != "" {
		return 0, fmt.Errorf("authorize: %s: %s", e, firstLine(q.Get("error_description")))
	}
	if err := b.checkLogin(c.Login); err != nil {
		return 0, err
	}
	if q.Get("state") != state {
		return 0, fmt.Errorf("state %q came back as %q", state, q.Get("state"))
	}
	code := q.Get("code")
	if code == "" {
		return 0, fmt.Errorf("redirect to %s without a code", shortURL(l.redirect))
	}
	tokenURL, err := d.base.Parse(c.TokenPath)
	if err != nil {
		return 0, err
	}
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURI},
		"code_verifier": {verifier}, "client_id": {c.ClientID},
	}
	if c.ClientSecret != "" {
		form.Set("client_secret", c.ClientSecret)
	}
	req, err := http.NewRequest(http.MethodPost, tokenURL.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, body, err := b.do(ctx, req)
	if err != nil {
		return 0, err
	}
	var tr struct {
		TokenType        string `json:"token_type"`
		AccessToken      string `json:"access_token"`
		IDToken          string `json:"id_token"`
		RefreshToken     string `json:"refresh_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	jerr := json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK || tr.Error != "" {
		if jerr == nil && tr.Error != "" {
			return 0, fmt.Errorf("token: HTTP %d %s: %s", resp.StatusCode, tr.Error, firstLine(tr.ErrorDescription))
		}
		return 0, fmt.Errorf("token: HTTP %d: %s", resp.StatusCode, describe(resp, body))
	}
	if jerr != nil {
		return 0, fmt.Errorf("token: the response is not JSON: %w", jerr)
	}
	if tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "Bearer") {
		return 0, fmt.Errorf("token: no Bearer access_token (token_type %q)", tr.TokenType)
	}
	if tr.IDToken == "" {
		return 0, errors.New("token: no id_token for scope openid")
	}
	if c.Nonce {
		var claims struct {
			Nonce string `json:"nonce"`
		}
		if err := jwtClaims(tr.IDToken, &claims); err != nil {
			return 0, fmt.Errorf("id_token: %w", err)
		}
		if claims.Nonce != nonce {
			return 0, fmt.Errorf("id_token nonce %q, want %q", claims.Nonce, nonce)
		}
	}
	return countJWS(code, tr.IDToken, tr.AccessToken, tr.RefreshToken), nil
}

// countJWS counts the signed JWS compact serializations among tokens.
func countJWS(tokens ...string) int {
	n := 0
	for _, t := range tokens {
		if isJWS(t) {
			n++
		}
	}
	return n
}

// isJWS reports whether s is a JWS compact serialization with a signature: three
// base64url parts, a JSON header whose alg is set and not "none", a non-empty signature.
func isJWS(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[2] == "" {
		return false
	}
	hb, err := b64url(parts[0])
	if err != nil {
		return false
	}
	if _, err := b64url(parts[1]); err != nil {
		return false
	}
	if _, err := b64url(parts[2]); err != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &h) != nil {
		return false
	}
	return h.Alg != "" && !strings.EqualFold(h.Alg, "none")
}

// jwtClaims decodes a JWT's payload (without verifying it: bench counts, it does not trust).
func jwtClaims(jwt string, v any) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT (%d parts)", len(parts))
	}
	b, err := b64url(parts[1])
	if err != nil {
		return fmt.Errorf("payload is not base64url: %w", err)
	}
	return json.Unmarshal(b, v)
}

func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomToken is n random bytes, base64url (PKCE's unreserved characters).
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// shortURL is a URL without its query (SAMLRequest, codes): for messages.
func shortURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.Fragment = "", ""
	return c.String()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return capString(s, 300)
}

// describe summarises an unexpected response body: the page's problem for HTML, else its
// first line.
func describe(resp *http.Response, body []byte) string {
	if strings.Contains(resp.Header.Get("Content-Type"), "html") || bytes.Contains(body[:min(len(body), 512)], []byte("<")) {
		return parsePage(resp.Request.URL, body).problem()
	}
	return firstLine(string(body))
}

// unwrapURLError drops *url.Error's "Get URL:" prefix (the caller says which request).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
