package idp

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Default secret lifetime: the portal's "Recommended: 180 days".
const defaultSecretLifetime = 180 * 24 * time.Hour

// oidcState is the server's OIDC/OAuth state: signing keys per tenant (codes and refresh
// tokens are sealed grants: oauth_grant.go). Its own mutex keeps it apart from the SAML
// side's locks.
type oidcState struct {
	mu      sync.Mutex
	certs   map[string][]*Certificate // tenant ID -> configured certificates (WithOIDCCertificates)
	keys    map[string][]*SigningKey  // tenant ID -> keys, newest first
	rotated map[string]int            // tenant ID -> rotations, to name persisted keys
}

// WithOIDCCertificates sets the OIDC token-signing certificates of a tenant (GUID), e.g. a
// fixed key for golden files. Default: one generated key, CN=accounts.accesscontrol.windows.net.
func WithOIDCCertificates(tenantID string, certs ...*Certificate) Option {
	return func(s *Server) error {
		if s.oidc == nil {
			s.oidc = &oidcState{}
		}
		if s.oidc.certs == nil {
			s.oidc.certs = map[string][]*Certificate{}
		}
		s.oidc.certs[strings.ToLower(tenantID)] = certs
		return nil
	}
}

// oidcSubject is the subject CN of Entra's token-signing certificates (samples/jwks-*.json).
const oidcSubject = "accounts.accesscontrol.windows.net"

// initOIDC loads the tenants' token-signing keys and resolves client secret validity
// against the server clock.
func (s *Server) initOIDC() error {
	if s.oidc == nil {
		s.oidc = &oidcState{}
	}
	o := s.oidc
	o.keys = map[string][]*SigningKey{}
	o.rotated = map[string]int{}
	now := s.clock.Now()
	for _, t := range s.cfg.Tenants {
		certs := o.certs[t.ID]
		if len(certs) == 0 {
			certs = []*Certificate{{Active: true, Subject: oidcSubject, NotAfter: In(5 * 365 * 24 * time.Hour)}}
		}
		for _, c := range certs {
			if c.Subject == "" {
				c.Subject = oidcSubject
			}
		}
		keys, err := s.loadKeys(t.ID+"-oidc", certs)
		if err != nil {
			return fmt.Errorf("tenant %q: oidc keys: %w", t.DisplayName, err)
		}
		// Active key first: it is the one RPs see first in the JWKS.
		slices.SortStableFunc(keys, func(a, b *SigningKey) int {
			if a.Active == b.Active {
				return 0
			}
			if a.Active {
				return -1
			}
			return 1
		})
		o.keys[t.ID] = keys
		for _, a := range t.AppRegistrations {
			for _, p := range a.PasswordCredentials {
				p.start, p.end = now, now.Add(defaultSecretLifetime)
				if p.StartDateTime != nil {
					p.start = p.StartDateTime.At(now)
				}
				if p.EndDateTime != nil {
					p.end = p.EndDateTime.At(now)
				}
			}
			for _, k := range a.KeyCredentials {
				k.resolve(now)
			}
		}
	}
	return nil
}

// normalizeAppRegistrations fills in defaults of a tenant's app registrations and checks them.
func normalizeAppRegistrations(p string, t *Tenant, groups, upns map[string]bool) error {
	for ai, a := range t.AppRegistrations {
		if err := a.normalize(fmt.Sprintf("%s.appRegistrations[%d]", p, ai), t, groups, upns); err != nil {
			return err
		}
	}
	return nil
}

