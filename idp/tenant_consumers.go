package idp

import (
	"net/http"
	"strings"
)

// The consumers authority and the MSA tenant. Entra serves personal Microsoft accounts
// (outlook.com, hotmail.com, live.com) from one tenant, 9188040d-6c67-4c5b-b112-36a304b66dad,
// reached as /consumers or by its ID: its discovery document's issuer is that tenant's, its
// tokens carry it as tid and in iss, and its keys are published (with that issuer) in the
// consumers and common key sets. Which apps a personal account may sign in to is the app
// registration's signInAudience:
//
//	AzureADMyOrg, AzureADMultipleOrgs   not at /consumers (AADSTS9002332); a personal
//	                                     account at /common: AADSTS500200
//	AzureADandPersonalMicrosoftAccount  anywhere
//	PersonalMicrosoftAccount            only at /consumers (AADSTS9002331 elsewhere)
//
// The mock's MSA tenant is the configured tenant whose id is consumerTenantID (Config
// docs): its users are the personal accounts. Without it, /consumers still serves
// discovery and its key set (Entra's MSA keys), and sign-ins there fail as for an unknown
// tenant.

// allowsPersonal reports whether the app accepts personal Microsoft accounts.
func (a *AppRegistration) allowsPersonal() bool {
	return a.SignInAudience == AudienceOrgsAndPersonal || a.SignInAudience == AudiencePersonal
}

// isConsumers reports whether a path's tenant segment names the MSA tenant.
func isConsumers(seg string) bool {
	return strings.EqualFold(seg, "consumers") || strings.EqualFold(seg, consumerTenantID)
}

// audienceError is the error of an authorization request whose authority the app's
// signInAudience excludes, nil when it is allowed. app is what findClient found for the
// path's tenant (nil: none).
func (s *Server) audienceError(seg, clientID string, app *AppRegistration) *Error {
	if isConsumers(seg) {
		if app == nil {
			app, _ = s.findClient(nil, clientID)
		}
		if app != nil && !app.allowsPersonal() {
			return ErrNotForConsumers.with(app.AppID, app.DisplayName)
		}
		return nil
	}
	if app != nil && app.SignInAudience == AudiencePersonal {
		return ErrPersonalOnlyApp.with(app.AppID, app.DisplayName)
	}
	return nil
}

// personalAccountError refuses a personal account (a user of the MSA tenant) that signed
// in at common or organizations to an app that does not take personal accounts.
func personalAccountError(app *AppRegistration, t *Tenant, u *User, authority string) *Error {
	if t.ID != consumerTenantID {
		return nil
	}
	if !app.allowsPersonal() || strings.EqualFold(authority, "organizations") {
		return ErrPersonalAccount.with(u.UserPrincipalName)
	}
	return nil
}

// consumersScope is discoveryScope for the consumers authority, which answers whether or
// not the config has the MSA tenant: the endpoints under /consumers, the MSA tenant's
// issuer, no region (tenant_region_scope null, as for common).
func (s *Server) consumersScope(r *http.Request, ev *Event) (seg, tid string, region *string, ok bool) {
	if !strings.EqualFold(r.PathValue("tenant"), "consumers") {
		return "", "", nil, false
	}
	ev.TenantID = consumerTenantID
	return "consumers", consumerTenantID, nil, true
}
