package idp

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
)

// The mint side of the Entra-specific OIDC faults (fault_catalog_oidc_entra.go): the
// personal-account (MSA) identity, the same-tenant user whose mail was changed, the key
// published under another issuer, and the attacker keys a token header points to.

// consumerTenantID is Entra's tenant of personal Microsoft accounts (MSA): every consumer
// account's token carries it as tid and in iss.
const consumerTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// consumerUser is a personal Microsoft account in the consumer tenant, for oidc.tenant.msa.
// MSA object IDs start with sixteen zeros (the docs' v2 ID token sample).
func (s *Server) consumerUser() (*Tenant, *User) {
	t := consumerTenant()
	u := &User{ID: "00000000-0000-0000-6b3e-9a41c7d2e580", UserPrincipalName: "mallory.consumer@outlook.com",
		Mail: "mallory.consumer@outlook.com", DisplayName: "Mallory (personal account)", GivenName: "Mallory", Surname: "Consumer"}
	// Stored, so that userinfo and Graph on any replica find the account (tenantForToken).
	t.Users = []*User{s.madeUpUser(t.ID, u, false)}
	return t, t.Users[0]
}

// consumerTenant is the MSA tenant, without users.
func consumerTenant() *Tenant {
	return &Tenant{ID: consumerTenantID, DisplayName: "Microsoft Accounts", VerifiedDomains: []string{"outlook.com"}}
}

// mutableUser is a made-up second user of the victim's own tenant whose mail attribute now
// holds the victim's address (an admin or the user changed it: mail is mutable), for
// oidc.email.mutable. Userinfo finds it by faultUser.
func (s *Server) mutableUser(t *Tenant, victim *User) *User {
	u := &User{ID: "4b8c2e6f-0a1d-4f3b-9c7e-5d2a8f1b3c64", UserPrincipalName: "mallory@" + firstDomain(t),
		Mail: victim.Mail, DisplayName: "Mallory (same tenant)", GivenName: "Mallory", Surname: "Insider"}
	if u.Mail == "" {
		u.Mail = victim.UserPrincipalName
	}
	return s.madeUpUser(t.ID, u, true) // its mail follows the latest victim's
}

func firstDomain(t *Tenant) string {
	for _, d := range t.VerifiedDomains {
		return d
	}
	return "contoso.example"
}

// applyEntraMint swaps the grant's identity for the consumer or mutable faults.
func (s *Server) applyEntraMint(g *oauthGrant, t *Tenant, u *User, m *oidcMint) {
	switch {
	case m.consumer:
		g.tenant, g.user = s.consumerUser()
		g.signTID = t.ID // the shared key set signs every tenant's tokens (see signingTenant)
	case m.mutable:
		g.user = s.mutableUser(t, u)
	}
}

// issuerKey is the key of oidc.jwks.key-issuer-mismatch: published in the tenant's v2 key
// set with the consumer tenant's issuer, as Entra's common key set lists keys meant for
// personal accounts only (the key class Storm-0558 forged enterprise tokens with).
func (s *Server) issuerKey(tid string, publish bool) (*SigningKey, error) {
	return s.tenantFaultKey("issuer-"+tid, tid, publish, pubIssuer)
}

// faultIssuerKey is the key a key-issuer fault published for the tenant, if any.
func (s *Server) faultIssuerKey(tid string) *SigningKey {
	return s.publishedFaultKey(pubIssuer, tid)
}

// appendIssuerKeys adds the keys published under the consumer issuer to a v2 key set.
func (s *Server) appendIssuerKeys(set *jwks, keys []*SigningKey) {
	for _, k := range keys {
		j := publicJWK(k)
		j.CloudInstanceName, j.Issuer = cloudInstanceName, s.issuerV2(consumerTenantID)
		set.Keys = append(set.Keys, j)
	}
}

