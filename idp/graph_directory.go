package idp

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"time"
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

// checkGraphDirectory checks the Graph properties of tenant p's directory: nested groups name
// groups of the tenant, managers name users, userType is Member or Guest, dates are RFC 3339,
// and Graph permissions in requiredResourceAccess are typed Role or Scope and, when named,
// named as the mock knows them.
func checkGraphDirectory(p string, t *Tenant, groups map[string]bool) error {
	for gi, g := range t.Groups {
		for _, m := range g.MemberOf {
			if !groups[strings.ToLower(m)] {
				return fmt.Errorf("%s.groups[%d].memberOf: no group %q in %s.groups", p, gi, m, p)
			}
		}
		if err := checkDate(fmt.Sprintf("%s.groups[%d].createdDateTime", p, gi), g.CreatedDateTime); err != nil {
			return err
		}
	}
	for ui, u := range t.Users {
		up := fmt.Sprintf("%s.users[%d]", p, ui)
		if u.Manager != "" && userByKeyAny(t, u.Manager) == nil {
			return fmt.Errorf("%s.manager %q: no user with that userPrincipalName or id in %s.users", up, u.Manager, p)
		}
		if u.UserType != "" && u.UserType != "Member" && u.UserType != "Guest" {
			return fmt.Errorf("%s.userType %q: want Member or Guest", up, u.UserType)
		}
		if err := checkDate(up+".createdDateTime", u.CreatedDateTime); err != nil {
			return err
		}
		if err := checkDate(up+".deletedDateTime", u.DeletedDateTime); err != nil {
			return err
		}
	}
	for ai, a := range t.AppRegistrations {
		for ri, rra := range a.RequiredResourceAccess {
			if !strings.EqualFold(rra.ResourceAppID, graphAppID) {
				continue
			}
			for pi, ra := range rra.ResourceAccess {
				q := fmt.Sprintf("%s.appRegistrations[%d].requiredResourceAccess[%d].resourceAccess[%d]", p, ai, ri, pi)
				if ra.Type != "Role" && ra.Type != "Scope" {
					return fmt.Errorf("%s.type %q: want Role (application permission) or Scope (delegated)", q, ra.Type)
				}
				// A GUID the mock does not know is kept (a real manifest lists many; they grant
				// nothing the mock's Graph checks); a name must be one it knows.
				if !isGUID(ra.ID) && graphPermissionName(ra.ID, ra.Type) == "" {
					return fmt.Errorf("%s.id %q: not a Microsoft Graph %s permission the mock knows by name (use its GUID, or e.g. User.Read.All)", q, ra.ID, ra.Type)
				}
			}
		}
	}
	return nil
}

// userByKeyAny finds a user, deleted or not, by object ID or UPN.
func userByKeyAny(t *Tenant, key string) *User {
	for _, u := range t.Users {
		if strings.EqualFold(u.ID, key) || strings.EqualFold(u.UserPrincipalName, key) {
			return u
		}
	}
	return nil
}

func checkDate(field, v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return fmt.Errorf("%s %q: want an RFC 3339 time, e.g. 2026-01-31T09:00:00Z", field, v)
	}
	return nil
}
