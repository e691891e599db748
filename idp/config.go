package idp

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Config is the mock directory: tenants with their users, groups, enterprise applications
// (SAML) and app registrations (OIDC), modelled on Entra's own objects. It is read from YAML
// or JSON (the json tags serve both: YAML is converted to JSON before decoding). Zero values
// take Entra's defaults; Normalize fills them in and reports what is inconsistent.
type Config struct {
	// PublicURL is the scheme://host[:port] the browser and SPs use to reach the server, e.g.
	// "https://login.example.test:8443". Empty: the listener's own URL.
	PublicURL string `json:"publicUrl,omitempty"`
	// KeyDir, when set, persists generated signing keys and certificates as PEM files so that
	// `mockidp metadata` and a later `mockidp serve` publish the same certificate.
	KeyDir string `json:"keyDir,omitempty"`
	// SAML holds server-wide SAML token timings.
	SAML SAMLTimings `json:"saml,omitempty"`
	// Tenants is the directory. The first tenant is the "home" tenant of the printed values.
	Tenants []*Tenant `json:"tenants"`
	// Faults are armed when the server starts: each applies to the next Count sign-ins of its
	// user and app (see `mockidp faults` for the catalog).
	Faults []Arming `json:"faults,omitempty"`
	// ControlAPI enables the control API under /_mockidp/ (arm and disarm faults, read the
	// catalog) for a harness in another process. Off unless set.
	ControlAPI *ControlAPI `json:"controlApi,omitempty"`
}

// ControlAPI configures the authenticated control API.
type ControlAPI struct {
	// Token is the bearer token the API requires (Authorization: Bearer <token>). Required:
	// the API arms faults that make the IdP mint forged responses.
	Token string `json:"token"`
}

// SAMLTimings are the validity windows written into SAML responses, relative to IssueInstant.
// Defaults follow the real signed Entra captures (samples/saml-response-aad-2015.xml):
// NotBefore = IssueInstant − 5 min, NotOnOrAfter = IssueInstant + 55 min,
// SubjectConfirmationData NotOnOrAfter = IssueInstant + 5 min. Microsoft's docs describe
// NotBefore ≈ IssueInstant and a 70-minute window; set NotBeforeSkew "0s" and Lifetime "70m"
// to reproduce that instead.
type SAMLTimings struct {
	// NotBeforeSkew is subtracted from IssueInstant for Conditions/@NotBefore (default 5m).
	NotBeforeSkew *Duration `json:"notBeforeSkew,omitempty"`
	// Lifetime is added to IssueInstant for Conditions/@NotOnOrAfter (default 55m).
	Lifetime *Duration `json:"lifetime,omitempty"`
	// SubjectConfirmationLifetime is added to IssueInstant for
	// SubjectConfirmationData/@NotOnOrAfter (default 5m).
	SubjectConfirmationLifetime *Duration `json:"subjectConfirmationLifetime,omitempty"`
}

// Tenant is an Entra directory (tenant). The tenant whose ID is
// 9188040d-6c67-4c5b-b112-36a304b66dad is Entra's tenant of personal Microsoft accounts
// (MSA): its users are personal accounts (outlook.com, ...), it is also reached as
// /consumers, and apps whose signInAudience takes personal accounts sign them in
// (tenant_consumers.go). It needs no apps of its own.
type Tenant struct {
	// ID is the tenant (directory) ID, a GUID.
	ID string `json:"id"`
	// DisplayName is the organisation name shown on the sign-in page.
	DisplayName string `json:"displayName"`
	// VerifiedDomains are the tenant's domains; the first is the initial
	// <name>.onmicrosoft.com domain. Any of them addresses the tenant in a URL.
	VerifiedDomains []string `json:"verifiedDomains"`
	// Users are the tenant's member users.
	Users []*User `json:"users"`
	// Groups are the tenant's security groups.
	Groups []*Group `json:"groups,omitempty"`
	// EnterpriseApps are enterprise applications with SAML single sign-on.
	EnterpriseApps []*EnterpriseApp `json:"enterpriseApps,omitempty"`
	// AppRegistrations are OIDC/OAuth app registrations.
	AppRegistrations []*AppRegistration `json:"appRegistrations,omitempty"`
	// OAuth2PermissionGrants are delegated permission grants (consent) of apps whose
	// adminConsentGranted is false (consent.go).
	OAuth2PermissionGrants []*OAuth2PermissionGrant `json:"oauth2PermissionGrants,omitempty"`
	// ConditionalAccessPolicies are the tenant's Conditional Access policies: block or
	// require MFA for some users and apps (conditional_access.go).
	ConditionalAccessPolicies []*ConditionalAccessPolicy `json:"conditionalAccessPolicies,omitempty"`
}