// publicJWK is a key as a JWKS member (no issuer).
func publicJWK(k *SigningKey) jwk {
	return jwk{Kty: "RSA", Use: "sig", Kid: kid(k), X5t: kid(k),
		N: b64(k.Key.N.Bytes()), E: b64(big.NewInt(int64(k.Key.E)).Bytes()),
		X5c: []string{base64.StdEncoding.EncodeToString(k.Cert.Raw)}}
}

// Header members a key-injection fault adds.
const (
	injectJKU = "jku" // a URL of a key set with the attacker's key
	injectX5U = "x5u" // a URL of the attacker's certificate (PEM)
	injectJWK = "jwk" // the attacker's public key itself
)

// attackerURL is where the mock serves the attacker's key set (jku) or certificate (x5u)
// for one sign-in, named by its correlation ID so that a fetch joins the sign-in's log.
func (s *Server) attackerURL(corr, what string) string {
	file := "keys.json"
	if what == injectX5U {
		file = "cert.pem"
	}
	return s.base() + "/_mockidp/attacker/" + corr + "/" + file
}

// injectedHeader is the header members (",\"jku\":…") of a key-injection fault; key is the
// attacker's key the token is signed with. It remembers the sign-in, so that a fetch of the
// URL is logged as part of it.
func (s *Server) injectedHeader(g *oauthGrant, m *oidcMint, key *SigningKey) (string, error) {
	var v any
	switch m.inject {
	case injectJKU, injectX5U:
		v = s.attackerURL(g.corr, m.inject)
		if m.fault != nil {
			s.rememberAttacker(g.corr, &MintedFault{ID: m.fault.ID, Step: m.step}) // fault_records.go
		}
	case injectJWK:
		j := publicJWK(key)
		v = struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			N   string `json:"n"`
			E   string `json:"e"`
		}{j.Kty, j.Kid, j.Use, j.N, j.E}
	default:
		return "", fmt.Errorf("unknown header injection %q", m.inject)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return `,"` + m.inject + `":` + string(b), nil
}

// handleAttackerKey serves the attacker's key set (jku) or certificate (x5u) a
// key-injection fault's token header points to. A correct RP never fetches it; the fetch is
// logged with the sign-in's correlation ID, so the report shows that the RP did.
func (s *Server) handleAttackerKey(w http.ResponseWriter, r *http.Request) {
	corr, file := r.PathValue("corr"), r.PathValue("file")
	ev := &Event{Protocol: "OIDC", Kind: EventKeys, Binding: "GET", CorrelationID: truncate(corr, 64),
		Request: map[string]string{"url": truncate(r.URL.Path, 256)}}
	key, err := s.untrustedKey()
	if err != nil || (file != "keys.json" && file != "cert.pem") {
		s.handleNotFound(w, r)
		return
	}
	mf := s.attackerFault(corr)
	what := map[string]string{"keys.json": "jku", "cert.pem": "x5u"}[file]
	if mf != nil {
		c := *mf
		c.Changed = []string{"the RP fetched the attacker's key from the token header's " + what + " URL"}
		ev.Fault = &c
	}
	s.prepareEvent(ev)
	ev.Response = map[string]string{"attackerKey": what, "kid": kid(key)}
	s.record(ev)
	if file == "cert.pem" {
		w.Header().Set("Content-Type", "application/pem-certificate-chain")
		_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: key.Cert.Raw})
		return
	}
	writeJSON(w, http.StatusOK, jwks{Keys: []jwk{publicJWK(key)}}, true)
}

// graphTokenAsIDToken is oidc.id_token.graph-aud's "ID token": a Microsoft Graph access
// token for the same user and client, as Entra issues one (v1: aud Graph, iss
// https://sts.windows.net/{tid}/ — the mock's host —, scp, appid, no nonce), signed by the
// tenant's key. An RP that takes any token its tenant's keys sign is the confused deputy.
func (s *Server) graphTokenAsIDToken(g *oauthGrant) (string, error) {
	tok, _, err := s.accessToken(g, resource{aud: graphAppID, name: "Microsoft Graph", version: 1,
		scopes: []string{"openid", "profile", "email", "User.Read"}}, "1")
	return tok, err
}
