package idp

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isGUID reports whether s has the 8-4-4-4-12 hex form of an Entra object ID.
func isGUID(s string) bool { return guidRE.MatchString(s) }

// directory is the read-only index built from a Config at start.
type directory struct {
	tenants  []*Tenant
	byKey    map[string]*Tenant // lower-case GUID and verified domains
	tenantOf map[any]*Tenant    // *User, *EnterpriseApp, *AppRegistration -> tenant
}

// Normalize fills in Entra's defaults in c itself and checks the config. Errors name the
// field path and what to do about it. New normalizes its own copy (see WithConfig); call
// Normalize to check a Config before serving it, or to read it with the defaults filled in.
func (c *Config) Normalize() error {
	if len(c.Tenants) == 0 {
		return fmt.Errorf("tenants: at least one tenant is required")
	}
	if err := c.checkEmptyEntries(); err != nil {
		return err
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("publicUrl %q: want scheme://host[:port], e.g. https://login.example.test:8443", c.PublicURL)
		}
		c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	}
	if c.ControlAPI != nil && len(c.ControlAPI.Token) < 16 {
		return fmt.Errorf("controlApi.token: a bearer token of at least 16 characters is required (e.g. from `openssl rand -hex 16`)")
	}
	for i, a := range c.Faults {
		if faultByID(a.Fault) == nil {
			return fmt.Errorf("faults[%d].fault %q: not in the catalog (run `mockidp faults`)", i, a.Fault)
		}
		if a.Count < 0 {
			return fmt.Errorf("faults[%d].count %d: must be 0 (the fault's own number of sign-ins) or more", i, a.Count)
		}
	}
	seenTenant := map[string]string{}
	for ti, t := range c.Tenants {
		p := fmt.Sprintf("tenants[%d]", ti)
		if !isGUID(t.ID) {
			return fmt.Errorf("%s.id %q: the tenant ID must be a GUID", p, t.ID)
		}
		t.ID = strings.ToLower(t.ID)
		if len(t.VerifiedDomains) == 0 {
			return fmt.Errorf("%s.verifiedDomains: at least one domain is required (e.g. contoso.onmicrosoft.com)", p)
		}
		if t.DisplayName == "" {
			t.DisplayName = strings.Split(t.VerifiedDomains[0], ".")[0]
		}
		for _, k := range append([]string{t.ID}, t.VerifiedDomains...) {
			k = strings.ToLower(k)
			if other, dup := seenTenant[k]; dup {
				return fmt.Errorf("%s: %q is already used by %s", p, k, other)
			}
			seenTenant[k] = p
		}
		groups := map[string]bool{}
		for gi, g := range t.Groups {
			if !isGUID(g.ID) {
				return fmt.Errorf("%s.groups[%d].id %q: must be a GUID", p, gi, g.ID)
			}
			groups[strings.ToLower(g.ID)] = true
			groups[strings.ToLower(g.DisplayName)] = true
		}
		upns := map[string]bool{}
		for ui, u := range t.Users {
			up := fmt.Sprintf("%s.users[%d]", p, ui)
			if !isGUID(u.ID) {
				return fmt.Errorf("%s.id %q: the object ID must be a GUID", up, u.ID)
			}
			if !strings.Contains(u.UserPrincipalName, "@") {
				return fmt.Errorf("%s.userPrincipalName %q: want name@domain", up, u.UserPrincipalName)
			}
			if upns[strings.ToLower(u.UserPrincipalName)] {
				return fmt.Errorf("%s.userPrincipalName %q: duplicate", up, u.UserPrincipalName)
			}
			upns[strings.ToLower(u.UserPrincipalName)] = true
			if u.DisplayName == "" {
				u.DisplayName = strings.TrimSpace(u.GivenName + " " + u.Surname)
			}
			for _, m := range u.MemberOf {
				if !groups[strings.ToLower(m)] {
					return fmt.Errorf("%s.memberOf: no group %q in %s.groups", up, m, p)
				}
			}
		}
		if err := checkGraphDirectory(p, t, groups); err != nil { // graph_directory.go
			return err
		}
		for ai, a := range t.EnterpriseApps {
			if err := a.normalize(fmt.Sprintf("%s.enterpriseApps[%d]", p, ai), t, groups, upns); err != nil {
				return err
			}
		}
		if err := normalizeAppRegistrations(p, t, groups, upns); err != nil {
			return err
		}
	}
	return nil
}