// User is an Entra user object.
type User struct {
	// ID is the user's object ID (GUID).
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail,omitempty"`
	DisplayName       string `json:"displayName,omitempty"`
	GivenName         string `json:"givenName,omitempty"`
	Surname           string `json:"surname,omitempty"`
	// Password is the user's password on the mock sign-in page.
	Password string `json:"password"`
	// AccountEnabled false blocks sign-in with AADSTS50057. Default true.
	AccountEnabled *bool `json:"accountEnabled,omitempty"`
	// MemberOf lists the groups (object ID or display name) the user belongs to.
	MemberOf []string `json:"memberOf,omitempty"`
	// The properties below are Microsoft Graph's user properties, served by the mock's Graph
	// (graph_users.go) under the same names. MailNickname is the mail alias (SCIM's
	// externalId under Entra's default provisioning mappings).
	MailNickname string `json:"mailNickname,omitempty"`
	// UserType is Member (default) or Guest; a guest's UPN has the #EXT# form
	// (a_contoso.com#EXT#@tenant.onmicrosoft.com).
	UserType       string   `json:"userType,omitempty"`
	JobTitle       string   `json:"jobTitle,omitempty"`
	Department     string   `json:"department,omitempty"`
	EmployeeID     string   `json:"employeeId,omitempty"`
	OfficeLocation string   `json:"officeLocation,omitempty"`
	MobilePhone    string   `json:"mobilePhone,omitempty"`
	BusinessPhones []string `json:"businessPhones,omitempty"`
	// Manager is the user's manager: UPN or object ID of another user of the tenant
	// (Graph's /users/{id}/manager reference).
	Manager string `json:"manager,omitempty"`
	// CreatedDateTime is when the user was created (RFC 3339); Graph returns null when empty.
	CreatedDateTime string `json:"createdDateTime,omitempty"`
	// DeletedDateTime marks a deleted user (RFC 3339): it is absent from Graph's /users, is
	// listed at /v1.0/directory/deletedItems/microsoft.graph.user, and cannot sign in (its
	// login is not found, AADSTS50034, as for a soft-deleted user in Entra).
	DeletedDateTime string `json:"deletedDateTime,omitempty"`
}

// Deleted reports whether the user is in the tenant's deleted items (deletedDateTime set).
func (u *User) Deleted() bool { return u.DeletedDateTime != "" }

// Enabled reports whether the account may sign in.
func (u *User) Enabled() bool { return u.AccountEnabled == nil || *u.AccountEnabled }

// Group is an Entra security group.
type Group struct {
	// ID is the group's object ID (GUID).
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	// The properties below are Microsoft Graph's group properties (graph_groups.go).
	Description  string `json:"description,omitempty"`
	Mail         string `json:"mail,omitempty"`
	MailNickname string `json:"mailNickname,omitempty"`
	// SecurityEnabled defaults to true (a security group); MailEnabled to false.
	SecurityEnabled *bool `json:"securityEnabled,omitempty"`
	MailEnabled     bool  `json:"mailEnabled,omitempty"`
	// MemberOf lists the groups (object ID or display name) this group is a member of:
	// nested groups, which Graph's transitiveMembers and the users' transitive memberships
	// follow.
	MemberOf []string `json:"memberOf,omitempty"`
	// CreatedDateTime is when the group was created (RFC 3339).
	CreatedDateTime string `json:"createdDateTime,omitempty"`
}

