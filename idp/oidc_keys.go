package idp

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// jwk is one key of the JWKS, in Entra's member order (samples/jwks-v2-common.json).
type jwk struct {
	Kty string   `json:"kty"`
	Use string   `json:"use"`
	Kid string   `json:"kid"`
	X5t string   `json:"x5t"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	X5c []string `json:"x5c"`
	// CloudInstanceName is on every key Entra publishes (the samples lack it only because
	// their recorder deleted it).
	CloudInstanceName string `json:"cloud_instance_name,omitempty"`
	Issuer            string `json:"issuer,omitempty"`
}

// jwks is the key set document.
type jwks struct {
	Keys []jwk `json:"keys"`
}

// handleKeys is /{tenant}/discovery/v2.0/keys (with a per-key issuer) and the v1
// /{tenant}/discovery/keys (without). For common/organizations it publishes every tenant's
// keys, as Entra's shared key set serves all tenants. Every set also holds Entra's other
// keys (jwks_others.go), the signing key never first.
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Protocol: "OIDC", Kind: EventKeys, Binding: "GET"}
	t, _, ok := s.oidcTenant(r)
	consumers := isConsumers(r.PathValue("tenant"))
	if !ok && !consumers {
		s.writeTokenError(w, errUnknownTenant(r.PathValue("tenant")), ev)
		return
	}
	v2 := strings.Contains(r.URL.Path, "/v2.0/")
	tenants := s.cfg.Tenants
	issuerTID := "{tenantid}"
	switch {
	case t != nil:
		tenants, issuerTID = []*Tenant{t}, t.ID
		ev.TenantID = t.ID
	case consumers: // the MSA tenant is not configured: Entra's MSA keys only
		tenants, issuerTID = nil, consumerTenantID
	}
	// The key set is encoded again only when a key, its certificate or its publication has
	// changed (rotation, retirement, the rotation fault) or the URL has.
	keysOf := make([][]*SigningKey, len(tenants))
	var state []keyState
	var issKeys []*SigningKey
	for i, tt := range tenants {
		keys := s.OIDCKeys(tt.ID)
		if k := s.faultJWKS(tt.ID); k != nil {
			keys = append(keys, &SigningKey{Cert: k.Cert, Key: k.Key, Published: true}) // oidc.key.rotation
			state = append(state, keyState{k: k, cert: k.Cert, published: true})
		}
		if k := s.faultIssuerKey(tt.ID); k != nil && v2 {
			issKeys = append(issKeys, k) // oidc.jwks.key-issuer-mismatch
			state = append(state, keyState{k: k, cert: k.Cert, published: true})
		}
		for _, k := range keys {
			state = append(state, keyState{k: k, cert: k.Cert, active: k.Active, published: k.Published})
		}
		keysOf[i] = keys
	}
	scope := keySetScopeOf(r.PathValue("tenant"), t)
	for _, tt := range tenants {
		if s.singleKeySet(tt.ID) {
			// oidc.kid.absent-single: the tenant's key set and the /common and
			// /organizations sets that hold its keys drop the cloud's other keys, so an RP
			// reading either meets a one-key set (with one tenant configured).
			scope = scopeSingle
		}
	}
	key := fmt.Sprintf("keys %v %s %s %d", v2, s.base(), issuerTID, scope)
	s.writeDiscoveryBytes(w, s.jsonDocs.get(key, state, func() any {
		set := s.jwks(tenants, keysOf, v2, issuerTID, scope)
		s.appendIssuerKeys(&set, issKeys)
		return set
	}), ev)
}

// keySetScopeOf is the scope of the key set of a path's tenant segment.
func keySetScopeOf(seg string, t *Tenant) keySetScope {
	switch {
	case isConsumers(seg):
		return scopeConsumers
	case t != nil:
		return scopeTenant
	case seg == "common":
		return scopeCommon
	}
	return scopeOrgs
}

// jwks is the key set of the tenants' keys among the cloud's other keys.
func (s *Server) jwks(tenants []*Tenant, keysOf [][]*SigningKey, v2 bool, issuerTID string, scope keySetScope) jwks {
	out := jwks{Keys: []jwk{}}
	seen := map[string]bool{}
	for i, keys := range keysOf {
		iss := s.issuerV2(issuerTID)
		if tenants[i].ID == consumerTenantID {
			iss = s.issuerV2(consumerTenantID) // the MSA tenant's keys keep its issuer in /common
		}
		for _, k := range keys {
			if !k.Published || seen[kid(k)] {
				continue
			}
			seen[kid(k)] = true
			j := jwk{Kty: "RSA", Use: "sig", Kid: kid(k), X5t: kid(k),
				N: b64(k.Key.N.Bytes()), E: b64(big.NewInt(int64(k.Key.E)).Bytes()),
				X5c: []string{base64.StdEncoding.EncodeToString(k.Cert.Raw)}, CloudInstanceName: cloudInstanceName}
			if v2 {
				j.Issuer = iss
			}
			out.Keys = append(out.Keys, j)
		}
	}
	iss, msaIss := "", ""
	if v2 {
		iss, msaIss = s.issuerV2(issuerTID), s.issuerV2(consumerTenantID)
	}
	out.Keys = withOtherKeys(out.Keys, scope, issuerTID, iss, msaIss)
	return out
}

// OIDCKeys returns a tenant's token-signing keys (by GUID or domain), active first.
func (s *Server) OIDCKeys(tenant string) []*SigningKey {
	t := s.dir.tenant(tenant)
	if t == nil {
		return nil
	}
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	return append([]*SigningKey(nil), s.oidc.keys[t.ID]...)
}

// RotateOIDCKey makes a new token-signing key active for the tenant (GUID or domain). The
// previous active key stays published (the overlap in which RPs that cached it still accept
// tokens and RPs that see an unknown kid refetch the key set); keys older than that are
// unpublished. It returns the new key.
func (s *Server) RotateOIDCKey(tenant string) (*SigningKey, error) {
	t := s.dir.tenant(tenant)
	if t == nil {
		return nil, fmt.Errorf("idp: no tenant %q", tenant)
	}
	s.oidc.mu.Lock()
	s.oidc.rotated[t.ID]++
	n := s.oidc.rotated[t.ID]
	s.oidc.mu.Unlock()
	keys, err := s.loadKeys(fmt.Sprintf("%s-oidc-rot%d", t.ID, n), []*Certificate{{Active: true, Subject: oidcSubject, NotAfter: In(5 * 365 * 24 * time.Hour)}})
	if err != nil {
		return nil, err
	}
	nk := keys[0]
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	old := s.oidc.keys[t.ID]
	for _, k := range old {
		k.Published = k.Active // the previous active key overlaps; older ones retire
		k.Active = false
	}
	s.oidc.keys[t.ID] = append([]*SigningKey{nk}, old...)
	return nk, nil
}

// RetireOIDCKeys ends the rotation overlap: only the active key stays published.
func (s *Server) RetireOIDCKeys(tenant string) {
	t := s.dir.tenant(tenant)
	if t == nil {
		return
	}
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	for _, k := range s.oidc.keys[t.ID] {
		k.Published = k.Active
	}
}
