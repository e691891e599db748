package idp

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// graphAppID is Microsoft Graph's application ID: the audience of tokens for Graph scopes
// (User.Read, https://graph.microsoft.com/...) and of the userinfo endpoint.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// groupsOverageLimit is the number of groups above which a JWT carries the overage claim.
const groupsOverageLimit = 200

// Token lifetimes. Entra back-dates iat/nbf by 5 minutes and gives ID tokens an hour
// (samples/id-token-v1-claims.json: exp − iat = 65 min).
const (
	tokenBackdate       = 5 * time.Minute
	idTokenLifetime     = time.Hour
	codeLifetime        = 10 * time.Minute
	refreshLifetime     = 90 * 24 * time.Hour
	spaRefreshLifetime  = 24 * time.Hour
	accessTokenMinutes  = 60 // Entra: random 60–90 minutes
	accessTokenJitterMn = 31
)

// oauthGrant is what a code or refresh token stands for (sealed into it as a sealedGrant:
// oauth_grant.go).
type oauthGrant struct {
	// id names the grant in the store (its code's single-use marker).
	id        string
	app       *AppRegistration
	tenant    *Tenant // the tenant the user signed in to: tid and iss of the tokens
	user      *User
	sid       string
	authTime  time.Time
	scopes    []string
	nonce     string
	redirect  string
	platform  string
	challenge string
	method    string
	expires   time.Time
	corr      string
	// signTID is the tenant whose key signs (a fault's foreign identity); "" = tenant.
	signTID string
	// homeTenant and homeUser are who signed in when a fault swapped the identity (nil:
	// tenant and user), so that a sealed grant can make the same swap again.
	homeTenant *Tenant
	homeUser   *User
	// mint is the fault armed for this sign-in, fault what the sign-in log records of it.
	mint  *oidcMint
	fault *MintedFault
	// v1 says the tokens are the v1 endpoint's (v1 ID token, v1 token response); v1res is
	// the resource= of the v1 authorize request, ip the browser's address (oidc_v1.go).
	v1    bool
	v1res *resource
	ip    string
	// mfa: the sign-in passed the MFA prompt (amr, conditional_access.go).
	mfa bool
}

