package idp

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
)

// Graph's tenant-level objects: /organization, /servicePrincipals (enterprise apps and app
// registrations as service principals) and /applications (app registrations), read only.

var (
	orgType = &graphType{name: "organization", props: []string{"id", "deletedDateTime", "businessPhones", "city",
		"country", "countryLetterCode", "createdDateTime", "displayName", "tenantType", "verifiedDomains"}}
	spType = &graphType{name: "servicePrincipal", props: []string{"id", "deletedDateTime", "accountEnabled", "appDisplayName",
		"appId", "appOwnerOrganizationId", "appRoleAssignmentRequired", "displayName", "servicePrincipalNames",
		"servicePrincipalType", "signInAudience", "appRoles"},
		filter: []string{"id", "appId", "displayName"}, search: []string{"displayName"}}
	appType = &graphType{name: "application", props: []string{"id", "deletedDateTime", "appId", "displayName",
		"identifierUris", "signInAudience", "appRoles", "requiredResourceAccess", "web", "spa", "publicClient"},
		filter: []string{"id", "appId", "displayName"}, search: []string{"displayName"}}
)

// objectIDFor is a stable object ID for a directory object the config names only by app ID.
func objectIDFor(kind, tid, appID string) string {
	h := sha256.Sum256([]byte(kind + "|" + tid + "|" + appID))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// handleGraphOrganization is GET /v1.0/organization: the caller's tenant.
func (s *Server) handleGraphOrganization(w http.ResponseWriter, gr *graphReq) {
	if e := gr.require(append([]string{"Organization.Read.All", "User.Read"}, permsReadUsers...)...); e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), orgType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	t := gr.caller.tenant
	var domains []*graphObject
	for i, d := range t.VerifiedDomains {
		domains = append(domains, newGraphObject().set("capabilities", "Email, OfficeCommunicationsOnline").
			set("isDefault", i == 0).set("isInitial", strings.HasSuffix(strings.ToLower(d), ".onmicrosoft.com")).
			set("name", d).set("type", "Managed"))
	}
	org := newGraphObject().set("id", t.ID).set("deletedDateTime", nil).set("businessPhones", []string{}).
		set("city", nil).set("country", nil).set("countryLetterCode", nil).set("createdDateTime", nil).
		set("displayName", t.DisplayName).set("tenantType", "AAD").set("verifiedDomains", domains)
	s.writeCollection(w, gr, "organization"+selectContext(gq, orgType), gq, []*graphObject{org})
}

// handleGraphServicePrincipals is GET /v1.0/servicePrincipals.
func (s *Server) handleGraphServicePrincipals(w http.ResponseWriter, gr *graphReq) {
	if e := gr.require("Application.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"); e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), spType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	t := gr.caller.tenant
	sp := func(appID, name string, required bool, names []string, audience string, roles []AppRole) *graphObject {
		if roles == nil {
			roles = []AppRole{}
		}
		return newGraphObject().set("id", pairwiseOID(t.ID, appID)).set("deletedDateTime", nil).set("accountEnabled", true).
			set("appDisplayName", name).set("appId", appID).set("appOwnerOrganizationId", t.ID).
			set("appRoleAssignmentRequired", required).set("displayName", name).
			set("servicePrincipalNames", append([]string{appID}, names...)).set("servicePrincipalType", "Application").
			set("signInAudience", audience).set("appRoles", roles)
	}
	var all []*graphObject
	for _, a := range t.EnterpriseApps {
		var ids []string
		for _, id := range a.SAML.Identifiers {
			ids = append(ids, id.Value)
		}
		all = append(all, sp(a.AppID, a.DisplayName, a.AssignmentRequired, ids, "AzureADMyOrg", nil))
	}
	for _, a := range t.AppRegistrations {
		all = append(all, sp(a.AppID, a.DisplayName, a.AssignmentRequired, a.IdentifierURIs, cmpOr(a.SignInAudience, "AzureADMyOrg"), a.AppRoles))
	}
	s.writeCollection(w, gr, "servicePrincipals"+selectContext(gq, spType), gq, all)
}

// handleGraphApplications is GET /v1.0/applications: the tenant's app registrations.
func (s *Server) handleGraphApplications(w http.ResponseWriter, gr *graphReq) {
	if e := gr.require("Application.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"); e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), appType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	t := gr.caller.tenant
	var all []*graphObject
	for _, a := range t.AppRegistrations {
		rra := a.RequiredResourceAccess
		if rra == nil {
			rra = []RequiredResourceAccess{}
		}
		roles := a.AppRoles
		if roles == nil {
			roles = []AppRole{}
		}
		uris := a.IdentifierURIs
		if uris == nil {
			uris = []string{}
		}
		redirects := func(u []string) map[string]any {
			if u == nil {
				u = []string{}
			}
			return map[string]any{"redirectUris": u}
		}
		all = append(all, newGraphObject().set("id", objectIDFor("app", t.ID, a.AppID)).set("deletedDateTime", nil).
			set("appId", a.AppID).set("displayName", a.DisplayName).set("identifierUris", uris).
			set("signInAudience", cmpOr(a.SignInAudience, "AzureADMyOrg")).set("appRoles", roles).
			set("requiredResourceAccess", rra).set("web", redirects(a.Web.RedirectURIs)).
			set("spa", redirects(a.SPA.RedirectURIs)).set("publicClient", redirects(a.PublicClient.RedirectURIs)))
	}
	s.writeCollection(w, gr, "applications"+selectContext(gq, appType), gq, all)
}

// cmpOr is the first non-empty string.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