func (a *AppRegistration) normalize(p string, t *Tenant, groups, upns map[string]bool) error {
	if !isGUID(a.AppID) {
		return fmt.Errorf("%s.appId %q: the application (client) ID must be a GUID", p, a.AppID)
	}
	a.AppID = strings.ToLower(a.AppID)
	if a.DisplayName == "" {
		return fmt.Errorf("%s.displayName: required (it appears in Entra's error messages)", p)
	}
	switch a.SignInAudience {
	case "":
		a.SignInAudience = AudienceMyOrg
	case AudienceMyOrg, AudienceMultipleOrgs, AudienceOrgsAndPersonal, AudiencePersonal:
	default:
		return fmt.Errorf("%s.signInAudience %q: want AzureADMyOrg, AzureADMultipleOrgs, AzureADandPersonalMicrosoftAccount or PersonalMicrosoftAccount", p, a.SignInAudience)
	}
	check := func(field string, uris []string) error {
		for i, u := range uris {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme == "" || (pu.Host == "" && pu.Opaque == "" && pu.Path == "") {
				return fmt.Errorf("%s.%s[%d] %q: must be an absolute URI", p, field, i, u)
			}
			if pu.Fragment != "" {
				return fmt.Errorf("%s.%s[%d] %q: a redirect URI cannot contain a fragment", p, field, i, u)
			}
		}
		return nil
	}
	if err := check("web.redirectUris", a.Web.RedirectURIs); err != nil {
		return err
	}
	if err := check("spa.redirectUris", a.SPA.RedirectURIs); err != nil {
		return err
	}
	if err := check("publicClient.redirectUris", a.PublicClient.RedirectURIs); err != nil {
		return err
	}
	if a.Web.LogoutURL != "" && !absURL(a.Web.LogoutURL) {
		return fmt.Errorf("%s.web.logoutUrl %q: must be an absolute http(s) URL", p, a.Web.LogoutURL)
	}
	if err := a.normalizeKeyCredentials(p); err != nil {
		return err
	}
	for i, c := range a.PasswordCredentials {
		if c.SecretText == "" {
			return fmt.Errorf("%s.passwordCredentials[%d].secretText: required (the secret's Value)", p, i)
		}
		if c.KeyID != "" && !isGUID(c.KeyID) {
			return fmt.Errorf("%s.passwordCredentials[%d].keyId %q: must be a GUID", p, i, c.KeyID)
		}
	}
	switch a.GroupMembershipClaims {
	case "":
		a.GroupMembershipClaims = "None"
	case "None", "SecurityGroup", "All", "ApplicationGroup", "DirectoryRole":
	default:
		return fmt.Errorf("%s.groupMembershipClaims %q: want None, SecurityGroup, All or ApplicationGroup", p, a.GroupMembershipClaims)
	}
	switch a.RequestedAccessTokenVersion {
	case 0, 1, 2:
	default:
		return fmt.Errorf("%s.requestedAccessTokenVersion %d: want 1 or 2", p, a.RequestedAccessTokenVersion)
	}
	roles := map[string]bool{}
	for i, r := range a.AppRoles {
		if !isGUID(r.ID) || r.Value == "" {
			return fmt.Errorf("%s.appRoles[%d]: id must be a GUID and value is required", p, i)
		}
		roles[r.Value] = true
	}
	known := func(x string) bool {
		l := strings.ToLower(x)
		return groups[l] || upns[l] || userIDIn(t, l)
	}
	for i, as := range a.AppRoleAssignments {
		if !roles[as.Role] {
			return fmt.Errorf("%s.appRoleAssignments[%d].role %q: no app role with that value", p, i, as.Role)
		}
		if !known(as.Principal) {
			return fmt.Errorf("%s.appRoleAssignments[%d].principal %q: neither a user nor a group of the tenant", p, i, as.Principal)
		}
	}
	for _, as := range a.Assignments {
		if !known(as) {
			return fmt.Errorf("%s.assignments: %q is neither a user (UPN or object ID) nor a group of the tenant", p, as)
		}
	}
	return nil
}

// multiTenant reports whether the app accepts users of any Entra tenant.
func (a *AppRegistration) multiTenant() bool {
	return a.SignInAudience == AudienceMultipleOrgs || a.SignInAudience == AudienceOrgsAndPersonal
}

// consented reports whether admin consent is granted.
func (a *AppRegistration) consented() bool {
	return a.AdminConsentGranted == nil || *a.AdminConsentGranted
}

// Redirect URI platforms.
const (
	platformWeb    = "web"
	platformSPA    = "spa"
	platformPublic = "publicClient"
)

// redirectPlatform finds a registered redirect URI (exact comparison, as Entra does) and
// says which platform it belongs to.
func (a *AppRegistration) redirectPlatform(uri string) (string, bool) {
	switch {
	case slices.Contains(a.Web.RedirectURIs, uri):
		return platformWeb, true
	case slices.Contains(a.SPA.RedirectURIs, uri):
		return platformSPA, true
	case slices.Contains(a.PublicClient.RedirectURIs, uri):
		return platformPublic, true
	}
	return "", false
}

// allRedirectURIs lists every registered redirect URI.
func (a *AppRegistration) allRedirectURIs() []string {
	return slices.Concat(a.Web.RedirectURIs, a.SPA.RedirectURIs, a.PublicClient.RedirectURIs)
}

// optionalIDClaim reports whether the optional ID-token claim name is configured.
func (a *AppRegistration) optionalIDClaim(name string) bool {
	return slices.ContainsFunc(a.OptionalClaims.IDToken, func(c OptionalClaim) bool { return strings.EqualFold(c.Name, name) })
}

// AppRegistration finds an app registration by client ID or display name.
func (t *Tenant) AppRegistration(key string) *AppRegistration {
	for _, a := range t.AppRegistrations {
		if strings.EqualFold(a.AppID, key) || strings.EqualFold(a.DisplayName, key) {
			return a
		}
	}
	return nil
}

// findClient resolves client_id against the tenant segment: an app of that tenant, a
// multi-tenant app of another tenant (its service principal in this one), or, for common and
// organizations (t == nil), an app of any tenant.
func (s *Server) findClient(t *Tenant, clientID string) (*AppRegistration, *Tenant) {
	if t != nil {
		if a := t.AppRegistration(clientID); a != nil && strings.EqualFold(a.AppID, clientID) {
			return a, t
		}
	}
	for _, ht := range s.cfg.Tenants {
		for _, a := range ht.AppRegistrations {
			if strings.EqualFold(a.AppID, clientID) && (t == nil || a.multiTenant() || (t.ID == consumerTenantID && a.allowsPersonal())) {
				return a, ht
			}
		}
	}
	return nil, nil
}

// oidcTenant resolves {tenant} of an OIDC path: a tenant, or nil with multi set for common
// and organizations. ok is false for an unknown tenant.
func (s *Server) oidcTenant(r *http.Request) (t *Tenant, multi bool, ok bool) {
	key := r.PathValue("tenant")
	switch strings.ToLower(key) {
	case "common", "organizations":
		return nil, true, true
	case "consumers":
		key = consumerTenantID // the MSA tenant, when the config has it (tenant_consumers.go)
	}
	t = s.dir.tenant(key)
	return t, false, t != nil
}
