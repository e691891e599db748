package idp

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"
)

// A sealed value is state the browser or the RP carries back to the IdP, encrypted and
// authenticated with the server's state key (AES-256-GCM), as Entra's opaque codes, ctx and
// session cookies are. Any replica with the same state key opens it, so no replica has to
// remember it. Sealed values name their purpose, so that a code cannot be replayed as a
// refresh token or a flow handle.

// sealVersion is the first byte of every sealed value, so that a later format can be told
// apart.
const sealVersion = 1

// errSealed is the one error for a sealed value that is not ours, was altered, has the
// wrong purpose or has expired: callers answer it as Entra answers an unknown value.
var errSealed = errors.New("idp: sealed value not valid")

// sealedEnvelope is what is encrypted: the purpose, when it stops being valid, and the
// value's JSON.
type sealedEnvelope struct {
	Purpose string          `json:"p"`
	Expires int64           `json:"e,omitempty"` // Unix seconds; 0 = never
	Value   json.RawMessage `json:"v"`
}

// WithStateKey sets the secret the server seals state with (at least 32 bytes). Replicas of
// one mock IdP need the same; by default it is derived from the server's signing keys, so
// replicas started with the same keys (one --key-dir or config) agree without it.
func WithStateKey(secret []byte) Option {
	return func(s *Server) error {
		if len(secret) < 32 {
			return errors.New("state key: need at least 32 bytes")
		}
		s.stateSecret = append([]byte(nil), secret...)
		return nil
	}
}

// initSealer derives the AEAD from the state secret, or from the signing keys when none was
// given (sorted, so the order the config lists them in does not matter).
func (s *Server) initSealer() error {
	secret := s.stateSecret
	if secret == nil {
		var ders [][]byte
		for _, keys := range s.appKeys {
			for _, k := range keys {
				if der, err := x509.MarshalPKCS8PrivateKey(k.Key); err == nil {
					ders = append(ders, der)
				}
			}
		}
		for _, keys := range s.oidc.keys {
			for _, k := range keys {
				if der, err := x509.MarshalPKCS8PrivateKey(k.Key); err == nil {
					ders = append(ders, der)
				}
			}
		}
		slices.SortFunc(ders, func(a, b []byte) int { return slices.Compare(a, b) })
		h := sha256.New()
		for _, d := range ders {
			h.Write(d)
		}
		secret = h.Sum(nil)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "mockidp state v1", 32)
	if err != nil {
		return err
	}
	if s.nonceKey, err = hkdf.Key(sha256.New, secret, nil, "mockidp state nonce v1", 32); err != nil {
		return err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	s.sealer, err = cipher.NewGCM(block)
	return err
}

// seal encrypts v for purpose, valid until expires (zero: no expiry of its own), as
// base64url without padding (safe in URLs, forms and cookies).
func (s *Server) seal(purpose string, v any, expires time.Time) (string, error) {
	var exp int64
	if !expires.IsZero() {
		exp = expires.Unix()
	}
	var plain []byte
	if bv, ok := v.(sealBinary); ok {
		// The binary envelope: binaryPlain, the purpose, the expiry and the value.
		plain = appendStr(append(make([]byte, 0, 1024), binaryPlain), purpose)
		plain = binary.AppendVarint(plain, exp)
		if plain, ok = bv.appendSealed(plain); !ok {
			plain = nil
		}
	}
	if plain == nil {
		raw, err := marshalPlain(v)
		if err != nil {
			return "", err
		}
		// The envelope {"p":…,"e":…,"v":…} of sealedEnvelope, written directly: encoding it
		// with the value as a json.RawMessage would copy and re-validate the value's JSON.
		p, err := marshalPlain(purpose)
		if err != nil {
			return "", err
		}
		plain = make([]byte, 0, len(raw)+len(p)+40)
		plain = append(append(plain, `{"p":`...), p...)
		if exp != 0 {
			plain = strconv.AppendInt(append(plain, `,"e":`...), exp, 10)
		}
		plain = append(append(append(plain, `,"v":`...), raw...), '}')
	}
	// The nonce is synthetic (as in SIV): an HMAC of the purpose and plaintext under a key of
	// its own. It draws nothing from the server's random source (a draw would shift every
	// later ID of a seeded, reproducible run) and yet is the same only for the same plaintext,
	// which then seals to the same value — harmless, and never the GCM nonce reuse two
	// replicas or two seeded runs drawing random nonces could hit. Every sealed state holds
	// an ID of its own, so equal plaintexts do not occur in practice.
	mac := hmac.New(sha256.New, s.nonceKey)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write(plain)
	ns := s.sealer.NonceSize()
	out := make([]byte, 1, 1+ns+len(plain)+s.sealer.Overhead())
	out[0] = sealVersion
	out = mac.Sum(out)[:1+ns]
	out = s.sealer.Seal(out, out[1:1+ns], plain, []byte(purpose))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// marshalPlain is json.Marshal without HTML escaping: a sealed value is never HTML, and a
// request's XML kept in a sealed flow would otherwise grow by a sixth of each "<" and ">"
// (as \u003c), twice (value and envelope).
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// unseal opens a value sealed for purpose into v (a pointer); any failure (not ours, altered, another
// purpose, expired by the server's clock) is errSealed.
func (s *Server) unseal(purpose, sealed string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	ns := s.sealer.NonceSize()
	if err != nil || len(b) < 1+ns+s.sealer.Overhead() || b[0] != sealVersion {
		return errSealed
	}
	plain, err := s.sealer.Open(nil, b[1:1+ns], b[1+ns:], []byte(purpose))
	if err != nil {
		return errSealed
	}
	if len(plain) > 0 && plain[0] == binaryPlain {
		bv, ok := v.(unsealBinary)
		r := &binReader{b: plain[1:]}
		if !ok || r.str() != purpose {
			return errSealed
		}
		exp, n := binary.Varint(r.b)
		if r.err != nil || n <= 0 {
			return errSealed
		}
		r.b = r.b[n:]
		if bv.readSealed(r) != nil {
			return errSealed
		}
		if exp != 0 && !s.clock.Now().Before(time.Unix(exp, 0)) {
			return errSealed
		}
		return nil
	}
	if _, binOnly := v.(sealBinaryOnly); binOnly {
		return errSealed // sealed as JSON before its binary form (seal_state.go)
	}
	// One pass: the value is decoded in place (the purpose is already bound as GCM's
	// additional data); v is not to be used when unseal fails.
	env := struct {
		Purpose string `json:"p"`
		Expires int64  `json:"e"`
		Value   any    `json:"v"`
	}{Value: v}
	if json.Unmarshal(plain, &env) != nil || env.Purpose != purpose {
		return errSealed
	}
	if env.Expires != 0 && !s.clock.Now().Before(time.Unix(env.Expires, 0)) {
		return errSealed
	}
	return nil
}