// EnterpriseApp is an enterprise application (service principal) set up for SAML-based
// single sign-on, with the portal's sections as fields.
type EnterpriseApp struct {
	// AppID is the application ID (GUID); it addresses the app in the metadata URL.
	AppID string `json:"appId"`
	// DisplayName is the app's name in the portal and in error messages.
	DisplayName string `json:"displayName"`
	// AssignmentRequired is "Assignment required?" on the app's Properties page. When true
	// only users in Assignments (directly or via a group) may sign in (else AADSTS50105).
	AssignmentRequired bool `json:"appRoleAssignmentRequired,omitempty"`
	// Assignments are the "Users and groups" assigned: user UPN or object ID, group display
	// name or object ID.
	Assignments []string `json:"assignments,omitempty"`
	// SAML is the "Set up single sign-on with SAML" page.
	SAML SAMLSettings `json:"saml"`
	// KeyCredentials are the application's keyCredentials; those with usage Encrypt are the
	// "Token encryption" certificates (see KeyCredential and saml_encrypt.go).
	KeyCredentials []*KeyCredential `json:"keyCredentials,omitempty"`
	// TokenEncryptionKeyID is the application's tokenEncryptionKeyId: the keyId of the
	// active encryption certificate ("Activate token encryption certificate"). When set,
	// Responses carry an EncryptedAssertion instead of the Assertion. Empty: no encryption.
	TokenEncryptionKeyID string `json:"tokenEncryptionKeyId,omitempty"`
	// TokenEncryptionMethod is the data cipher: aes256-cbc (default, Entra's) or aes256-gcm
	// (a mock option; Entra offers no choice). The key is always wrapped with rsa-oaep-mgf1p.
	TokenEncryptionMethod string `json:"tokenEncryptionMethod,omitempty"`
	// TokenEncryptionFromMetadata imports the encryption certificate of saml.metadataFile (a
	// KeyDescriptor use="encryption", else one without use) as an Encrypt keyCredential and
	// activates it unless tokenEncryptionKeyId names another: what the admin does by hand on
	// the Token encryption blade with the SP's certificate. Entra's metadata upload does not.
	TokenEncryptionFromMetadata bool `json:"tokenEncryptionFromMetadata,omitempty"`

	encKey *EncryptionKey // the active encryption key, resolved by normalize
	// Provisioning is the Provisioning page in Automatic mode: Entra's SCIM 2.0 client
	// (package provision) provisions the app's users and groups (provisioning.go).
	Provisioning *Provisioning `json:"provisioning,omitempty"`
}

