package load

import (
	"fmt"
	"sort"
	"strings"
)

// LoginKind is what a server asks of the user between the request and the response.
type LoginKind int

const (
	// LoginNone: the server answers without asking anything (no sign-in page).
	LoginNone LoginKind = iota
	// LoginForm: a form of user attributes to submit, without a password.
	LoginForm
	// LoginPassword: a sign-in page that asks for the user's password (possibly after an
	// email step). A sign-in that never submitted the password is an error.
	LoginPassword
)

// String is the kind's name.
func (k LoginKind) String() string {
	switch k {
	case LoginNone:
		return "none"
	case LoginForm:
		return "form"
	case LoginPassword:
		return "password"
	}
	return fmt.Sprintf("LoginKind(%d)", int(k))
}

// Flavor is what bench needs to know about one kind of server: its paths, the SP or client it
// is configured for, the user, and what its protocol flow can and cannot do. It is data;
// the driver is the same for every flavor.
type Flavor struct {
	// Name is the flavor's name on the command line (entra, oauth2-mock-server, saml-idp).
	Name string
	// ReadyPath is fetched until it answers 2xx before the load starts.
	ReadyPath string
	// User and Password are typed into the sign-in form(s).
	User, Password string
	// SAML is the SP-initiated SAML flow; nil when the server does not do SAML.
	SAML *SAMLProfile
	// OIDC is the authorization code flow; nil when the server does not do OIDC.
	OIDC *OIDCProfile
	// Notes are the flavor's limitations, printed with its results.
	Notes []string
}

// SAMLProfile describes the SP side of an SP-initiated SAML sign-in.
type SAMLProfile struct {
	// SSOPath is the IdP's single sign-on endpoint (HTTP-Redirect binding), relative to the
	// server URL.
	SSOPath string
	// SPEntityID is the AuthnRequest's Issuer (Entra: the app's Identifier).
	SPEntityID string
	// ACSURL is the AuthnRequest's AssertionConsumerServiceURL (Entra: the Reply URL); the
	// Response's auto-posting form must target it.
	ACSURL string
	// Login is what the IdP asks of the user.
	Login LoginKind
	// InResponseTo: the Response must carry the AuthnRequest's ID as InResponseTo.
	InResponseTo bool
}

// OIDCProfile describes the client side of an authorization code flow with PKCE.
type OIDCProfile struct {
	// AuthorizePath and TokenPath are the endpoints, relative to the server URL.
	AuthorizePath, TokenPath string
	// ClientID, ClientSecret (client_secret_post) and RedirectURI of the client.
	ClientID, ClientSecret, RedirectURI string
	// Scope is requested at /authorize.
	Scope string
	// Login is what the server asks of the user.
	Login LoginKind
	// Nonce: the ID token must carry the request's nonce.
	Nonce bool
}

// The embedded default directory of the mock (idp/default.yaml), as `mockidp values` prints it.
const (
	entraTenant       = "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"
	entraSPEntityID   = "https://sp.example.test/saml/metadata"
	entraACSURL       = "https://sp.example.test/saml/acs"
	entraClientID     = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	entraClientSecret = "Mq8Q~contoso.mock-secret_value.0123456789"
	entraRedirectURI  = "http://localhost:8080/signin-oidc"
	entraUser         = "B.Simon@contoso.com"
	entraPassword     = "Passw0rd!"
)

// Entra is the mock Microsoft Entra ID of this module (`mockidp serve`) with its embedded
// default directory: tenant Contoso, the SAML app "Contoso SAML App", the app registration
// "Contoso OIDC Web" and the user B.Simon.
func Entra() Flavor {
	return Flavor{
		Name:      "entra",
		ReadyPath: "/_mockidp/ready",
		User:      entraUser,
		Password:  entraPassword,
		SAML: &SAMLProfile{
			SSOPath:      "/" + entraTenant + "/saml2",
			SPEntityID:   entraSPEntityID,
			ACSURL:       entraACSURL,
			Login:        LoginPassword,
			InResponseTo: true,
		},
		OIDC: &OIDCProfile{
			AuthorizePath: "/" + entraTenant + "/oauth2/v2.0/authorize",
			TokenPath:     "/" + entraTenant + "/oauth2/v2.0/token",
			ClientID:      entraClientID,
			ClientSecret:  entraClientSecret,
			RedirectURI:   entraRedirectURI,
			Scope:         "openid profile email",
			Login:         LoginPassword,
			Nonce:         true,
		},
	}
}

// OAuth2MockServer is the npm package oauth2-mock-server (OIDC only), started with an RS256
// key (load/peers/oauth2-mock-server.js). Its /authorize has no sign-in page: it redirects
// straight back with a code; its token endpoint checks PKCE but no client secret.
func OAuth2MockServer() Flavor {
	return Flavor{
		Name:      "oauth2-mock-server",
		ReadyPath: "/.well-known/openid-configuration",
		User:      entraUser,
		Password:  entraPassword,
		OIDC: &OIDCProfile{
			AuthorizePath: "/authorize",
			TokenPath:     "/token",
			ClientID:      entraClientID,
			ClientSecret:  entraClientSecret,
			RedirectURI:   entraRedirectURI,
			Scope:         "openid profile email",
			Login:         LoginNone,
			Nonce:         true,
		},
		Notes: []string{
			"oauth2-mock-server: no sign-in page (/authorize redirects straight back with a code), so no credentials are typed",
			"oauth2-mock-server: the token endpoint checks PKCE but neither the client secret nor the redirect URI; no SAML",
		},
	}
}

// SAMLIdP is the npm package saml-idp (SAML only), started for bench's SP
// (load/peers/saml-idp.sh). It parses the AuthnRequest and shows a form of user
// attributes (no password) whose submission yields the Response.
func SAMLIdP() Flavor {
	return Flavor{
		Name:      "saml-idp",
		ReadyPath: "/metadata",
		User:      entraUser,
		Password:  entraPassword,
		SAML: &SAMLProfile{
			SSOPath:      "/saml/sso",
			SPEntityID:   entraSPEntityID,
			ACSURL:       entraACSURL,
			Login:        LoginForm,
			InResponseTo: true,
		},
		Notes: []string{
			"saml-idp: the user form has no password (any user attributes are accepted); the user is typed into userName/email",
			"saml-idp: signs both the Response and the Assertion (2 signatures); prints every Response, pretty-printed, to stdout; no OIDC",
		},
	}
}

// flavors are the built-in flavors by name.
func flavors() map[string]func() Flavor {
	return map[string]func() Flavor{
		"entra":              Entra,
		"oauth2-mock-server": OAuth2MockServer,
		"saml-idp":           SAMLIdP,
	}
}

// FlavorNames lists the built-in flavors' names, sorted.
func FlavorNames() []string {
	var names []string
	for n := range flavors() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FlavorByName returns a built-in flavor ("entra", "oauth2-mock-server", "saml-idp").
func FlavorByName(name string) (Flavor, error) {
	f, ok := flavors()[strings.ToLower(name)]
	if !ok {
		return Flavor{}, fmt.Errorf("unknown flavor %q (want %s)", name, strings.Join(FlavorNames(), ", "))
	}
	return f(), nil
}

// Supports reports whether the flavor can run protocol p.
func (f Flavor) Supports(p Protocol) bool {
	switch p {
	case ProtocolSAML:
		return f.SAML != nil
	case ProtocolOIDC:
		return f.OIDC != nil
	}
	return false
}
