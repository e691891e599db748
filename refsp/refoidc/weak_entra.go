package refoidc

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// The weak variants of issue 19's Entra checks (tenants and issuers, the JWKS key's issuer,
// keys named by the token header), and the strict check of the key's issuer they leave out.
const (
	// SkipTidCheck checks iss (go-oidc; multi-tenant: the issuer of an onboarded tenant) but
	// not tid: a token whose tid names another tenant than its iss passes
	// (oidc.iss.tid-mismatch). It skips the JWKS key-issuer check too, which on the
	// organizations key set ({tenantid} filled with tid) is a tid check as well.
	SkipTidCheck Weakness = "skip-tid-check"
	// IssuerTemplateOnly validates iss the naive multi-tenant way: equal to the
	// /organizations discovery issuer as written (the literal {tenantid} template, which is
	// what go-oidc compares with under InsecureIssuerURLContext) or to that template filled
	// with the token's own tid; tid itself is not restricted, and the keys of every tenant
	// (the common key set) are trusted. Personal accounts (the consumer tenant) and the
	// literal template get in.
	IssuerTemplateOnly Weakness = "issuer-template-only"
	// TrustHeaderKeys takes the verification key from the token header when it names one:
	// an embedded jwk, a key set at jku, a certificate at x5u (the "header parameter
	// injection" bugs); otherwise it uses the JWKS as Strict does.
	TrustHeaderKeys Weakness = "trust-header-keys"
	// SkipKeyIssuerCheck does not check the issuer member of the JWKS key that verified the
	// token against the token's iss, which is go-oidc's own behaviour (Strict adds the
	// check, as Microsoft.IdentityModel does for Entra keys).
	SkipKeyIssuerCheck Weakness = "skip-key-issuer-check"
	// SkipHashChecks does not compare the c_hash and at_hash of a hybrid flow's
	// front-channel ID token with the code and access token it came with
	// (Config.ResponseType TypeHybrid or TypeHybridToken), so a code or token swapped in from
	// another sign-in is used.
	SkipHashChecks Weakness = "skip-hash-checks"
	// AnyEntraToken takes any token its tenant's keys sign as the ID token, as an API
	// validates bearer tokens: the tenant's v1 or v2 issuer (both accepted, as
	// Microsoft.Identity.Web's issuer validator does), no audience, no nonce when the token
	// has none, no key-issuer check. A Microsoft Graph access token passes (the confused
	// deputy of CVE-2023-22482).
	AnyEntraToken Weakness = "any-entra-token"
)

// checkAnyEntraIssuer is AnyEntraToken's issuer check: the configured (v2) issuer, or the
// tenant's v1 issuer (Entra's https://sts.windows.net/{tid}/, or the mock's own host with
// the same path).
func (r *RP) checkAnyEntraIssuer(iss, tid string) error {
	r.mu.Lock()
	v2 := r.issuer
	r.mu.Unlock()
	ok := []string{v2, strings.TrimSuffix(v2, "v2.0"), "https://sts.windows.net/" + tid + "/"}
	for _, o := range ok {
		if iss == o {
			return nil
		}
	}
	return fmt.Errorf("iss %q is neither the tenant's v1 nor its v2 issuer", iss)
}

// issuerTemplateLiteral is the /organizations discovery issuer with its {tenantid} template:
// the configured issuer with the tenant segment replaced.
func (r *RP) issuerTemplateLiteral() string {
	if r.multiTenant() {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.tenantTemplate(r.issuer)
	}
	return r.issuerTemplate("{tenantid}")
}

// checkTemplateIssuer is IssuerTemplateOnly's whole issuer check.
func (r *RP) checkTemplateIssuer(iss, tid string) error {
	tmpl := r.issuerTemplateLiteral()
	if iss == tmpl || (tid != "" && iss == strings.Replace(tmpl, "{tenantid}", tid, 1)) {
		return nil
	}
	return fmt.Errorf("iss %q matches neither the issuer template %q nor it filled with tid %q", iss, tmpl, tid)
}

// keyIssuers remembers the issuer member of each key of a JWKS, refetched on an unknown kid
// (as go-oidc's RemoteKeySet refetches the keys).
type keyIssuers struct {
	url    string
	client *http.Client

	mu   sync.Mutex
	byID map[string]string // kid -> issuer ("" when the key has none)
	n    int               // keys in the last fetch
	only string            // the issuer of the single key of the last fetch
}