// SAMLSettings mirrors the SAML single sign-on page of an enterprise app.
type SAMLSettings struct {
	// Identifiers are "Identifier (Entity ID)" values; the AuthnRequest Issuer must equal one
	// exactly (else AADSTS700016). The first is the default unless another sets Default.
	Identifiers []Identifier `json:"identifiers"`
	// ReplyURLs are "Reply URL (Assertion Consumer Service URL)" values.
	ReplyURLs []ReplyURL `json:"replyUrls"`
	// MetadataFile is "Upload metadata file": the SP's SAML metadata (a file path, relative
	// to the config file). Its entity ID is added to Identifiers, its HTTP-POST
	// AssertionConsumerService locations to ReplyURLs and its SingleLogoutService becomes
	// LogoutURL when that is empty — what Entra auto-populates from the file.
	MetadataFile string `json:"metadataFile,omitempty"`
	// SignOnURL is "Sign on URL": where "Test this application" starts an SP-initiated
	// sign-in. When empty the portal's test (and My Apps) use IdP-initiated sign-in.
	SignOnURL string `json:"signOnUrl,omitempty"`
	// RelayState is "Relay State (Optional)", posted with IdP-initiated responses.
	RelayState string `json:"relayState,omitempty"`
	// LogoutURL is "Logout Url (Optional)": where the user lands after SLO.
	LogoutURL string `json:"logoutUrl,omitempty"`
	// NameID is the "Unique User Identifier (Name ID)" claim.
	NameID NameIDClaim `json:"nameId,omitempty"`
	// Claims are "Additional claims". Nil means Entra's defaults (emailaddress, givenname,
	// name, surname). An explicit empty list sends only the always-present claims.
	Claims []Claim `json:"claims,omitempty"`
	// GroupsClaim, when set, adds the groups claim ("Add a group claim").
	GroupsClaim *GroupsClaim `json:"groupsClaim,omitempty"`
	// Signing is "SAML Signing Certificate" → Signing Option and Signing Algorithm.
	Signing Signing `json:"signing,omitempty"`
	// Certificates are the app's SAML signing certificates; exactly one is Active (if none is
	// marked, the first valid one is). Empty: one generated 3-year certificate.
	Certificates []*Certificate `json:"certificates,omitempty"`
	// RequireVerificationCertificates is "Verification certificates (optional)" → "Require
	// verification certificates": AuthnRequests and LogoutRequests must be signed by one of
	// VerificationCertificates (else AADSTS76021 / AADSTS50006).
	RequireVerificationCertificates bool `json:"requireVerificationCertificates,omitempty"`
	// AllowWeakAlgorithm accepts RSA-SHA1 request signatures ("Allow requests signed with
	// RSA-SHA1").
	AllowWeakAlgorithm bool `json:"allowRsaSha1,omitempty"`
	// VerificationCertificates are PEM certificates (inline or file paths) of the SP.
	VerificationCertificates []string `json:"verificationCertificates,omitempty"`
	// LogoutResponseIssuer overrides the Issuer of LogoutResponses. Default is Entra's
	// https://login.microsoftonline.com/{tid}/ (not the sts.windows.net entity ID).
	LogoutResponseIssuer string `json:"logoutResponseIssuer,omitempty"`
	// SignLogoutResponse signs LogoutResponses with an enveloped XML signature. Entra's
	// documented LogoutResponse is unsigned, so the default is false.
	SignLogoutResponse bool `json:"signLogoutResponse,omitempty"`
	// WSFedTokenType is the assertion a WS-Federation sign-in (/{tenant}/wsfed) gets when its
	// wreq names no TokenType: "SAML2" (default; every Entra wresult on record wraps a SAML
	// 2.0 assertion) or "SAML11" (a SAML 1.1 assertion, for RPs such as SharePoint that take
	// only 1.1). The portal has no such field; it stands for the app-side choice of token.
	WSFedTokenType string `json:"wsFedTokenType,omitempty"`
}

// Identifier is one "Identifier (Entity ID)" row.
type Identifier struct {
	Value   string `json:"value"`
	Default bool   `json:"default,omitempty"`
}

// ReplyURL is one "Reply URL (Assertion Consumer Service URL)" row.
type ReplyURL struct {
	URL     string `json:"url"`
	Index   *int   `json:"index,omitempty"`
	Default bool   `json:"default,omitempty"`
}

// UnmarshalJSON accepts a plain string as well as the object form.
func (r *ReplyURL) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*r = ReplyURL{URL: s}
		return nil
	}
	type plain ReplyURL
	return json.Unmarshal(b, (*plain)(r))
}

// UnmarshalJSON accepts a plain string as well as the object form.
func (i *Identifier) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*i = Identifier{Value: s}
		return nil
	}
	type plain Identifier
	return json.Unmarshal(b, (*plain)(i))
}

// NameID formats as the portal names them, and their URIs.
const (
	NameIDFormatDefault      = "Default"
	NameIDFormatPersistent   = "Persistent"
	NameIDFormatEmail        = "EmailAddress"
	NameIDFormatUnspecified  = "Unspecified"
	NameIDFormatWindows      = "WindowsDomainQualifiedName"
	NameIDFormatTransient    = "Transient"
	URIPersistent            = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	URIEmailAddress          = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	URIUnspecified           = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	URITransient             = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	URIWindowsDomainQualName = "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName"
)

