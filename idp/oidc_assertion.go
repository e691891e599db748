package idp

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Client assertions (RFC 7523 §2.2, OpenID Connect private_key_jwt): a JWT the client signs
// with the private key of a certificate registered on its app registration
// (AppRegistration.KeyCredentials), sent as client_assertion instead of a secret at either
// token endpoint. What Entra checks, as its certificate-credentials page and its errors show:
//
//   - client_assertion_type is urn:ietf:params:oauth:client-assertion-type:jwt-bearer
//     (missing: AADSTS900144; other: AADSTS90011);
//   - a compact JWS, RS256 or PS256 (MSAL sends PS256), whose header names the certificate
//     by x5t#S256 or x5t (base64url; MSAL Go sends standard base64, which Entra takes too) or
//     by kid (keyId or thumbprint): else AADSTS50027;
//   - sub is iss (AADSTS50048), and iss is the client_id (AADSTS700021);
//   - the key is a registered, currently valid certificate and verifies the signature
//     (AADSTS700027, "The key was not found." / "Key was found, but use of the key to verify
//     the signature failed.");
//   - aud is one string, a token endpoint of the tenant on this host, v1 or v2 (MSAL: v2;
//     ADAL: v1; taking both is the mock's reading, not verified against Entra), on the host
//     the request reached (Entra refuses an aud of sts.windows.net sent to
//     login.microsoftonline.com: AzureAD/microsoft-authentication-library-for-dotnet#3352)
//     (AADSTS700023; an array: AADSTS50027);
//   - exp and nbf bracket now, 5 minutes of skew either way (AADSTS700024; Entra sets no
//     upper bound on exp). exp is required.
//
// jti is read and logged but not checked for reuse: Entra's documentation asks clients for a
// unique jti and says nothing of rejecting a replay, and no AADSTS code for one is known.

// jwtBearerAssertion is the only client_assertion_type Entra accepts.
const jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionSkew is the clock skew allowed on exp and nbf.
const assertionSkew = 5 * time.Minute

// assertionAlgs are the signature algorithms accepted.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.RS384, jose.PS384, jose.RS512, jose.PS512}

// Reasons and openings of AADSTS700027, as Entra words them.
const (
	keyNotRegistered  = "The certificate with identifier used to sign the client assertion is not registered on application."
	invalidSignature  = "Client assertion contains an invalid signature."
	reasonKeyNotFound = "The key was not found."
	reasonBadSig      = "Key was found, but use of the key to verify the signature failed."
)

// assertionClaims are the claims read from a client assertion.
type assertionClaims struct {
	Aud json.RawMessage `json:"aud"`
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Jti string          `json:"jti"`
	Exp *json.Number    `json:"exp"`
	Nbf *json.Number    `json:"nbf"`
}

// assertionHeader is the protected header's members that name the key.
type assertionHeader struct {
	Alg       string `json:"alg"`
	Kid       string `json:"kid"`
	X5t       string `json:"x5t"`
	X5tS256   string `json:"x5t#S256"`
	thumbHex  string // the thumbprint as Entra prints it (upper-case hex)
	thumb     []byte
	thumbSize int // 20 (SHA-1) or 32 (SHA-256)
}

// verifyClientAssertion authenticates tr.app by its client assertion.
func (s *Server) verifyClientAssertion(tr *tokenRequest) *Error {
	p, ev, app := tr.p, tr.ev, tr.app
	switch at := p.Get("client_assertion_type"); {
	case at == "":
		return errMissingParameter("client_assertion_type")
	case at != jwtBearerAssertion:
		return ErrUnexpectedAssertionType.with().withCause(fmt.Errorf("client_assertion_type %q", truncate(at, 128)))
	}
	tok := strings.TrimSpace(tr.assertion)
	if tok == "" {
		return errMissingParameter("client_assertion")
	}
	hdr, c, e := parseAssertion(tok)
	if e != nil {
		return e
	}
	ev.Request["client_assertion_jti"] = truncate(c.Jti, 128)
	ev.Request["client_assertion_thumbprint"] = hdr.thumbHex
	if c.Sub != c.Iss {
		return ErrAssertionSubject.with().withCause(fmt.Errorf("iss %q, sub %q", truncate(c.Iss, 64), truncate(c.Sub, 64)))
	}
	if !strings.EqualFold(c.Iss, app.AppID) {
		return ErrAssertionAppID.with().withCause(fmt.Errorf("iss %q, sub %q, client_id %q", truncate(c.Iss, 64), truncate(c.Sub, 64), app.AppID))
	}
	if e := s.checkAssertionKey(tok, hdr, app); e != nil {
		return e
	}
	var aud string
	if json.Unmarshal(c.Aud, &aud) != nil {
		return ErrInvalidJWT.with().withCause(errors.New("aud is not one string"))
	}
	if !s.assertionAudienceOK(aud, tr) {
		return ErrAssertionAudience.with().withCause(fmt.Errorf("aud %q is not a token endpoint of this tenant", truncate(aud, 256)))
	}
	now := s.clock.Now()
	nbf := time.Unix(0, 0).UTC()
	if c.Nbf != nil {
		nbf = numericDate(*c.Nbf)
	}
	exp := numericDate(*c.Exp)
	if now.After(exp.Add(assertionSkew)) || now.Add(assertionSkew).Before(nbf) {
		const f = "2006-01-02T15:04:05.0000000Z"
		return ErrAssertionTimeRange.with(now.UTC().Format(f), nbf.UTC().Format(f), exp.UTC().Format(f))
	}
	return nil
}

