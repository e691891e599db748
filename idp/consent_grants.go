package idp

import (
	"encoding/json"
	"strings"
	"time"
)

// Consent granted at run time (Accept on a consent page, /adminconsent) is kept in the store,
// so that a grant made through one replica is seen by all: "consent/<app id>/all" for an
// admin's grant (AllPrincipals), "consent/<app id>/<principal>" for a user's own. Grants do
// not expire (Entra's stay until revoked). As before, a run-time grant names the app, not the
// tenant.

// consentKey is the store key of a grant of app for principal ("all": AllPrincipals).
func consentKey(appID, principal string) string {
	return "consent/" + strings.ToLower(appID) + "/" + strings.ToLower(principal)
}

// runtimeConsent reports whether a grant made at run time covers the user's sign-in to app.
func (s *Server) runtimeConsent(app *AppRegistration, u *User) bool {
	keys := []string{consentKey(app.AppID, "all")}
	if u != nil {
		keys = append(keys, consentKey(app.AppID, u.ID), consentKey(app.AppID, u.UserPrincipalName))
	}
	for _, k := range keys {
		if _, err := s.store.Get(storeCtx(), k); err == nil {
			return true
		}
	}
	return false
}

// grant records a consent made at run time.
func (s *Server) grant(g OAuth2PermissionGrant) {
	principal := "all"
	if g.ConsentType != ConsentAllPrincipals {
		principal = g.PrincipalID
	}
	b, _ := json.Marshal(g)
	_ = s.store.Put(storeCtx(), consentKey(g.ClientID, principal), b, time.Time{})
}
