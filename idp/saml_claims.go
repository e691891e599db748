package idp

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
)

// Claim URIs Entra sends in SAML tokens.
const (
	ClaimTenantID         = "http://schemas.microsoft.com/identity/claims/tenantid"
	ClaimObjectID         = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	ClaimName             = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	ClaimSurname          = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	ClaimGivenName        = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	ClaimDisplayName      = "http://schemas.microsoft.com/identity/claims/displayname"
	ClaimEmailAddress     = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	ClaimIdentityProvider = "http://schemas.microsoft.com/identity/claims/identityprovider"
	ClaimAuthnMethodsRefs = "http://schemas.microsoft.com/claims/authnmethodsreferences"
	ClaimGroups           = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	ClaimGroupsLink       = "http://schemas.microsoft.com/claims/groups.link"
	// AuthnMethodPassword is the authnmethodsreferences value for a password sign-in.
	AuthnMethodPassword = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"
	// AuthnContextPassword is the AuthnContextClassRef of a password sign-in.
	AuthnContextPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
	// SAMLGroupsLimit is the number of groups above which Entra sends the groups.link
	// overage claim instead of the groups.
	SAMLGroupsLimit = 150
)

// DefaultSAMLClaims returns "Attributes & Claims" → "Additional claims" of a new enterprise
// app: what SAMLSettings.Claims nil stands for. The slice is a copy.
func DefaultSAMLClaims() []Claim { return slices.Clone(defaultSAMLClaims) }

// defaultSAMLClaims are the claims of DefaultSAMLClaims; never changed.
var defaultSAMLClaims = []Claim{
	{Name: "emailaddress", Namespace: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims", Source: "user.mail"},
	{Name: "givenname", Namespace: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims", Source: "user.givenname"},
	{Name: "name", Namespace: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims", Source: "user.userprincipalname"},
	{Name: "surname", Namespace: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims", Source: "user.surname"},
}

// attribute is one SAML Attribute with its values.
type attribute struct {
	Name   string
	Values []string
}

// samlAttributes builds the AttributeStatement in the order the real captures show:
// tenantid, objectidentifier, then name, surname, givenname, displayname, emailaddress,
// identityprovider, authnmethodsreferences, and after those groups, then custom claims.
// Claims whose value is empty are left out, as Entra leaves out null claims.
func (s *Server) samlAttributes(t *Tenant, app *EnterpriseApp, u *User) []attribute {
	claims := app.SAML.Claims
	if claims == nil {
		claims = defaultSAMLClaims
	}
	values := map[string]string{}
	var custom []string
	for _, c := range claims {
		v := c.Constant
		if v == "" {
			v, _ = userAttr(u, c.Source)
		}
		uri := c.URI()
		if _, known := values[uri]; !known {
			switch uri {
			case ClaimName, ClaimSurname, ClaimGivenName, ClaimEmailAddress:
			default:
				custom = append(custom, uri)
			}
		}
		values[uri] = v
	}
	issuer := "https://sts.windows.net/" + t.ID + "/"
	var out []attribute
	add := func(name, v string) {
		if v != "" {
			out = append(out, attribute{Name: name, Values: []string{v}})
		}
	}
	add(ClaimTenantID, t.ID)
	add(ClaimObjectID, u.ID)
	add(ClaimName, values[ClaimName])
	add(ClaimSurname, values[ClaimSurname])
	add(ClaimGivenName, values[ClaimGivenName])
	add(ClaimDisplayName, u.DisplayName)
	add(ClaimEmailAddress, values[ClaimEmailAddress])
	add(ClaimIdentityProvider, issuer)
	add(ClaimAuthnMethodsRefs, AuthnMethodPassword)
	if g := app.SAML.GroupsClaim; g != nil {
		groups := t.groupsOf(u)
		if g.Groups == "ApplicationGroup" {
			var assigned []*Group
			for _, gr := range groups {
				for _, a := range app.Assignments {
					if strings.EqualFold(a, gr.ID) || strings.EqualFold(a, gr.DisplayName) {
						assigned = append(assigned, gr)
						break
					}
				}
			}
			groups = assigned
		}
		if len(groups) > SAMLGroupsLimit {
			add(ClaimGroupsLink, "https://graph.windows.net/"+t.ID+"/users/"+u.ID+"/getMemberObjects")
		} else if len(groups) > 0 {
			a := attribute{Name: g.Name}
			for _, gr := range groups {
				if strings.EqualFold(g.SourceAttribute, "displayName") {
					a.Values = append(a.Values, gr.DisplayName)
				} else {
					a.Values = append(a.Values, gr.ID)
				}
			}
			out = append(out, a)
		}
	}
	for _, uri := range custom {
		add(uri, values[uri])
	}
	return out
}

// pairwiseID is the persistent NameID Entra issues: stable per user and app, opaque, 43
// base64url characters like the captured ones.
func pairwiseID(tenantID, appID, userID string) string {
	h := sha256.Sum256([]byte(tenantID + "|" + appID + "|" + userID))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// nameID works out the NameID value and format URI for a user, from the app's claim
// configuration and the format the SP asked for (NameIDPolicy). requested has been checked.
func (s *Server) nameID(t *Tenant, app *EnterpriseApp, u *User, requested string) (value, format string) {
	source, _ := userAttr(u, app.SAML.NameID.Source)
	pairwise := pairwiseID(t.ID, app.AppID, u.ID)
	switch requested {
	case URIPersistent, URIUnspecified:
		// "unspecified": Entra picks the format and issues a pairwise identifier.
		if requested == URIPersistent || app.SAML.NameID.Format == NameIDFormatDefault || app.SAML.NameID.Format == NameIDFormatPersistent {
			return pairwise, URIPersistent
		}
	case URITransient:
		return "_" + s.rand.token(16), URITransient
	case URIEmailAddress:
		return source, URIEmailAddress
	}
	switch app.SAML.NameID.Format {
	case NameIDFormatPersistent:
		return pairwise, URIPersistent
	case NameIDFormatTransient:
		return "_" + s.rand.token(16), URITransient
	case NameIDFormatUnspecified:
		return source, URIUnspecified
	case NameIDFormatWindows:
		return source, URIWindowsDomainQualName
	case NameIDFormatEmail:
		return source, URIEmailAddress
	}
	// Default: the source value; Entra labels an email-shaped value emailAddress.
	if source == "" {
		return pairwise, URIPersistent
	}
	if strings.Contains(source, "@") {
		return source, URIEmailAddress
	}
	return source, URIUnspecified
}

// supportedNameIDFormat reports whether Entra accepts a NameIDPolicy Format.
func supportedNameIDFormat(f string) bool {
	switch f {
	case "", URIPersistent, URIEmailAddress, URIUnspecified, URITransient:
		return true
	}
	return false
}

// audienceFor applies Entra's rule: a non-URI identifier becomes "spn:<value>".
func audienceFor(identifier string) string {
	if strings.Contains(identifier, ":") {
		return identifier
	}
	return "spn:" + identifier
}
