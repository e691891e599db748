package idp

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// graphName is Microsoft Graph's display name as a token resource (resolveResource).
const graphName = "Microsoft Graph"

// graphPermission is one Microsoft Graph permission: its name and its GUIDs as application
// permission (Role) and as delegated permission (Scope), from Microsoft Graph's permissions
// reference, so that a manifest's requiredResourceAccess may name it either way.
type graphPermission struct {
	name, role, scope string
}

// graphPermissions are the permissions the mock's Graph endpoints check.
var graphPermissions = []graphPermission{
	{"User.Read", "", "e1fe6dd8-ba31-4d61-89e7-88639da4683d"},
	{"User.ReadBasic.All", "97235f07-e226-4f63-ace3-39588e11d3a1", "b340eb25-3456-403f-be2f-af7a0d370277"},
	{"User.Read.All", "df021288-bdef-4463-88db-98f22de89214", "a154be20-db9c-4678-8ab7-66f6cc099a59"},
	{"User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca", "204e0828-b5ca-4ad8-b9f3-f32a958e7cc4"},
	{"Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61", "06da0dbc-49e2-44d2-8312-53f166ab848a"},
	{"Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7", "c5366453-9fb0-48a5-a156-24f0c49a4b84"},
	{"Group.Read.All", "5b567255-7703-4780-807c-7be8301ae99b", "5f8c59db-677d-491f-a6b8-5f174b11ec1d"},
	{"GroupMember.Read.All", "98830695-27a2-44f7-8c18-0c3ebc9698f6", "bc024368-1153-4739-b217-4326f2e966d0"},
	{"Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "c79f8feb-a9db-4090-85f9-90d820caa0eb"},
	{"Organization.Read.All", "498476ce-e0fe-48b0-b801-37ba7e2685c6", "4908d5b9-3fb2-4b1e-9336-1888b7937185"},
}

// graphPermissionName is the name of a manifest permission entry (GUID or name) of type
// typ (Role or Scope); "" when the mock does not know it.
func graphPermissionName(id, typ string) string {
	for _, p := range graphPermissions {
		guid := p.scope
		if strings.EqualFold(typ, "Role") {
			guid = p.role
		}
		if strings.EqualFold(id, p.name) || (guid != "" && strings.EqualFold(id, guid)) {
			return p.name
		}
	}
	return ""
}

// graphAppPermissions are the names of the app's Microsoft Graph permissions of type typ.
func graphAppPermissions(app *AppRegistration, typ string) []string {
	var out []string
	for _, rra := range app.RequiredResourceAccess {
		if !strings.EqualFold(rra.ResourceAppID, graphAppID) && !strings.EqualFold(strings.TrimSuffix(rra.ResourceAppID, "/"), "https://graph.microsoft.com") {
			continue
		}
		for _, ra := range rra.ResourceAccess {
			if !strings.EqualFold(ra.Type, typ) {
				continue
			}
			if n := graphPermissionName(ra.ID, typ); n != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// graphTokenPermissions is the hook of accessToken for Microsoft Graph tokens: an app-only
// token carries the app's application permissions as roles only when admin consent was
// granted (Entra mints the token either way, without roles); a delegated .default request
// gets the app's delegated permissions as scp.
func graphTokenPermissions(g *oauthGrant, res resource, scp string) (string, []string) {
	if g.app == nil {
		return scp, nil
	}
	if g.user == nil {
		if !adminConsented(g.app) {
			return "", nil
		}
		return "", graphAppPermissions(g.app, "Role")
	}
	if slices.Contains(res.scopes, ".default") {
		if perms := graphAppPermissions(g.app, "Scope"); len(perms) > 0 {
			return strings.Join(perms, " "), nil
		}
		return "User.Read", nil
	}
	return scp, nil
}

// adminConsented is adminConsentGranted with its default (true).
func adminConsented(a *AppRegistration) bool {
	return a.AdminConsentGranted == nil || *a.AdminConsentGranted
}

// graphCaller is who calls Graph: the token's tenant, app, user (nil for app-only) and
// permissions.
type graphCaller struct {
	tenant *Tenant
	appID  string
	user   *User // delegated: the signed-in user
	roles  []string
	scp    []string
	uti    string // the token's uti: its sign-in's correlation ID in the log (utiCorrelation)
}

// delegated reports whether the token is a user's (scp) rather than the app's own (roles).
func (c *graphCaller) delegated() bool { return c.user != nil }

// has reports whether the caller holds any of perms: as roles (app-only) or scp (delegated).
func (c *graphCaller) has(perms ...string) bool {
	held := c.roles
	if c.delegated() {
		held = c.scp
	}
	for _, p := range perms {
		for _, h := range held {
			if strings.EqualFold(h, p) {
				return true
			}
		}
	}
	return false
}

// errGraphAudience and errGraphExpired tell the token failures Graph words differently.
var (
	errGraphAudience = errors.New("audience is not Microsoft Graph")
	errGraphExpired  = errors.New("token is expired or not yet valid")
)

// graphAuthenticate checks the request's Bearer token as Graph does: 401
// InvalidAuthenticationToken for a missing, malformed, foreign-audience or expired token.
func (s *Server) graphAuthenticate(r *http.Request) (*graphCaller, *graphErr) {
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	tok = strings.TrimSpace(tok)
	if auth == "" || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, &graphErr{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken", msg: "Access token is empty."}
	}
	c, err := s.parseGraphToken(tok)
	if err != nil {
		e := &graphErr{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken", msg: "Access token validation failure.", cause: err}
		switch {
		case errors.Is(err, errGraphAudience):
			e.msg = "Access token validation failure. Invalid audience."
		case errors.Is(err, errGraphExpired):
			e.msg = "Lifetime validation failed, the token is expired."
		}
		return nil, e
	}
	t := s.tenantForToken(c.Tid)
	if t == nil {
		return nil, &graphErr{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken", msg: "Access token validation failure.", cause: errors.New("the token's tenant is not in the directory")}
	}
	gc := &graphCaller{tenant: t, appID: c.AppID, roles: c.Roles, uti: c.Uti}
	if gc.appID == "" {
		gc.appID = c.Azp
	}
	if c.IdTyp == "user" {
		if gc.user = t.userByID(c.Oid); gc.user == nil {
			return nil, &graphErr{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken", msg: "Access token validation failure.", cause: errors.New("the token's user is not in the directory")}
		}
		gc.scp = strings.Fields(c.Scp)
	}
	return gc, nil
}

// graphForbidden is Graph's answer to a token without the permission.
func graphForbidden() *graphErr {
	return &graphErr{status: http.StatusForbidden, code: "Authorization_RequestDenied", msg: "Insufficient privileges to complete the operation."}
}

// checkGraphToken is the lifetime and audience check shared by userinfo and Graph.
func (s *Server) checkGraphToken(c *atClaims) error {
	now := s.clock.Now()
	if c.Aud != graphAppID && strings.TrimSuffix(c.Aud, "/") != "https://graph.microsoft.com" {
		return errGraphAudience
	}
	if now.After(time.Unix(c.Exp, 0)) || now.Before(time.Unix(c.Nbf, 0).Add(-5*time.Minute)) {
		return errGraphExpired
	}
	return nil
}
