package idp

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Authorization codes and refresh tokens are the grant itself, sealed (seal.go) as Entra's
// opaque codes are: any replica with the same keys opens one, and none has to remember it.
// What a replica cannot tell from the value alone lives in the shared store (store.go):
// that a code was redeemed ("code-used/<grant id>", claimed with Add, so that exactly one
// redemption on any replica wins). A refresh token stays valid until it expires, as
// Entra's do after rotation; the user it names is looked up in the directory at each
// redemption, so that a deleted or disabled user (a change any replica made: see
// directory_log.go) gets no more tokens.

// Sealing purposes of the grant values.
const (
	sealCode    = "code"
	sealRefresh = "refresh"
	// grantPrefix starts codes and refresh tokens, as Entra's ("1.A…") do.
	grantPrefix = "1.A"
)

// sealedGrant is an oauthGrant as plain data: what the token endpoint needs of the sign-in,
// with the directory's objects named by ID and re-resolved when it is opened.
type sealedGrant struct {
	// ID names the grant for its single-use marker.
	ID string `json:"id"`
	// App and AppTenant are the app registration's app ID and the tenant it is registered in.
	App       string `json:"app"`
	AppTenant string `json:"apt"`
	// Tenant and User are the identity that signed in (before a fault swapped it: Fault
	// re-derives the swap); UPN names the user in errors once it is gone.
	Tenant string `json:"tid"`
	User   string `json:"oid"`
	UPN    string `json:"upn,omitempty"`
	// SID, AuthTime, MFA: the IdP session of the sign-in, when it signed in, whether it
	// passed the MFA prompt (amr).
	SID      string    `json:"sid,omitempty"`
	AuthTime time.Time `json:"auth"`
	MFA      bool      `json:"mfa,omitempty"`
	// Scopes, Nonce, Redirect, Platform and the PKCE challenge of the authorize request.
	Scopes    []string `json:"scp,omitempty"`
	Nonce     string   `json:"nonce,omitempty"`
	Redirect  string   `json:"ru,omitempty"`
	Platform  string   `json:"plat,omitempty"`
	Challenge string   `json:"cc,omitempty"`
	Method    string   `json:"ccm,omitempty"`
	// Expires is when the code or refresh token stops being redeemable (AADSTS70008).
	Expires time.Time `json:"exp"`
	// Corr is the sign-in's correlation ID, which the token events join.
	Corr string `json:"corr,omitempty"`
	// Fault is the fault minted into the sign-in (its catalog ID, step and arming token).
	Fault *MintedFault `json:"fault,omitempty"`
	// V1, V1Res: the v1 endpoint's sign-in and the resource= of its authorize request
	// (resolved again when opened); IP the browser's address (v1 ipaddr).
	V1    bool   `json:"v1,omitempty"`
	V1Res string `json:"v1res,omitempty"`
	IP    string `json:"ip,omitempty"`
}

// userGoneError says the grant's user is no longer in the directory at all (purged).
type userGoneError struct{ upn, tenant string }

func (e *userGoneError) Error() string { return "user " + e.upn + " is not in the directory" }

// storeCtx is the context of store calls made while serving: the store is local or a
// nearby HTTP service, and a request's handler has no deadline of its own to pass on.
func storeCtx() context.Context { return context.Background() }

// wireGrant is g as plain data.
func (s *Server) wireGrant(g *oauthGrant) sealedGrant {
	w := sealedGrant{ID: g.id, App: g.app.AppID, SID: g.sid, AuthTime: g.authTime, MFA: g.mfa, Scopes: g.scopes,
		Nonce: g.nonce, Redirect: g.redirect, Platform: g.platform, Challenge: g.challenge, Method: g.method,
		Expires: g.expires, Corr: g.corr, Fault: g.fault, V1: g.v1, IP: g.ip}
	if w.ID == "" {
		w.ID = s.rand.guid()
	}
	if at := s.dir.tenantOf[g.app]; at != nil {
		w.AppTenant = at.ID
	}
	t, u := g.tenant, g.user
	if g.homeUser != nil {
		t, u = g.homeTenant, g.homeUser
	}
	if t != nil {
		w.Tenant = t.ID
	}
	if u != nil {
		w.User, w.UPN = u.ID, u.UserPrincipalName
	}
	if g.v1res != nil {
		w.V1Res = g.v1res.requested
	}
	return w
}

// openWireGrant resolves a grant's IDs against the directory (and re-derives a fault's
// swapped identity). A user deleted or disabled since is still returned (the caller
// answers it at its step); one purged is a *userGoneError.
func (s *Server) openWireGrant(w sealedGrant) (*oauthGrant, error) {
	at := s.dir.tenant(w.AppTenant)
	var app *AppRegistration
	if at != nil {
		if a := at.AppRegistration(w.App); a != nil && strings.EqualFold(a.AppID, w.App) {
			app = a
		}
	}
	t := s.dir.tenant(w.Tenant)
	if app == nil || t == nil {
		return nil, errSealed
	}
	var u *User
	for _, x := range t.Users {
		if x.ID == w.User {
			u = x
			break
		}
	}
	if u == nil {
		return nil, &userGoneError{upn: w.UPN, tenant: t.DisplayName}
	}
	g := &oauthGrant{id: w.ID, app: app, tenant: t, user: u, sid: w.SID, authTime: w.AuthTime, mfa: w.MFA,
		scopes: w.Scopes, nonce: w.Nonce, redirect: w.Redirect, platform: w.Platform, challenge: w.Challenge,
		method: w.Method, expires: w.Expires, corr: w.Corr, v1: w.V1, ip: w.IP}
	if w.V1Res != "" {
		res, e := s.resolveResourceV1(w.V1Res, nil)
		if e != nil {
			return nil, e
		}
		g.v1res = &res
	}
	if w.Fault != nil {
		f := faultByID(w.Fault.ID)
		if f == nil || f.oidc == nil {
			return nil, errSealed
		}
		m := &oidcMint{fault: f, step: w.Fault.Step}
		if err := f.oidc(m, m.step); err != nil {
			return nil, err
		}
		s.mintIdentity(g, m)
		g.mint, g.fault = m, w.Fault
	}
	return g, nil
}

