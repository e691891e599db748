package idp

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// Signing modes of a minted ID token.
const (
	jwtRS256       = ""             // the tenant's active key (Entra's)
	jwtNone        = "none"         // alg none, empty signature
	jwtCorrupt     = "corrupt"      // RS256 with a flipped signature byte
	jwtHS256PubKey = "hs256-pubkey" // HS256 keyed with the RSA public key's PEM
	jwtHS256Secret = "hs256-secret" // HS256 keyed with the client secret
	jwtUnknownKey  = "unknown-key"  // RS256 with a key the JWKS does not have
	jwtRotatedKey  = "rotated-key"  // RS256 with a new key published when first used
	jwtIssuerKey   = "issuer-key"   // RS256 with a key published under another issuer
)

// oidcMint is what an OIDC fault changes in one sign-in: the ID token's header, claims and
// signature, the authorize response's state, the userinfo answer, the identity, the clock.
type oidcMint struct {
	fault *Fault
	step  int
	// offset is the clock fault: how far this context's IdP runs ahead (or behind).
	offset time.Duration
	// noKid drops kid from the ID token header.
	noKid bool
	// sign is the signing mode (jwt* constants).
	sign string
	// claims edit the ID token's claim set after it is built.
	claims []func(c *claimSet)
	// state replaces the state the authorize response carries.
	state string
	// userinfoSub replaces sub in the userinfo answer.
	userinfoSub string
	// foreign signs in a user of another tenant instead (sameMail: whose mail is the
	// signed-in user's).
	foreign, sameMail bool
	// consumer signs in a personal Microsoft account (the MSA tenant) instead; mutable a
	// user of the same tenant whose mail is the signed-in user's (fault_oidc_entra.go).
	consumer, mutable bool
	// graphToken puts a Microsoft Graph access token where the ID token belongs.
	graphToken bool
	// inject puts an attacker's key into the header (jku, x5u or jwk) and signs with it.
	inject  string
	changed []string
}

func (m *oidcMint) edit(f func(c *claimSet)) { m.claims = append(m.claims, f) }

func (m *oidcMint) note(format string, args ...any) {
	m.changed = append(m.changed, fmt.Sprintf(format, args...))
}

// claimSet is a JWT claim set that keeps its member order, so an edited token differs from
// the clean one only where the fault says.
type claimSet struct {
	keys []string
	vals map[string]json.RawMessage
}

func parseClaimSet(b []byte) (*claimSet, error) {
	c := &claimSet{vals: map[string]json.RawMessage{}}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		k := tok.(string)
		c.keys = append(c.keys, k)
		c.vals[k] = raw
	}
	return c, nil
}

func (c *claimSet) set(k string, v any) {
	b, _ := json.Marshal(v)
	if _, ok := c.vals[k]; !ok {
		c.keys = append(c.keys, k)
	}
	c.vals[k] = b
}

func (c *claimSet) del(k string) {
	if _, ok := c.vals[k]; !ok {
		return
	}
	delete(c.vals, k)
	for i, kk := range c.keys {
		if kk == k {
			c.keys = append(c.keys[:i], c.keys[i+1:]...)
			break
		}
	}
}

func (c *claimSet) str(k string) string {
	var s string
	_ = json.Unmarshal(c.vals[k], &s)
	return s
}

func (c *claimSet) num(k string) int64 {
	var n int64
	_ = json.Unmarshal(c.vals[k], &n)
	return n
}

// MarshalJSON writes the members in order.
func (c *claimSet) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range c.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(c.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// signMinted signs a faulted ID token. The header keeps Entra's member order (alg, kid, typ).
func (s *Server) signMinted(g *oauthGrant, claims any, m *oidcMint) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	cs, err := parseClaimSet(payload)
	if err != nil {
		return "", err
	}
	for _, edit := range m.claims {
		edit(cs)
	}
	if payload, err = cs.MarshalJSON(); err != nil {
		return "", err
	}
	tid := g.signingTenant()
	key := s.activeOIDCKey(tid)
	if key == nil {
		return "", fmt.Errorf("no OIDC signing key for tenant %s", tid)
	}
	alg := "RS256"
	var hmacKey []byte
	switch m.sign {
	case jwtNone:
		alg = "none"
	case jwtHS256PubKey:
		alg = "HS256"
		der, err := x509.MarshalPKIXPublicKey(&key.Key.PublicKey)
		if err != nil {
			return "", err
		}
		hmacKey = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	case jwtHS256Secret:
		alg = "HS256"
		hmacKey = []byte(g.app.firstSecret())
		if len(hmacKey) == 0 {
			return "", fmt.Errorf("app %q has no client secret to key HS256 with", g.app.DisplayName)
		}
	case jwtUnknownKey:
		if key, err = s.untrustedKey(); err != nil {
			return "", err
		}
	case jwtRotatedKey:
		if key, err = s.rotationKey(tid, true); err != nil {
			return "", err
		}
	case jwtIssuerKey:
		if key, err = s.issuerKey(tid, true); err != nil {
			return "", err
		}
	}
	header := `{"alg":"` + alg + `"`
	if !m.noKid {
		header += `,"kid":"` + kid(key) + `"`
	} else {
		s.setSingleKeySet(tid) // the premise of a kid-less token: a one-key set
	}
	header += `,"typ":"JWT"`
	if m.inject != "" {
		extra, err := s.injectedHeader(g, m, key)
		if err != nil {
			return "", err
		}
		header += extra
	}
	header += `}`
	input := b64([]byte(header)) + "." + b64(payload)
	var sig []byte
	switch alg {
	case "none":
	case "HS256":
		mac := hmac.New(sha256.New, hmacKey)
		mac.Write([]byte(input))
		sig = mac.Sum(nil)
	default:
		h := sha256.Sum256([]byte(input))
		if sig, err = s.sign(key, crypto.SHA256, h[:]); err != nil {
			return "", err
		}
		if m.sign == jwtCorrupt {
			sig[len(sig)/2] ^= 0x5a
		}
	}
	return input + "." + b64(sig), nil
}

