package idp

import "strings"

// oidcAdminValues lists, per app registration, what the portal's Overview, Authentication and
// "Certificates & secrets" pages give an admin to copy into an RP.
func (s *Server) oidcAdminValues() []AppValues {
	var out []AppValues
	for _, t := range s.cfg.Tenants {
		for _, a := range t.AppRegistrations {
			v := AppValues{Kind: "OIDC app registration", Name: a.DisplayName, Tenant: t.DisplayName}
			add := func(k, val string) { v.Values = append(v.Values, [2]string{k, val}) }
			add("Application (client) ID", a.AppID)
			add("Directory (tenant) ID", t.ID)
			seg := authoritySegment(a, t)
			add("Supported account types", a.SignInAudience)
			add("Authority (issuer base)", s.base()+"/"+seg+"/v2.0")
			add("OpenID Connect metadata document", s.base()+"/"+seg+"/v2.0/.well-known/openid-configuration")
			add("OAuth 2.0 authorization endpoint (v2)", s.base()+"/"+seg+"/oauth2/v2.0/authorize")
			add("OAuth 2.0 token endpoint (v2)", s.base()+"/"+seg+"/oauth2/v2.0/token")
			// The portal's Endpoints blade (and vendor guides that follow it, CloudTalk's among
			// them) give the home tenant's authority whatever the app's audience, so an admin
			// may configure either; both are at hand, under the same labels for every app.
			add("Authority (this tenant; portal Endpoints blade)", s.base()+"/"+t.ID+"/v2.0")
			add("OpenID Connect metadata document (this tenant)", s.base()+"/"+t.ID+"/v2.0/.well-known/openid-configuration")
			for _, p := range []struct {
				name string
				uris []string
			}{{"Web", a.Web.RedirectURIs}, {"SPA", a.SPA.RedirectURIs}, {"Mobile and desktop", a.PublicClient.RedirectURIs}} {
				if len(p.uris) > 0 {
					add("Redirect URIs ("+p.name+")", strings.Join(p.uris, ", "))
				}
			}
			if a.Web.LogoutURL != "" {
				add("Front-channel logout URL", a.Web.LogoutURL)
			}
			for _, c := range a.PasswordCredentials {
				label := "Client secret"
				if c.DisplayName != "" {
					label += " (" + c.DisplayName + ")"
				}
				state := "expires " + c.end.Format("1/2/2006")
				if !s.clock.Now().Before(c.end) {
					state = "EXPIRED " + c.end.Format("1/2/2006")
				}
				add(label, c.SecretText+"  ["+state+"; Secret ID "+c.KeyID+"]")
			}
			out = append(out, v)
		}
	}
	return out
}

// authoritySegment is the authority an app's signInAudience calls for: its tenant
// (AzureADMyOrg), organizations (AzureADMultipleOrgs), common (organizations and personal
// accounts) or consumers (personal accounts only).
func authoritySegment(a *AppRegistration, t *Tenant) string {
	switch a.SignInAudience {
	case AudienceMultipleOrgs:
		return "organizations"
	case AudienceOrgsAndPersonal:
		return "common"
	case AudiencePersonal:
		return "consumers"
	}
	return t.ID
}