// NameIDClaim is the "Unique User Identifier (Name ID)" claim.
type NameIDClaim struct {
	// Format is one of Default, Persistent, EmailAddress, Unspecified,
	// WindowsDomainQualifiedName (default: Default, sent as emailAddress when the source
	// is an email-shaped value as the portal's default claim does).
	Format string `json:"format,omitempty"`
	// Source is a user attribute: user.userprincipalname (default), user.mail,
	// user.objectid, user.displayname, user.givenname, user.surname.
	Source string `json:"source,omitempty"`
}

// Claim is one row of "Attributes & Claims".
type Claim struct {
	// Name is the claim name. With Namespace empty it is sent as is.
	Name string `json:"name"`
	// Namespace is prefixed with "/" to Name (the portal's "Namespace" box).
	Namespace string `json:"namespace,omitempty"`
	// Source is a user attribute (see NameIDClaim.Source) or, with Constant, a literal.
	Source string `json:"source,omitempty"`
	// Constant is a literal value ("Source: Constant").
	Constant string `json:"constant,omitempty"`
}

// URI is the attribute name sent on the wire.
func (c Claim) URI() string {
	if c.Namespace == "" {
		return c.Name
	}
	return strings.TrimSuffix(c.Namespace, "/") + "/" + c.Name
}

// GroupsClaim is "Group Claims".
type GroupsClaim struct {
	// Groups is which groups: SecurityGroup, All, DirectoryRole, ApplicationGroup (only
	// groups assigned to the app). Default SecurityGroup.
	Groups string `json:"groups,omitempty"`
	// SourceAttribute is objectId (default) or displayName (sAMAccountName for cloud
	// groups is not modelled).
	SourceAttribute string `json:"sourceAttribute,omitempty"`
	// Name overrides the claim name (default
	// http://schemas.microsoft.com/ws/2008/06/identity/claims/groups).
	Name string `json:"name,omitempty"`
}

// Signing options as the portal names them.
const (
	SignAssertion            = "SignAssertion"
	SignResponse             = "SignResponse"
	SignResponseAndAssertion = "SignResponseAndAssertion"
	AlgorithmSHA256          = "SHA-256"
	AlgorithmSHA1            = "SHA-1"
)

// Signing is the "Signing Option" and "Signing Algorithm" of the SAML certificate section.
type Signing struct {
	// Option is SignAssertion (default), SignResponse or SignResponseAndAssertion.
	Option string `json:"option,omitempty"`
	// Algorithm is SHA-256 (default) or SHA-1.
	Algorithm string `json:"algorithm,omitempty"`
}

// Certificate is one SAML signing certificate of an app (or an OIDC signing key).
type Certificate struct {
	// Active marks the certificate that signs; others are published only during rollover
	// (Publish) or kept inactive.
	Active bool `json:"active,omitempty"`
	// Publish lists an inactive certificate in metadata (rollover). Active ones always are.
	Publish bool `json:"publish,omitempty"`
	// NotBefore and NotAfter bound a generated certificate: RFC 3339 times or offsets from the
	// server clock at start ("-24h", "-30d", "3y"). Defaults: now − 1 min and now + 3 years.
	NotBefore *RelTime `json:"notBefore,omitempty"`
	NotAfter  *RelTime `json:"notAfter,omitempty"`
	// Subject is the generated certificate's subject CN (default "Microsoft Azure Federated
	// SSO Certificate").
	Subject string `json:"subject,omitempty"`
	// CertPEM and KeyPEM give the certificate and RSA key: inline PEM or a file path. When
	// both are empty a 2048-bit key and a self-signed certificate are generated.
	CertPEM string `json:"cert,omitempty"`
	KeyPEM  string `json:"key,omitempty"`
}

