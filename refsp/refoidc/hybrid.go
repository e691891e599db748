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

// TypeHybridToken is the hybrid flow with an access token from the authorization endpoint
// too (Entra: "Access tokens" enabled under implicit grant); its ID token carries at_hash.
const TypeHybridToken = "code id_token token"

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
		CHash  string `json:"c_hash"`
		AtHash string `json:"at_hash"`
	}
	if err := idt.Claims(&c); err != nil {
		return nil, fmt.Errorf("front-channel ID token rejected: %v", err)
	}
	if w != SkipHashChecks {
		// c_hash is REQUIRED with response_type "code id_token" (OIDC Core 3.3.2.11).
		if want := halfSHA256(code); c.CHash != want {
			return nil, fmt.Errorf("front-channel ID token rejected: c_hash %q is not the hash of the code it came with (%q)", trunc(c.CHash), want)
		}
		// at_hash is REQUIRED with "code id_token token" and binds the access token.
		if r.cfg.ResponseType == TypeHybridToken {
			at := params.Get("access_token")
			if at == "" {
				return nil, errors.New("the hybrid authorization response carries no access_token")
			}
			if want := halfSHA256(at); c.AtHash != want {
				return nil, fmt.Errorf("front-channel ID token rejected: at_hash %q is not the hash of the access token it came with (%q)", trunc(c.AtHash), want)
			}
		}
	}
	return idt, nil
}

// halfSHA256 is c_hash / at_hash for RS256: the left half of SHA-256, base64url.
func halfSHA256(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:len(h)/2])
}