func (k *keyIssuers) fetch(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetching the JWKS: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching the JWKS: %s %v", resp.Status, err)
	}
	var set struct {
		Keys []struct {
			Kid    string `json:"kid"`
			Issuer string `json:"issuer"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("decoding the JWKS: %w", err)
	}
	k.byID = map[string]string{}
	k.n, k.only = len(set.Keys), ""
	for _, key := range set.Keys {
		k.byID[key.Kid] = key.Issuer
		k.only = key.Issuer
	}
	return nil
}

// issuer is the issuer member of the key kid ("" when the key has none or is unknown); a
// token without kid uses the single key of a one-key set.
func (k *keyIssuers) issuer(ctx context.Context, kid string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	lookup := func() (string, bool) {
		if kid == "" {
			return k.only, k.n == 1
		}
		iss, ok := k.byID[kid]
		return iss, ok
	}
	if iss, ok := lookup(); ok && k.byID != nil {
		return iss, nil
	}
	if err := k.fetch(ctx); err != nil {
		return "", err
	}
	iss, _ := lookup()
	return iss, nil
}

// checkKeyIssuer is Strict's check that the key which signed the token was published for
// the token's issuer: Entra's JWKS gives each key an issuer ("…/{tenantid}/v2.0" for keys
// of every organisation, the consumer tenant's for personal-account keys), and a key may
// sign only for that issuer ({tenantid} filled with the token's tid). go-oidc ignores the
// member; Microsoft.IdentityModel checks it since the Storm-0558 key forgery.
func (r *RP) checkKeyIssuer(ctx context.Context, p *provider, raw string, iss, tid string) error {
	if p.keyIssuers == nil {
		return nil
	}
	h, err := jwtHeader(raw)
	if err != nil {
		return err
	}
	keyIss, err := p.keyIssuers.issuer(ctx, h.Kid)
	if err != nil {
		return err
	}
	if keyIss == "" {
		return nil // a key without an issuer member (a v1 key set): nothing to compare
	}
	// The key's issuer as written, or its {tenantid} filled with the token's tid. (Whether
	// iss itself is acceptable is the issuer check's business, not this one's.)
	if want := strings.Replace(keyIss, "{tenantid}", tid, 1); want != iss && keyIss != iss {
		return fmt.Errorf("the signing key %q is published for issuer %q, not for the token's iss %q", h.Kid, keyIss, iss)
	}
	return nil
}

// joseHeader is the members of a JWS header the header-key variant reads.
type joseHeader struct {
	Alg string          `json:"alg"`
	Kid string          `json:"kid"`
	JKU string          `json:"jku"`
	X5U string          `json:"x5u"`
	JWK json.RawMessage `json:"jwk"`
}

// jwtHeader decodes a compact JWS's header without verifying anything.
func jwtHeader(raw string) (joseHeader, error) {
	var h joseHeader
	seg, _, ok := strings.Cut(raw, ".")
	if !ok {
		return h, errors.New("malformed jwt")
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return h, fmt.Errorf("malformed jwt header: %v", err)
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("malformed jwt header: %v", err)
	}
	return h, nil
}

// headerKeySet is the TrustHeaderKeys weakness: a key named by the token itself verifies
// it. Deliberately insecure; a conformance oracle only.
type headerKeySet struct {
	jwks   oidc.KeySet
	client *http.Client
}

// VerifySignature implements oidc.KeySet.
func (k *headerKeySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	h, err := jwtHeader(raw)
	if err != nil {
		return nil, err
	}
	jws, err := jose.ParseSigned(raw, asymmetricAlgs)
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %v", err)
	}
	switch {
	case len(h.JWK) > 0: // the bug: the token carries the key that verifies it
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(h.JWK); err != nil {
			return nil, fmt.Errorf("embedded jwk: %v", err)
		}
		return jws.Verify(key)
	case h.JKU != "":
		keys, err := fetchJWKS(ctx, k.client, h.JKU)
		if err != nil {
			return nil, err
		}
		for _, key := range keys {
			if h.Kid == "" || key.KeyID == h.Kid {
				if payload, err := jws.Verify(&key); err == nil {
					return payload, nil
				}
			}
		}
		return nil, fmt.Errorf("no key of the jku key set %s verifies the token", h.JKU)
	case h.X5U != "":
		cert, err := fetchPEMCert(ctx, k.client, h.X5U)
		if err != nil {
			return nil, err
		}
		return jws.Verify(cert.PublicKey)
	}
	return k.jwks.VerifySignature(ctx, raw)
}

// fetchPEMCert fetches the first certificate of a PEM document (x5u).
func fetchPEMCert(ctx context.Context, client *http.Client, url string) (*x509.Certificate, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching x5u: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("x5u %s holds no PEM certificate", url)
	}
	return x509.ParseCertificate(block.Bytes)
}