func (a *EnterpriseApp) normalize(p string, t *Tenant, groups, upns map[string]bool) error {
	if !isGUID(a.AppID) {
		return fmt.Errorf("%s.appId %q: the application ID must be a GUID", p, a.AppID)
	}
	a.AppID = strings.ToLower(a.AppID)
	if a.DisplayName == "" {
		return fmt.Errorf("%s.displayName: required (it appears in Entra's error messages)", p)
	}
	s := &a.SAML
	if s.MetadataFile != "" {
		if err := s.applyMetadataFile(p); err != nil {
			return err
		}
	}
	if err := a.normalizeTokenEncryption(p); err != nil {
		return err
	}
	if len(s.Identifiers) == 0 {
		return fmt.Errorf("%s.saml.identifiers: Basic SAML Configuration needs at least one Identifier (Entity ID)", p)
	}
	if len(s.ReplyURLs) == 0 {
		return fmt.Errorf("%s.saml.replyUrls: Basic SAML Configuration needs at least one Reply URL (Assertion Consumer Service URL)", p)
	}
	for i, r := range s.ReplyURLs {
		u, err := url.Parse(r.URL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("%s.saml.replyUrls[%d] %q: must be an absolute URL", p, i, r.URL)
		}
	}
	for _, as := range a.Assignments {
		l := strings.ToLower(as)
		if !groups[l] && !upns[l] && !userIDIn(t, l) {
			return fmt.Errorf("%s.assignments: %q is neither a user (UPN or object ID) nor a group of the tenant", p, as)
		}
	}
	switch s.Signing.Option {
	case "":
		s.Signing.Option = SignAssertion
	case SignAssertion, SignResponse, SignResponseAndAssertion:
	default:
		return fmt.Errorf("%s.saml.signing.option %q: want SignAssertion, SignResponse or SignResponseAndAssertion", p, s.Signing.Option)
	}
	switch s.Signing.Algorithm {
	case "":
		s.Signing.Algorithm = AlgorithmSHA256
	case AlgorithmSHA256, AlgorithmSHA1:
	default:
		return fmt.Errorf("%s.saml.signing.algorithm %q: want SHA-256 or SHA-1", p, s.Signing.Algorithm)
	}
	if w := s.WSFedTokenType; w != "" && w != WSFedTokenSAML2 && w != WSFedTokenSAML11 {
		return fmt.Errorf("%s.saml.wsFedTokenType %q: want SAML2 or SAML11", p, w)
	}
	switch s.NameID.Format {
	case "":
		s.NameID.Format = NameIDFormatDefault
	case NameIDFormatDefault, NameIDFormatPersistent, NameIDFormatEmail, NameIDFormatUnspecified, NameIDFormatWindows, NameIDFormatTransient:
	default:
		return fmt.Errorf("%s.saml.nameId.format %q: want Default, Persistent, EmailAddress, Unspecified or WindowsDomainQualifiedName", p, s.NameID.Format)
	}
	if s.NameID.Source == "" {
		s.NameID.Source = "user.userprincipalname"
	}
	if _, ok := userAttr(&User{}, s.NameID.Source); !ok {
		return fmt.Errorf("%s.saml.nameId.source %q: unknown attribute (want user.userprincipalname, user.mail, user.objectid, ...)", p, s.NameID.Source)
	}
	for i, c := range s.Claims {
		if c.Name == "" {
			return fmt.Errorf("%s.saml.claims[%d].name: required", p, i)
		}
		if c.Constant == "" {
			if _, ok := userAttr(&User{}, c.Source); !ok {
				return fmt.Errorf("%s.saml.claims[%d].source %q: unknown attribute", p, i, c.Source)
			}
		}
	}
	if g := s.GroupsClaim; g != nil {
		if g.Groups == "" {
			g.Groups = "SecurityGroup"
		}
		if g.SourceAttribute == "" {
			g.SourceAttribute = "objectId"
		}
		if g.Name == "" {
			g.Name = ClaimGroups
		}
	}
	if s.RequireVerificationCertificates && len(s.VerificationCertificates) == 0 {
		return fmt.Errorf("%s.saml.verificationCertificates: requireVerificationCertificates is on but no certificate is uploaded", p)
	}
	if a.Provisioning != nil {
		return a.Provisioning.normalize(p + ".provisioning") // provisioning.go
	}
	return nil
}

func userIDIn(t *Tenant, id string) bool {
	for _, u := range t.Users {
		if strings.EqualFold(u.ID, id) {
			return true
		}
	}
	return false
}

// userAttr reads a user attribute by its claims-mapping source name.
func userAttr(u *User, source string) (string, bool) {
	switch strings.ToLower(source) {
	case "user.userprincipalname":
		return u.UserPrincipalName, true
	case "user.mail":
		return u.Mail, true
	case "user.objectid":
		return u.ID, true
	case "user.displayname":
		return u.DisplayName, true
	case "user.givenname":
		return u.GivenName, true
	case "user.surname":
		return u.Surname, true
	case "user.onpremisessamaccountname", "user.mailnickname":
		name, _, _ := strings.Cut(u.UserPrincipalName, "@")
		return name, true
	}
	return "", false
}

func newDirectory(c *Config) *directory {
	d := &directory{tenants: c.Tenants, byKey: map[string]*Tenant{}, tenantOf: map[any]*Tenant{}}
	for _, t := range c.Tenants {
		d.byKey[t.ID] = t
		for _, dom := range t.VerifiedDomains {
			d.byKey[strings.ToLower(dom)] = t
		}
		for _, u := range t.Users {
			d.tenantOf[u] = t
		}
		for _, a := range t.EnterpriseApps {
			d.tenantOf[a] = t
		}
		for _, a := range t.AppRegistrations {
			d.tenantOf[a] = t
		}
	}
	return d
}