// now is the IdP's time for the grant's tokens: the server clock, plus a clock fault's offset.
func (s *Server) grantNow(g *oauthGrant) time.Time {
	if g.mint != nil {
		return s.clock.Now().Add(g.mint.offset)
	}
	return s.clock.Now()
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// kid is the base64url SHA-1 thumbprint of the certificate, which Entra uses as kid and x5t.
func kid(k *SigningKey) string { return k.jwt().kid }

// jwtKey is what every token a key signs shares, worked out once per certificate: the kid
// and the encoded JOSE headers.
type jwtKey struct {
	cert   *x509.Certificate
	kid    string
	v1, v2 string // base64url of the protected header, with (v1) and without x5t
}

func (k *SigningKey) jwt() *jwtKey {
	if j := k.jwtHdr.Load(); j != nil && j.cert == k.Cert {
		return j
	}
	sum := sha1.Sum(k.Cert.Raw)
	j := &jwtKey{cert: k.Cert, kid: b64(sum[:])}
	// The members in go-jose's order (it sorts them), which this header was made with before.
	j.v2 = b64([]byte(`{"alg":"RS256","kid":"` + j.kid + `","typ":"JWT"}`))
	j.v1 = b64([]byte(`{"alg":"RS256","kid":"` + j.kid + `","typ":"JWT","x5t":"` + j.kid + `"}`))
	k.jwtHdr.Store(j)
	return j
}

// issuerV2 is the v2 issuer of a tenant ("{tenantid}" for common/organizations documents).
func (s *Server) issuerV2(tid string) string { return s.base() + "/" + tid + "/v2.0" }

// issuerV1 is the v1 issuer, Entra's: https://sts.windows.net/{tid}/ on every host (entra.md
// §OIDC). A v1 RP takes discovery from the authority (login.microsoftonline.com/{tid}, here the
// mock's host) and pins this issuer; it cannot fetch discovery from the issuer, nor can it
// from Entra's.
func (s *Server) issuerV1(tid string) string { return "https://sts.windows.net/" + tid + "/" }

// activeOIDCKey is the tenant's signing key.
func (s *Server) activeOIDCKey(tid string) *SigningKey {
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	for _, k := range s.oidc.keys[tid] {
		if k.Active {
			return k
		}
	}
	return nil
}

// signJWT signs the claim set (already ordered JSON) with the tenant's active key. v1 tokens
// carry x5t beside kid.
func (s *Server) signJWT(tid string, claims any, v1 bool) (string, error) {
	k := s.activeOIDCKey(tid)
	if k == nil {
		return "", fmt.Errorf("no OIDC signing key for tenant %s", tid)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	// The compact JWS written directly (a go-jose signer per token cost a quarter as much as
	// the signature): header.payload, its RS256 signature, all base64url.
	hdr := k.jwt().v2
	if v1 {
		hdr = k.jwt().v1
	}
	enc := base64.RawURLEncoding
	tok := make([]byte, 0, len(hdr)+enc.EncodedLen(len(payload))+enc.EncodedLen(k.Key.Size())+2)
	tok = append(tok, hdr...)
	tok = append(tok, '.')
	tok = enc.AppendEncode(tok, payload)
	h := sha256.Sum256(tok)
	sig, err := s.sign(k, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	tok = append(tok, '.')
	return string(enc.AppendEncode(tok, sig)), nil
}

// pairwiseSub is the app-specific subject: the same user gets a different sub per app.
func pairwiseSub(tid, appID, oid string) string {
	h := sha256.Sum256([]byte(tid + "|" + appID + "|" + oid))
	return b64(h[:])
}

// halfHash is at_hash / c_hash: the left half of SHA-256 of the value, base64url.
func halfHash(v string) string {
	h := sha256.Sum256([]byte(v))
	return b64(h[:16])
}

// idTokenClaims is a v2 ID token's claim set in Entra's order (fixed claims, then optional
// ones alphabetically).
type idTokenClaims struct {
	Aud               string             `json:"aud"`
	Iss               string             `json:"iss"`
	Iat               int64              `json:"iat"`
	Nbf               int64              `json:"nbf"`
	Exp               int64              `json:"exp"`
	Aio               string             `json:"aio"`
	AtHash            string             `json:"at_hash,omitempty"`
	CHash             string             `json:"c_hash,omitempty"`
	Email             string             `json:"email,omitempty"`
	Groups            []string           `json:"groups,omitempty"`
	HasGroups         bool               `json:"hasgroups,omitempty"`
	LoginHint         string             `json:"login_hint,omitempty"`
	Name              string             `json:"name,omitempty"`
	Nonce             string             `json:"nonce,omitempty"`
	Oid               string             `json:"oid,omitempty"`
	PreferredUsername string             `json:"preferred_username,omitempty"`
	Rh                string             `json:"rh"`
	Roles             []string           `json:"roles,omitempty"`
	Sid               string             `json:"sid,omitempty"`
	Sub               string             `json:"sub"`
	Tid               string             `json:"tid"`
	Upn               string             `json:"upn,omitempty"`
	Uti               string             `json:"uti"`
	Ver               string             `json:"ver"`
	ClaimNames        map[string]string  `json:"_claim_names,omitempty"`
	ClaimSources      map[string]jsonObj `json:"_claim_sources,omitempty"`
}

type jsonObj map[string]string

// opaque returns n random bytes as base64url (aio, rh, uti are opaque to RPs).
func (s *Server) opaque(n int) string {
	b := make([]byte, n)
	s.rand.read(b)
	return b64(b)
}

// idToken mints the ID token of a grant. hashes are c_hash/at_hash for tokens from
// /authorize; implicit says the token travels in a URL (overage becomes hasgroups).
func (s *Server) idToken(g *oauthGrant, code, accessToken string, implicit bool) (string, error) {
	if g.v1 {
		return s.idTokenV1(g, code, accessToken, implicit)
	}
	now := s.grantNow(g)
	tid := g.tenant.ID
	c := idTokenClaims{
		Aud: g.app.AppID, Iss: s.issuerV2(tid),
		Iat: unix(now.Add(-tokenBackdate)), Nbf: unix(now.Add(-tokenBackdate)), Exp: unix(now.Add(idTokenLifetime)),
		Aio: s.opaque(48), Nonce: g.nonce, Rh: "0.A" + s.opaque(36) + ".", Sid: g.sid,
		Sub: pairwiseSub(tid, g.app.AppID, g.user.ID), Tid: tid, Uti: s.opaque(16), Ver: "2.0",
	}
	if code != "" {
		c.CHash = halfHash(code)
	}
	if accessToken != "" {
		c.AtHash = halfHash(accessToken)
	}
	if slices.Contains(g.scopes, "profile") {
		c.Name, c.Oid, c.PreferredUsername = g.user.DisplayName, g.user.ID, g.user.UserPrincipalName
	}
	if (slices.Contains(g.scopes, "email") || g.app.optionalIDClaim("email")) && g.user.Mail != "" {
		c.Email = g.user.Mail
	}
	if g.app.optionalIDClaim("upn") {
		c.Upn = g.user.UserPrincipalName
	}
	if g.app.optionalIDClaim("login_hint") {
		lh, _ := json.Marshal(map[string]string{"tid": tid, "oid": g.user.ID, "upn": g.user.UserPrincipalName})
		c.LoginHint = "O." + b64(lh)
	}
	c.Roles = s.appRoles(g)
	if groups, ok := s.groupClaim(g); ok {
		switch {
		case len(groups) <= groupsOverageLimit:
			c.Groups = groups
		case implicit:
			c.HasGroups = true
		default:
			c.ClaimNames = map[string]string{"groups": "src1"}
			c.ClaimSources = map[string]jsonObj{"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/" + g.user.ID + "/getMemberObjects"}}
		}
	}
	if g.mint != nil && g.mint.graphToken {
		return s.graphTokenAsIDToken(g) // oidc.id_token.graph-aud
	}
	if g.mint != nil {
		return s.signMinted(g, c, g.mint)
	}
	return s.signJWT(tid, c, false)
}

// groupClaim returns the group object IDs for the groups claim, if the app asks for it.
func (s *Server) groupClaim(g *oauthGrant) ([]string, bool) {
	if g.app.GroupMembershipClaims == "None" || g.app.GroupMembershipClaims == "" {
		return nil, false
	}
	out := []string{}
	for _, grp := range g.tenant.groupsOf(g.user) {
		if g.app.GroupMembershipClaims == "ApplicationGroup" &&
			!slices.ContainsFunc(g.app.Assignments, func(a string) bool { return strings.EqualFold(a, grp.ID) || strings.EqualFold(a, grp.DisplayName) }) {
			continue
		}
		out = append(out, grp.ID)
	}
	return out, true
}

// appRoles returns the values of the app roles assigned to the user, directly or by group.
func (s *Server) appRoles(g *oauthGrant) []string {
	var out []string
	for _, as := range g.app.AppRoleAssignments {
		if g.tenant.assigned(g.user, true, []string{as.Principal}) && !slices.Contains(out, as.Role) {
			out = append(out, as.Role)
		}
	}
	return out
}

// accessTokenV1 is a v1.0 access token's claim set (Graph and apps accepting v1).
type accessTokenV1 struct {
	Aud        string   `json:"aud"`
	Iss        string   `json:"iss"`
	Iat        int64    `json:"iat"`
	Nbf        int64    `json:"nbf"`
	Exp        int64    `json:"exp"`
	Acr        string   `json:"acr,omitempty"`
	Aio        string   `json:"aio"`
	Amr        []string `json:"amr,omitempty"`
	AppDisplay string   `json:"app_displayname"`
	AppID      string   `json:"appid"`
	AppIDAcr   string   `json:"appidacr"`
	FamilyName string   `json:"family_name,omitempty"`
	GivenName  string   `json:"given_name,omitempty"`
	IdTyp      string   `json:"idtyp"`
	Name       string   `json:"name,omitempty"`
	Oid        string   `json:"oid"`
	Rh         string   `json:"rh"`
	Roles      []string `json:"roles,omitempty"`
	Scp        string   `json:"scp,omitempty"`
	Sub        string   `json:"sub"`
	Tid        string   `json:"tid"`
	UniqueName string   `json:"unique_name,omitempty"`
	Upn        string   `json:"upn,omitempty"`
	Uti        string   `json:"uti"`
	Ver        string   `json:"ver"`
}

// accessTokenV2 is a v2.0 access token's claim set.
type accessTokenV2 struct {
	Aud               string   `json:"aud"`
	Iss               string   `json:"iss"`
	Iat               int64    `json:"iat"`
	Nbf               int64    `json:"nbf"`
	Exp               int64    `json:"exp"`
	Aio               string   `json:"aio"`
	Azp               string   `json:"azp"`
	Azpacr            string   `json:"azpacr"`
	IdTyp             string   `json:"idtyp,omitempty"`
	Name              string   `json:"name,omitempty"`
	Oid               string   `json:"oid"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	Rh                string   `json:"rh"`
	Roles             []string `json:"roles,omitempty"`
	Scp               string   `json:"scp,omitempty"`
	Sub               string   `json:"sub"`
	Tid               string   `json:"tid"`
	Uti               string   `json:"uti"`
	Ver               string   `json:"ver"`
}

// resource is what an access token is for.
type resource struct {
	aud     string // app ID of the resource
	name    string
	version int
	scopes  []string // the resource's scopes, without prefix
	app     *AppRegistration
	// requested is the resource as a v1 request's resource= named it (v1 token responses).
	requested string
}

// accessToken mints an access token for res; user is nil for client credentials. It returns
// the token and its lifetime in seconds.
func (s *Server) accessToken(g *oauthGrant, res resource, appAcr string) (string, int, error) {
	now := s.grantNow(g)
	var b [1]byte
	s.rand.read(b[:])
	life := time.Duration(accessTokenMinutes+int(b[0])%accessTokenJitterMn) * time.Minute
	tid := g.tenant.ID
	scp := strings.Join(res.scopes, " ")
	var roles []string
	if g.user == nil {
		scp = ""
		if res.app != nil {
			for _, r := range res.app.AppRoles {
				if slices.Contains(r.AllowedMemberTypes, "Application") {
					roles = append(roles, r.Value)
				}
			}
		}
	} else if res.app != nil {
		roles = s.appRoles(&oauthGrant{app: res.app, tenant: g.tenant, user: g.user})
	}
	if res.app == nil && res.name == graphName {
		scp, roles = graphTokenPermissions(g, res, scp) // graph_auth.go
	}
	oid, sub, idtyp := "", "", "app"
	var u User
	if g.user != nil {
		u, oid, idtyp = *g.user, g.user.ID, "user"
		sub = pairwiseSub(tid, res.aud, g.user.ID)
	} else {
		oid = pairwiseOID(tid, g.app.AppID)
		sub = oid
	}
	iat, exp := unix(now.Add(-tokenBackdate)), unix(now.Add(life))
	uti := s.opaque(16)
	var claims any
	if res.version == 2 {
		claims = accessTokenV2{Aud: res.aud, Iss: s.issuerV2(tid), Iat: iat, Nbf: iat, Exp: exp, Aio: s.opaque(48),
			Azp: g.app.AppID, Azpacr: appAcr, IdTyp: idtyp, Name: u.DisplayName, Oid: oid, PreferredUsername: u.UserPrincipalName,
			Rh: "0.A" + s.opaque(36) + ".", Roles: roles, Scp: scp, Sub: sub, Tid: tid, Uti: uti, Ver: "2.0"}
	} else {
		c := accessTokenV1{Aud: res.aud, Iss: s.issuerV1(tid), Iat: iat, Nbf: iat, Exp: exp, Aio: s.opaque(48),
			AppDisplay: g.app.DisplayName, AppID: g.app.AppID, AppIDAcr: appAcr, IdTyp: idtyp, Oid: oid,
			Rh: "0.A" + s.opaque(36) + ".", Roles: roles, Scp: scp, Sub: sub, Tid: tid, Uti: uti, Ver: "1.0"}
		if g.user != nil {
			c.Acr, c.Amr = "1", g.amr()
			c.FamilyName, c.GivenName, c.Name = u.Surname, u.GivenName, u.DisplayName
			c.UniqueName, c.Upn = u.UserPrincipalName, u.UserPrincipalName
		}
		claims = c
	}
	tok, err := s.signJWT(g.signingTenant(), claims, res.version != 2)
	if err == nil && g.corr != "" {
		// The userinfo call made with this token belongs to the same sign-in in the log.
		s.rememberUTI(uti, g.corr, now.Add(life))
	}
	if err == nil && g.mint != nil && g.mint.userinfoSub != "" {
		s.rememberTokenFault(tok, g.mint, now.Add(life)) // in the store, for userinfo on any replica
	}
	return tok, int(life/time.Second) - 1, err
}

// pairwiseOID is a stable object ID for an app's service principal.
func pairwiseOID(tid, appID string) string {
	h := sha256.Sum256([]byte("sp|" + tid + "|" + appID))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// clientInfo is MSAL's client_info: base64url {"uid":oid,"utid":tid}.
func clientInfo(u *User, tid string) string {
	b, _ := json.Marshal(struct {
		UID  string `json:"uid"`
		UTID string `json:"utid"`
	}{u.ID, tid})
	return b64(b)
}