// appAcr is the access token's appidacr / azpacr: how the client authenticated, "0" not at
// all (public client), "1" by secret, "2" by certificate (a client assertion).
func (tr *tokenRequest) appAcr() string {
	switch {
	case tr.assertion != "":
		return "2"
	case tr.hasAuth:
		return "1"
	}
	return "0"
}

// parseAssertion reads the header and claims of a compact JWS without verifying it.
func parseAssertion(tok string) (*assertionHeader, *assertionClaims, *Error) {
	bad := func(err error) (*assertionHeader, *assertionClaims, *Error) {
		return nil, nil, ErrInvalidJWT.with().withCause(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return bad(fmt.Errorf("a compact JWS has 3 parts, this has %d", len(parts)))
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return bad(fmt.Errorf("header: %w", err))
	}
	var h assertionHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return bad(fmt.Errorf("header: %w", err))
	}
	switch {
	case h.X5tS256 != "":
		h.thumb, h.thumbSize = decodeThumbprint(h.X5tS256), 32
	case h.X5t != "":
		h.thumb, h.thumbSize = decodeThumbprint(h.X5t), 20
	case h.Kid != "":
		h.thumbHex = strings.ToUpper(truncate(h.Kid, 128))
	default:
		return bad(errors.New("no certificate thumbprint (x5t#S256, x5t or kid) in the header"))
	}
	if h.thumb != nil {
		if len(h.thumb) != h.thumbSize {
			return bad(fmt.Errorf("the thumbprint is %d bytes, want %d", len(h.thumb), h.thumbSize))
		}
		h.thumbHex = strings.ToUpper(hex.EncodeToString(h.thumb))
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return bad(fmt.Errorf("payload: %w", err))
	}
	var c assertionClaims
	d := json.NewDecoder(bytes.NewReader(pb))
	d.UseNumber()
	if err := d.Decode(&c); err != nil {
		return bad(fmt.Errorf("payload: %w", err))
	}
	if c.Exp == nil || !finiteNumber(*c.Exp) || (c.Nbf != nil && !finiteNumber(*c.Nbf)) {
		return bad(errors.New("exp is required and exp, nbf must be NumericDates"))
	}
	return &h, &c, nil
}

// decodeThumbprint reads a thumbprint in base64url or standard base64, padded or not.
func decodeThumbprint(v string) []byte {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			return b
		}
	}
	return []byte{} // not nil: a thumbprint was given, and matches nothing
}

func finiteNumber(n json.Number) bool {
	f, err := n.Float64()
	return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 1e12
}

func numericDate(n json.Number) time.Time {
	f, _ := n.Float64()
	return time.Unix(int64(f), 0).UTC()
}

// checkAssertionKey finds the registered certificate the header names, valid now, and
// verifies the signature with it.
func (s *Server) checkAssertionKey(tok string, h *assertionHeader, app *AppRegistration) *Error {
	now := s.clock.Now()
	var key *KeyCredential
	for _, k := range app.KeyCredentials {
		var match bool
		switch {
		case h.thumbSize == 32:
			match = subtle.ConstantTimeCompare(h.thumb, k.s256) == 1
		case h.thumbSize == 20:
			match = subtle.ConstantTimeCompare(h.thumb, k.sha1) == 1
		default:
			match = strings.EqualFold(h.Kid, k.KeyID) || strings.EqualFold(h.Kid, hex.EncodeToString(k.sha1)) ||
				h.Kid == b64(k.sha1) || h.Kid == b64(k.s256)
		}
		if match && !now.Before(k.start) && now.Before(k.end) {
			key = k
			break
		}
	}
	if key == nil {
		return ErrAssertionSignature.with(keyNotRegistered, reasonKeyNotFound, h.thumbHex, "", app.AppID, app.AppID)
	}
	jws, err := jose.ParseSigned(tok, assertionAlgs)
	if err == nil {
		_, err = jws.Verify(key.pub)
	}
	if err != nil {
		const f = "01/02/2006 15:04:05"
		found := fmt.Sprintf(", Found key 'Start=%s, End=%s'", key.start.UTC().Format(f), key.end.UTC().Format(f))
		return ErrAssertionSignature.with(invalidSignature, reasonBadSig, h.thumbHex, found, app.AppID, app.AppID).withCause(err)
	}
	return nil
}

// assertionAudienceOK reports whether aud is a token endpoint (v1 or v2) of the request's
// tenant on this server: the tenant by ID or verified domain, or the path's common or
// organizations. Scheme and host compare case-insensitively, as URLs do.
func (s *Server) assertionAudienceOK(aud string, tr *tokenRequest) bool {
	base := s.base()
	if len(aud) < len(base) || !strings.EqualFold(aud[:len(base)], base) {
		return false
	}
	seg, ok := strings.CutPrefix(aud[len(base):], "/")
	if !ok {
		return false
	}
	seg, rest, _ := strings.Cut(seg, "/")
	if rest != "oauth2/token" && rest != "oauth2/v2.0/token" {
		return false
	}
	t := tr.tenant
	if t == nil {
		if strings.EqualFold(seg, "common") || strings.EqualFold(seg, "organizations") {
			return true
		}
		t = s.dir.tenantOf[tr.app]
	}
	if strings.EqualFold(seg, t.ID) {
		return true
	}
	for _, d := range t.VerifiedDomains {
		if strings.EqualFold(seg, d) {
			return true
		}
	}
	return false
}