// Duration is a time.Duration that reads "5m", "90s" or a number of seconds, and also the
// day ("30d") and year ("3y" = 365 d) units certificates use.
type Duration time.Duration

// UnmarshalJSON reads a duration string or seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var n float64
	if json.Unmarshal(b, &n) == nil {
		*d = Duration(time.Duration(n * float64(time.Second)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string like \"5m\": %w", err)
	}
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for unit, mult := range map[string]time.Duration{"d": 24 * time.Hour, "y": 365 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, unit); ok {
			f, err := strconv.ParseFloat(strings.TrimPrefix(num, "+"), 64)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %w", s, err)
			}
			return time.Duration(f * float64(mult)), nil
		}
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		return 0, fmt.Errorf("duration %q: want e.g. 5m, -24h, 30d, 3y", s)
	}
	return d, nil
}

// RelTime is an absolute time (RFC 3339) or an offset from "now" on the server clock.
type RelTime struct {
	Abs    time.Time
	Offset time.Duration
	IsAbs  bool
}

// At resolves the time against now.
func (t RelTime) At(now time.Time) time.Time {
	if t.IsAbs {
		return t.Abs
	}
	return now.Add(t.Offset)
}

// UnmarshalJSON reads an RFC 3339 time or an offset such as "-1d".
func (t *RelTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: want an RFC 3339 time or an offset like \"-1d\": %w", err)
	}
	if abs, err := time.Parse(time.RFC3339, s); err == nil {
		*t = RelTime{Abs: abs, IsAbs: true}
		return nil
	}
	d, err := parseDuration(s)
	if err != nil {
		return fmt.Errorf("time %q: want an RFC 3339 time or an offset like -1d, 30d, 3y", s)
	}
	*t = RelTime{Offset: d}
	return nil
}

// MarshalJSON writes the time back in the form it was read.
func (t RelTime) MarshalJSON() ([]byte, error) {
	if t.IsAbs {
		return json.Marshal(t.Abs.Format(time.RFC3339))
	}
	return json.Marshal(t.Offset.String())
}

// At returns an absolute RelTime.
func At(t time.Time) *RelTime { return &RelTime{Abs: t, IsAbs: true} }

// In returns a RelTime offset from the server clock's now.
func In(d time.Duration) *RelTime { return &RelTime{Offset: d} }

// LoadConfig reads a YAML or JSON config file. Unknown fields are errors, so a typo in a key
// is reported with its name instead of being silently ignored.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.resolvePaths(filepath.Dir(path))
	return cfg, nil
}

// resolvePaths makes the relative PEM file paths of a config file relative to its directory,
// so a config works from any working directory.
func (c *Config) resolvePaths(dir string) {
	fix := func(p *string) {
		if *p != "" && !strings.Contains(*p, "-----BEGIN") && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if c.KeyDir != "" {
		fix(&c.KeyDir)
	}
	for _, t := range c.Tenants {
		for _, a := range t.EnterpriseApps {
			for _, cert := range a.SAML.Certificates {
				fix(&cert.CertPEM)
				fix(&cert.KeyPEM)
			}
			fix(&a.SAML.MetadataFile)
			a.resolveKeyCredentialPaths(dir)
			for i := range a.SAML.VerificationCertificates {
				fix(&a.SAML.VerificationCertificates[i])
			}
		}
	}
}

// ParseConfig decodes YAML or JSON config bytes.
func ParseConfig(b []byte) (*Config, error) {
	var cfg Config
	if err := yaml.UnmarshalStrict(b, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// DefaultConfig returns the embedded default directory: tenant "contoso" with B.Simon and a
// few other users and one SAML enterprise app. See fixtures in idp/default.yaml.
func DefaultConfig() *Config {
	cfg, err := ParseConfig(defaultYAML)
	if err != nil {
		panic("idp: embedded default config is invalid: " + err.Error()) // a build defect, caught by tests
	}
	return cfg
}