// mintIdentity applies a fault's identity swap to g (a user of another tenant, a personal
// account, a same-tenant user with the victim's mail), remembering who really signed in so
// that a sealed grant can make the same swap again.
func (s *Server) mintIdentity(g *oauthGrant, m *oidcMint) {
	t, u := g.tenant, g.user
	if m.foreign {
		g.homeTenant, g.homeUser = t, u
		g.tenant, g.user = s.foreignUser(t, u, m.sameMail)
		g.signTID = t.ID
	}
	if m.consumer || m.mutable {
		g.homeTenant, g.homeUser = t, u
		s.applyEntraMint(g, t, u, m)
	}
}

// userState is what the token endpoint answers a grant whose user was deleted (AADSTS50034)
// or disabled (AADSTS50057) since the sign-in, as Entra refuses tokens to such users; nil
// when the user may have tokens.
func (g *oauthGrant) userState() *Error {
	u, t := g.user, g.tenant
	if g.homeUser != nil {
		u, t = g.homeUser, g.homeTenant
	}
	switch {
	case u == nil:
		return nil
	case u.Deleted():
		return errUnknownUser(u.UserPrincipalName, t.DisplayName)
	case !u.Enabled():
		return errUserDisabled()
	}
	return nil
}

// issueCode seals g as an authorization code. It can be opened until a code lifetime past
// its expiry, so that a late redemption is told AADSTS70008 rather than invalid_grant.
func (s *Server) issueCode(g *oauthGrant) (string, error) {
	w := s.wireGrant(g)
	g.id = w.ID
	v, err := s.seal(sealCode, w, g.expires.Add(codeLifetime))
	if err != nil {
		return "", err
	}
	return grantPrefix + v, nil
}

// issueRefresh seals g as a refresh token. It carries its own expiry, which redemption
// checks (AADSTS70008), so the seal itself does not expire.
func (s *Server) issueRefresh(g *oauthGrant) (string, error) {
	w := s.wireGrant(g)
	w.ID = s.rand.guid() // each refresh token is its own grant
	v, err := s.seal(sealRefresh, w, time.Time{})
	if err != nil {
		return "", err
	}
	return grantPrefix + v, nil
}

// openGrant opens a code or refresh token sealed for purpose: errSealed for a value that
// is not one, a *userGoneError when its user was purged.
func (s *Server) openGrant(purpose, v string) (*oauthGrant, error) {
	rest, ok := strings.CutPrefix(v, grantPrefix)
	if !ok {
		return nil, errSealed
	}
	var w sealedGrant
	if err := s.unseal(purpose, rest, &w); err != nil {
		return nil, err
	}
	return s.openWireGrant(w)
}

// openCode opens an authorization code presented by app and claims it: first is false when
// it was redeemed before, on any replica (AADSTS54005). A code that is not one, or is
// another app's, is invalid_grant; it is claimed all the same, as one redemption attempt
// uses a code up.
func (s *Server) openCode(code string, app *AppRegistration) (g *oauthGrant, first bool, e *Error) {
	g, err := s.openGrant(sealCode, code)
	if err != nil {
		return nil, false, grantError(err, "code")
	}
	first, err = s.store.Add(storeCtx(), "code-used/"+g.id, []byte{1}, g.expires.Add(codeLifetime))
	if err != nil {
		return nil, false, asError(err)
	}
	if g.app != app {
		return nil, false, errInvalidGrant("code")
	}
	return g, first, nil
}

// openRefresh opens a refresh token presented by app: a value that is not one is Entra's
// "malformed or not valid", another app's is invalid_grant.
func (s *Server) openRefresh(rt string, app *AppRegistration) (*oauthGrant, *Error) {
	g, err := s.openGrant(sealRefresh, rt)
	if errors.Is(err, errSealed) {
		return nil, errMalformedRequest("The refresh token is malformed or not valid.")
	}
	if err != nil {
		return nil, grantError(err, "refresh_token")
	}
	if g.app != app {
		return nil, errInvalidGrant("refresh_token")
	}
	return g, nil
}

// grantError is the answer to a grant that cannot be opened: its user purged (AADSTS50034),
// a resource that is gone, else invalid_grant.
func grantError(err error, what string) *Error {
	var gone *userGoneError
	var e *Error
	switch {
	case errors.As(err, &gone):
		return errUnknownUser(gone.upn, gone.tenant)
	case errors.As(err, &e):
		return e
	}
	return errInvalidGrant(what)
}

// rememberUTI records which sign-in an access token (by its uti) belongs to, until it
// expires, so that the RP's userinfo and Graph calls with it join that sign-in in the log on
// any replica.
func (s *Server) rememberUTI(uti, corr string, expires time.Time) {
	_ = s.store.Put(storeCtx(), "uti/"+uti, []byte(corr), expires)
}

// utiCorrelation is the correlation ID of the sign-in an access token came from ("" when
// unknown).
func (s *Server) utiCorrelation(uti string) string {
	if uti == "" {
		return ""
	}
	b, err := s.store.Get(storeCtx(), "uti/"+uti)
	if err != nil {
		return ""
	}
	return string(b)
}