// tenant finds a tenant by GUID or verified domain.
func (d *directory) tenant(key string) *Tenant { return d.byKey[strings.ToLower(key)] }

// userByLogin finds a user of t by UPN, mail or (for convenience) object ID.
func (t *Tenant) userByLogin(login string) *User {
	login = strings.TrimSpace(login)
	for _, u := range t.Users {
		if u.Deleted() {
			continue // a deleted user does not sign in: its login is not found
		}
		if strings.EqualFold(u.UserPrincipalName, login) || strings.EqualFold(u.ID, login) {
			return u
		}
	}
	return nil
}

// userByID finds a user by object ID.
func (t *Tenant) userByID(id string) *User {
	for _, u := range t.Users {
		if u.ID == id && !u.Deleted() {
			return u
		}
	}
	return nil
}

// enterpriseAppByIdentifier finds the SAML app that has identifier as an Identifier (exact,
// as Entra compares it).
func (t *Tenant) enterpriseAppByIdentifier(identifier string) *EnterpriseApp {
	for _, a := range t.EnterpriseApps {
		for _, id := range a.SAML.Identifiers {
			if id.Value == identifier {
				return a
			}
		}
	}
	return nil
}

// EnterpriseApp finds an enterprise app by app ID or display name.
func (t *Tenant) EnterpriseApp(key string) *EnterpriseApp {
	for _, a := range t.EnterpriseApps {
		if strings.EqualFold(a.AppID, key) || strings.EqualFold(a.DisplayName, key) {
			return a
		}
	}
	return nil
}

// groupsOf returns the groups u is a member of.
func (t *Tenant) groupsOf(u *User) []*Group {
	var out []*Group
	for _, g := range t.Groups {
		for _, m := range u.MemberOf {
			if strings.EqualFold(m, g.ID) || strings.EqualFold(m, g.DisplayName) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// assigned reports whether u may use an app with the given assignment settings.
func (t *Tenant) assigned(u *User, required bool, assignments []string) bool {
	if !required {
		return true
	}
	groups := t.groupsOf(u)
	for _, a := range assignments {
		if strings.EqualFold(a, u.UserPrincipalName) || strings.EqualFold(a, u.ID) {
			return true
		}
		for _, g := range groups {
			if strings.EqualFold(a, g.ID) || strings.EqualFold(a, g.DisplayName) {
				return true
			}
		}
	}
	return false
}

// DefaultIdentifier is the Identifier marked Default, or the first.
func (s *SAMLSettings) DefaultIdentifier() string {
	for _, i := range s.Identifiers {
		if i.Default {
			return i.Value
		}
	}
	return s.Identifiers[0].Value
}

// DefaultReplyURL is the Reply URL marked Default, or the first.
func (s *SAMLSettings) DefaultReplyURL() string {
	for _, r := range s.ReplyURLs {
		if r.Default {
			return r.URL
		}
	}
	return s.ReplyURLs[0].URL
}

// replyURLByIndex finds a Reply URL by its index (AssertionConsumerServiceIndex).
func (s *SAMLSettings) replyURLByIndex(i int) (string, bool) {
	for _, r := range s.ReplyURLs {
		if r.Index != nil && *r.Index == i {
			return r.URL, true
		}
	}
	return "", false
}

// hasReplyURL reports whether u is registered, exactly (Entra compares the string; a trailing
// slash or a different case in the path is a mismatch).
func (s *SAMLSettings) hasReplyURL(u string) bool {
	for _, r := range s.ReplyURLs {
		if r.URL == u {
			return true
		}
	}
	return false
}

// checkEmptyEntries refuses list entries a config file left empty ("-" alone, or null): they
// decode to nil, which the rest of Normalize and the server would dereference (found by
// FuzzParseConfig: "tenants:\n-" crashed mockidp serve).
func (c *Config) checkEmptyEntries() error {
	empty := func(p string) error {
		return fmt.Errorf("%s: the entry is empty; give its fields or remove the \"-\" line", p)
	}
	for ti, t := range c.Tenants {
		p := fmt.Sprintf("tenants[%d]", ti)
		if t == nil {
			return empty(p)
		}
		for i, u := range t.Users {
			if u == nil {
				return empty(fmt.Sprintf("%s.users[%d]", p, i))
			}
		}
		for i, g := range t.Groups {
			if g == nil {
				return empty(fmt.Sprintf("%s.groups[%d]", p, i))
			}
		}
		for i, a := range t.EnterpriseApps {
			if a == nil {
				return empty(fmt.Sprintf("%s.enterpriseApps[%d]", p, i))
			}
			for j, cert := range a.SAML.Certificates {
				if cert == nil {
					return empty(fmt.Sprintf("%s.enterpriseApps[%d].saml.certificates[%d]", p, i, j))
				}
			}
		}
		for i, a := range t.AppRegistrations {
			if a == nil {
				return empty(fmt.Sprintf("%s.appRegistrations[%d]", p, i))
			}
			for j, pc := range a.PasswordCredentials {
				if pc == nil {
					return empty(fmt.Sprintf("%s.appRegistrations[%d].passwordCredentials[%d]", p, i, j))
				}
			}
		}
	}
	return nil
}
