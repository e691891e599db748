package refoidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"

	"github.com/coreos/go-oidc/v3/oidc"
)

// TypeHybrid is the hybrid flow's response_type: the code and an ID token from the
// authorization endpoint.
const TypeHybrid = "code id_token"

// checkHybrid validates the ID token of a hybrid authorization response (OIDC Core 3.3.2.12):
// as any ID token (signature, iss, aud, exp: the verifier), its nonce, and its c_hash, which
// must be the hash of the code it came with — the binding that stops a code swapped in from
// another sign-in (code substitution). It returns the verified token.
func (r *RP) checkHybrid(ctx context.Context, p *provider, params url.Values, code, nonce string) (*oidc.IDToken, error) {
	w := r.cfg.Weakness
	raw := params.Get("id_token")
	if raw == "" {
		return nil, errors.New("the hybrid authorization response carries no id_token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("front-channel ID token rejected: %v", err)
	}
	if w != SkipNonceCheck && (nonce == "" || idt.Nonce != nonce) {
		return nil, fmt.Errorf("front-channel ID token rejected: nonce %q is not the one this browser sent", trunc(idt.Nonce))
	}
	var c struct {
		CHash string `json:"c_hash"`
	}
	if err := idt.Claims(&c); err != nil {
		return nil, fmt.Errorf("front-channel ID token rejected: %v", err)
	}
	if w != SkipCHashCheck {
		// c_hash is REQUIRED with response_type "code id_token" (OIDC Core 3.3.2.11).
		if want := halfSHA256(code); c.CHash != want {
			return nil, fmt.Errorf("front-channel ID token rejected: c_hash %q is not the hash of the code it came with (%q)", trunc(c.CHash), want)
		}
	}
	return idt, nil
}

// halfSHA256 is c_hash / at_hash for RS256: the left half of SHA-256, base64url.
func halfSHA256(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:len(h)/2])
}