// firstSecret is the app's first client secret (the one the alg-confusion fault keys with).
func (a *AppRegistration) firstSecret() string {
	for _, p := range a.PasswordCredentials {
		if p.SecretText != "" {
			return p.SecretText
		}
	}
	return ""
}

// signingTenant is the tenant whose key signs the grant's tokens: its own, or for a foreign
// identity minted by a fault the app's tenant (Entra signs every tenant's tokens with the
// same keys, so a token of another tenant verifies against any tenant's key set).
func (g *oauthGrant) signingTenant() string {
	if g.signTID != "" {
		return g.signTID
	}
	return g.tenant.ID
}

// rotationKey is the tenant's next signing key for oidc.key.rotation; publish puts it into
// the tenant's key set (it stays until the fault is disarmed).
func (s *Server) rotationKey(tid string, publish bool) (*SigningKey, error) {
	return s.tenantFaultKey("rotation-"+tid, tid, publish, pubJWKS)
}

// faultJWKS is the key a rotation fault published for the tenant, if any.
func (s *Server) faultJWKS(tid string) *SigningKey { return s.publishedFaultKey(pubJWKS, tid) }

// tenantFaultKey is a key a key-set fault signs with, made once per name; publish records it
// (in the store, fault_records.go) as published under the tenant in kind, from where the
// tenant's key set lists it.
func (s *Server) tenantFaultKey(name, tid string, publish bool, kind string) (*SigningKey, error) {
	k, err := s.faultKeyFor(name, func() (*SigningKey, error) {
		now := s.clock.Now()
		return s.newFaultKey(oidcSubject, now.Add(-time.Minute), now.AddDate(5, 0, 0))
	})
	if err != nil {
		return nil, err
	}
	if publish {
		if err := s.publishFaultKey(kind, tid, name); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// foreignTenantID is the made-up second tenant ("Fabrikam") of the cross-tenant faults.
const foreignTenantID = "b5f9a8e2-4c1d-4f7e-8a3b-6d2e9c0f1a47"

// foreignUser returns a user of another tenant for the cross-tenant faults: a configured
// user of another tenant whose mail is victim's (sameMail), else one of a made-up tenant.
// Its tenant is returned too.
func (s *Server) foreignUser(home *Tenant, victim *User, sameMail bool) (*Tenant, *User) {
	if sameMail && victim.Mail != "" {
		for _, t := range s.cfg.Tenants {
			if t == home {
				continue
			}
			for _, u := range t.Users {
				if strings.EqualFold(u.Mail, victim.Mail) {
					return t, u
				}
			}
		}
	}
	mail := "mallory@fabrikam.example"
	id := "5d0c5b1e-7f3a-4e21-9c84-0b6a2f9e3d11"
	if sameMail {
		mail, id = victim.Mail, "9a7e3c52-1b4d-4c8f-a2e6-3f0d5b8c7e90"
	}
	u := &User{ID: id, UserPrincipalName: "mallory@fabrikam.example", Mail: mail, DisplayName: "Mallory (Fabrikam)",
		GivenName: "Mallory", Surname: "Fabrikam"}
	t := foreignTenant()
	u = s.madeUpUser(t.ID, u, false) // the first one made stays (on every replica)
	t.Users = []*User{u}
	return t, u
}

// foreignTenant is the made-up second tenant, without users.
func foreignTenant() *Tenant {
	return &Tenant{ID: foreignTenantID, DisplayName: "Fabrikam", VerifiedDomains: []string{"fabrikam.example"}}
}

// tenantForToken resolves a token's tid: a directory tenant or the made-up foreign one.
func (s *Server) tenantForToken(tid string) *Tenant {
	if t := s.dir.tenant(tid); t != nil {
		return t
	}
	return s.madeUpTenant(tid) // the foreign or consumer tenant a fault made, from the store
}
