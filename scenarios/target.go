package scenarios

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"sigs.k8s.io/yaml"
)

// Target describes the SP under test: what a conformance run needs to know about it, and the
// IdP side an admin would set up in Entra for it. It is read from YAML (or JSON); see
// fixtures/targets/ for examples and docs/targets.md for the manual.
type Target struct {
	// Name names the SP in reports.
	Name string `json:"name"`
	// SAML describes the SP's SAML side; nil when it has none.
	SAML *SAMLTarget `json:"saml,omitempty"`
	// OIDC describes the SP's OpenID Connect side; nil when it has none.
	OIDC *OIDCTarget `json:"oidc,omitempty"`
	// SCIM describes the SP's SCIM 2.0 endpoint that Entra's automatic provisioning calls;
	// nil when it has none. With it the scim.* checks run (no browser needed).
	SCIM *SCIMTarget `json:"scim,omitempty"`
	// Graph describes an app that imports users through Microsoft Graph (graph_target.go);
	// nil when it imports none. The graph.* checks run only with it.
	Graph *GraphTarget `json:"graph,omitempty"`
	// Success says how to recognise "signed in as X" in the browser (both protocols unless a
	// protocol section overrides it).
	Success Success `json:"success"`
	// User is the user the checks sign in as (UPN); default the tenant's first user.
	User string `json:"user,omitempty"`
	// Rollout are the users (UPNs) who will use SSO once it is switched on: config.assignment
	// signs each of them in and names those Entra refuses. Empty skips that check.
	Rollout []string `json:"rollout,omitempty"`
	// IdP is the mock IdP side of the run.
	IdP IdPSide `json:"idp"`
	// Expectations override the catalog's expectation for checks the SP legitimately handles
	// differently; each needs a reason, and the report shows the check as "waived".
	Expectations []Override `json:"expectations,omitempty"`
	// Hosts maps host names to loopback addresses in the browser (Chromium's
	// --host-resolver-rules), so that the IdP and the SP are different sites, e.g.
	// {"login.example.test": "127.0.0.1", "crm.example.test": "127.0.0.1"}.
	Hosts map[string]string `json:"hosts,omitempty"`

	// file is the file the target was read from ("" when built in Go).
	file string
}

// SAMLTarget is the SAML side of a target.
type SAMLTarget struct {
	// EntityID is the SP's entity ID (the Issuer of its AuthnRequests, the Identifier in
	// Entra). Default: read from MetadataURL or MetadataFile.
	EntityID string `json:"entityId,omitempty"`
	// ACSURLs are the SP's Assertion Consumer Service URLs (Reply URLs in Entra), the first
	// the default. Default: read from the metadata as Entra's "Upload metadata file" reads
	// it (idp.ParseSPMetadata: HTTP-POST ACSs only, the isDefault one first).
	ACSURLs []string `json:"acsUrls,omitempty"`
	// MetadataURL is where the SP publishes its metadata (fetched when the run starts).
	MetadataURL string `json:"metadataUrl,omitempty"`
	// MetadataFile is the SP's metadata as a file (relative to the target file).
	MetadataFile string `json:"metadataFile,omitempty"`
	// SLOURL is the SP's SingleLogoutService URL (Logout Url in Entra). Default: read from
	// the metadata.
	SLOURL string `json:"sloUrl,omitempty"`
	// IdPInitiated says the SP accepts IdP-initiated (unsolicited) responses, as sent by My
	// Apps and "Test this application".
	IdPInitiated bool `json:"idpInitiated,omitempty"`
	// SignIn are the ways the SP starts a sign-in, the first the default. A check that needs
	// a binding uses the first sign-in that has it, and is skipped when none has. An SP that
	// only takes IdP-initiated sign-in (IdPInitiated, no SignIn) is tested from the app's
	// User access URL, as My Apps and "Test this application" sign in.
	SignIn []SAMLSignIn `json:"signIn"`
	// Success overrides Target.Success for SAML.
	Success *Success `json:"success,omitempty"`
	// SignsRequests says the SP signs its AuthnRequests, as its metadata's
	// AuthnRequestsSigned="true" claims (read from MetadataURL or MetadataFile when not set
	// here). saml.request.signed holds the SP to it: every AuthnRequest must arrive signed.
	SignsRequests bool `json:"signsRequests,omitempty"`
	// FaultCertificates says the SP was given the mock IdP's fault certificates (the expired
	// and not-yet-valid ones the certificate checks sign with) before the run, e.g. through
	// metadata fetched after the IdP prepared them. Without it, the certificate checks run
	// only when the IdP's log shows the SP loading a metadata that lists them.
	FaultCertificates bool `json:"faultCertificates,omitempty"`
	// EncryptionCertificate is the SP's encryption certificate (Base64 DER or PEM). Default:
	// read from the metadata (a KeyDescriptor use="encryption", else one without use). It is
	// uploaded to the app as an Encrypt key credential, not activated: the app's Responses
	// stay in the clear, and only the token encryption checks (saml.encrypted*) encrypt to
	// it. Without one they are skipped.
	EncryptionCertificate string `json:"encryptionCertificate,omitempty"`
}

// SAMLSignIn is one way the SP starts a SAML sign-in.
type SAMLSignIn struct {
	// URL is the SP-initiated sign-in URL (what "Sign in with Microsoft" opens).
	URL string `json:"url"`
	// Binding is how the SP sends its AuthnRequest: "redirect" (HTTP-Redirect, default) or
	// "post" (HTTP-POST).
	Binding string `json:"binding,omitempty"`
	// LogoutURL, when set, signs the user out at the SP, which should start single logout.
	LogoutURL string `json:"logoutUrl,omitempty"`
}

// OIDCTarget is the OpenID Connect side of a target.
type OIDCTarget struct {
	// ClientID is the Application (client) ID the RP uses.
	ClientID string `json:"clientId,omitempty"`
	// ClientSecret is the client secret the RP uses ("" for a public client / SPA).
	ClientSecret string `json:"clientSecret,omitempty"`
	// SignIn are the ways the RP starts a sign-in, the first the default.
	SignIn []OIDCSignIn `json:"signIn"`
	// Success overrides Target.Success for OIDC.
	Success *Success `json:"success,omitempty"`
}

// OIDCSignIn is one way the RP starts an OpenID Connect sign-in, with what it asks for.
type OIDCSignIn struct {
	// URL starts the sign-in at the RP.
	URL string `json:"url"`
	// RedirectURI is the redirect_uri this sign-in sends.
	RedirectURI string `json:"redirectUri"`
	// ResponseMode is "query" (default) or "form_post".
	ResponseMode string `json:"responseMode,omitempty"`
	// ResponseType is "code" (default), "code id_token" (the hybrid flow; Entra needs ID
	// tokens enabled under implicit grant) or "code id_token token" (access tokens enabled
	// too). It chooses the sign-in for the hybrid checks, which skip when the RP does not
	// really ask for it.
	ResponseType string `json:"responseType,omitempty"`
	// PKCE says the RP sends a code_challenge (S256).
	PKCE bool `json:"pkce,omitempty"`
	// UserInfo is "" (the RP does not call userinfo), "GET" or "POST".
	UserInfo string `json:"userinfo,omitempty"`
	// Nonce says the RP sends and checks a nonce; default true (set false for an RP that
	// does not, and the nonce checks are skipped).
	Nonce *bool `json:"nonce,omitempty"`
	// Platform is the app registration platform of the redirect URI: "web" (default) or "spa".
	Platform string `json:"platform,omitempty"`
}

// Success says how to recognise an authenticated page for the user.
type Success struct {
	// URL is a regular expression the final URL must match (optional).
	URL string `json:"url,omitempty"`
	// Text is a regular expression the page's visible text must match. Default
	// "(?i)signed in as".
	Text string `json:"text,omitempty"`
	// Identity is a regular expression with one group capturing who is signed in, e.g.
	// "Signed in as (\\S+)". Default: the directory user whose UPN or mail appears on the
	// page.
	Identity string `json:"identity,omitempty"`
}

// IdPSide is the mock IdP the run starts: the Entra side of the setup.
type IdPSide struct {
	// Config is a mock IdP config file (relative to the target file): the directory and the
	// app exactly as the admin set them up in Entra. The run uses it as is, so the
	// misconfiguration checks compare it with what the SP sends. Empty: the default
	// directory, with the app's Identifier, Reply URLs and redirect URIs taken from this
	// target (as a careful admin would enter them).
	Config string `json:"config,omitempty"`
	// Listen is the address the IdP listens on; default 127.0.0.1:0 (a free port). Give a
	// fixed one (and PublicURL and KeyDir) when the SP must be configured before the run.
	Listen string `json:"listen,omitempty"`
	// PublicURL is the IdP's URL as the browser and the SP reach it, e.g.
	// https://login.example.test:7443. Default: http://<listen address>.
	PublicURL string `json:"publicUrl,omitempty"`
	// TLS serves HTTPS with the mock's own CA (written to <report dir>/idp-ca.pem).
	TLS bool `json:"tls,omitempty"`
	// KeyDir keeps the signing keys between runs (so the SP trusts the same certificate).
	KeyDir string `json:"keyDir,omitempty"`
	// Tenant selects the tenant (ID, domain or name); default the first.
	Tenant string `json:"tenant,omitempty"`
	// App selects the enterprise app (SAML) by app ID or name; default the first.
	App string `json:"app,omitempty"`
	// Registration selects the app registration (OIDC) by app ID or name; default the one
	// whose app ID is oidc.clientId, else the first.
	Registration string `json:"registration,omitempty"`
	// Replicas, above 1, runs the mock IdP as that many replicas with the same config and
	// keys and one shared store, behind LoadBalancer, which balances every request on its
	// own: a sign-in's requests land on different replicas, as behind a load balancer
	// without session affinity. Listen and PublicURL are then the load balancer's. Default 1.
	Replicas int `json:"replicas,omitempty"`
	// LoadBalancer is what balances the replicas: "haproxy" (the default and only one: the
	// Debian package, run as a private process with round-robin and no stickiness).
	LoadBalancer string `json:"loadBalancer,omitempty"`
}

// Override changes the expectation of the checks matching Check.
type Override struct {
	// Check is a check ID or a glob (saml.xsw.*).
	Check string `json:"check"`
	// Expect is the new expectation: accept, reject, warn or skip.
	Expect string `json:"expect"`
	// Reason says why; required, and shown in the reports.
	Reason string `json:"reason"`
}

// File is the file the target was read from ("" for one built in Go).
func (t *Target) File() string { return t.file }

// LoadTarget reads and validates a target file.
func LoadTarget(file string) (*Target, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	t, err := ParseTarget(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	t.file = file
	dir := filepath.Dir(file)
	for _, p := range []*string{&t.IdP.Config, &t.IdP.KeyDir} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if t.SAML != nil && t.SAML.MetadataFile != "" && !filepath.IsAbs(t.SAML.MetadataFile) {
		t.SAML.MetadataFile = filepath.Join(dir, t.SAML.MetadataFile)
	}
	return t, nil
}

// ParseTarget parses and validates a target document (YAML or JSON). Unknown fields are
// errors: a misspelt key must not silently change what is tested.
func ParseTarget(b []byte) (*Target, error) {
	var t Target
	if err := yaml.UnmarshalStrict(b, &t); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// FieldError is a validation error of a target: the field, what is wrong, and the fix.
type FieldError struct {
	Field, Problem, Fix string
}

func (e *FieldError) Error() string {
	s := e.Field + ": " + e.Problem
	if e.Fix != "" {
		s += "; fix: " + e.Fix
	}
	return s
}

// Validate checks the target and fills in defaults. The error lists every problem, each
// naming the field and the fix.
func (t *Target) Validate() error {
	var v targetProblems
	if strings.TrimSpace(t.Name) == "" {
		v.bad("name", "missing", "name the SP, e.g. name: Contoso CRM (staging)")
	}
	if t.SAML == nil && t.OIDC == nil && t.SCIM == nil {
		v.bad("saml/oidc/scim", "the target has no saml, oidc or scim section", "describe at least one protocol the SP signs in with, or its scim endpoint")
	}
	if t.SCIM != nil {
		v.checkURL("scim.baseUrl", t.SCIM.BaseURL, true)
		if strings.Contains(t.SCIM.BaseURL, "aadOptscim062020") {
			v.bad("scim.baseUrl", "carries Entra's aadOptscim062020 flag", "give the base URL without the query and set aadOptscim062020: true")
		}
		if t.SCIM.Token == "" {
			v.bad("scim.token", "missing", "give the Secret Token the SP expects as Authorization: Bearer (Entra's Admin Credentials)")
		}
	}
	v.checkSuccess("success", &t.Success)
	if t.SAML != nil {
		v.saml(t.SAML)
	}
	if t.OIDC != nil {
		v.oidc(t.OIDC, t.IdP.Config != "")
	}
	if t.Graph != nil {
		v.graph(t.Graph)
	}
	if t.IdP.PublicURL != "" {
		v.checkURL("idp.publicUrl", t.IdP.PublicURL, false)
		if u, err := url.Parse(t.IdP.PublicURL); err == nil && u.Scheme == "https" && !t.IdP.TLS {
			v.bad("idp.tls", "publicUrl is https but tls is off", "set tls: true (the mock serves HTTPS with its own CA) or use an http publicUrl")
		}
	}
	if t.IdP.Replicas < 0 || t.IdP.Replicas > MaxReplicas {
		v.bad("idp.replicas", fmt.Sprintf("%d replicas", t.IdP.Replicas), fmt.Sprintf("give 1 to %d", MaxReplicas))
	}
	if lb := t.IdP.LoadBalancer; lb != "" && lb != "haproxy" {
		v.bad("idp.loadBalancer", fmt.Sprintf("%q is not a load balancer the run can start", lb), "use haproxy (or leave it out)")
	}
	v.expectations(t.Expectations)
	for h, ip := range t.Hosts {
		if strings.ContainsAny(h, " ,") || strings.ContainsAny(ip, " ,") || h == "" || ip == "" {
			v.bad("hosts."+h, "bad host mapping", "map a host name to an address, e.g. login.example.test: 127.0.0.1")
		}
	}
	return errors.Join(v.errs...)
}

// targetProblems collects Validate's problems, in the order the target's fields are
// checked, so that the user sees every problem at once rather than one per run.
type targetProblems struct {
	errs []error
}

// bad records a problem of a field and its fix.
func (v *targetProblems) bad(field, problem, fix string) {
	v.errs = append(v.errs, &FieldError{field, problem, fix})
}

// checkURL checks that s is an absolute http(s) URL; "" is a problem only when required.
func (v *targetProblems) checkURL(field, s string, required bool) {
	if s == "" {
		if required {
			v.bad(field, "missing", "give the absolute URL, e.g. https://app.example.test/login")
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.bad(field, fmt.Sprintf("%q is not an absolute http(s) URL", s), "write it as https://host[:port]/path")
	}
}

// checkRe checks that s ("" allowed) is a regular expression with at least groups capturing
// groups.
func (v *targetProblems) checkRe(field, s string, groups int) {
	if s == "" {
		return
	}
	re, err := regexp.Compile(s)
	if err != nil {
		v.bad(field, fmt.Sprintf("invalid regular expression: %v", err), "use Go (RE2) syntax; escape backslashes in YAML double quotes")
		return
	}
	if groups > 0 && re.NumSubexp() < groups {
		v.bad(field, "has no capturing group", `capture the identity, e.g. "Signed in as (\\S+)"`)
	}
}

// checkSuccess checks a Success section: identity must capture the user.
func (v *targetProblems) checkSuccess(prefix string, s *Success) {
	v.checkRe(prefix+".url", s.URL, 0)
	v.checkRe(prefix+".text", s.Text, 0)
	v.checkRe(prefix+".identity", s.Identity, 1)
}

// saml checks the saml section and fills in each sign-in's binding.
func (v *targetProblems) saml(s *SAMLTarget) {
	if s.EntityID == "" && s.MetadataURL == "" && s.MetadataFile == "" {
		v.bad("saml.entityId", "missing (and no metadataUrl or metadataFile to read it from)", "give the SP's entity ID (the Identifier in Entra) or its metadata URL")
	}
	v.checkURL("saml.metadataUrl", s.MetadataURL, false)
	v.checkURL("saml.sloUrl", s.SLOURL, false)
	if len(s.ACSURLs) == 0 && s.MetadataURL == "" && s.MetadataFile == "" {
		v.bad("saml.acsUrls", "missing (and no metadataUrl or metadataFile to read them from)", "list the SP's Assertion Consumer Service URLs (Reply URLs in Entra)")
	}
	for i, a := range s.ACSURLs {
		v.checkURL(fmt.Sprintf("saml.acsUrls[%d]", i), a, true)
	}
	if len(s.SignIn) == 0 && !s.IdPInitiated {
		v.bad("saml.signIn", "no sign-in URL (and the SP does not take IdP-initiated sign-in)", "list at least one: signIn: [{url: https://sp.example.test/login}]; or, for an SP that is signed in to from My Apps only, set idpInitiated: true")
	}
	for i := range s.SignIn {
		si := &s.SignIn[i]
		f := fmt.Sprintf("saml.signIn[%d]", i)
		v.checkURL(f+".url", si.URL, true)
		v.checkURL(f+".logoutUrl", si.LogoutURL, false)
		switch strings.ToLower(si.Binding) {
		case "", "redirect", "http-redirect":
			si.Binding = "redirect"
		case "post", "http-post":
			si.Binding = "post"
		default:
			v.bad(f+".binding", fmt.Sprintf("%q is not a binding", si.Binding), "use redirect or post")
		}
	}
	if s.Success != nil {
		v.checkSuccess("saml.success", s.Success)
	}
}

// oidc checks the oidc section and fills in each sign-in's defaults. configured says the
// target gives a mock IdP config file (idp.config): the app is then the admin's, not one
// made from this target, so the client ID the RP uses must be given.
func (v *targetProblems) oidc(o *OIDCTarget, configured bool) {
	if len(o.SignIn) == 0 {
		v.bad("oidc.signIn", "no sign-in URL", "list at least one: signIn: [{url: …, redirectUri: …}]")
	}
	for i := range o.SignIn {
		v.oidcSignIn(fmt.Sprintf("oidc.signIn[%d]", i), &o.SignIn[i])
	}
	if o.ClientID == "" && configured {
		v.bad("oidc.clientId", "missing", "give the Application (client) ID the RP is configured with")
	}
	if o.Success != nil {
		v.checkSuccess("oidc.success", o.Success)
	}
}

// oidcSignIn checks one OIDC sign-in (field f) and fills in its defaults: response mode
// query, response type code, platform web.
func (v *targetProblems) oidcSignIn(f string, si *OIDCSignIn) {
	v.checkURL(f+".url", si.URL, true)
	v.checkURL(f+".redirectUri", si.RedirectURI, true)
	switch si.ResponseMode {
	case "":
		si.ResponseMode = "query"
	case "query", "form_post":
	default:
		v.bad(f+".responseMode", fmt.Sprintf("%q is not a response mode", si.ResponseMode), "use query or form_post (fragment is not used by the code flow of a server-side RP)")
	}
	switch strings.Join(strings.Fields(si.ResponseType), " ") {
	case "", "code":
		si.ResponseType = "code"
	case "code id_token", "code id_token token":
		si.ResponseType = strings.Join(strings.Fields(si.ResponseType), " ")
	default:
		v.bad(f+".responseType", fmt.Sprintf("%q is not a response type the harness drives", si.ResponseType), "use code, or code id_token (code id_token token) for the hybrid flow")
	}
	si.UserInfo = strings.ToUpper(si.UserInfo)
	if si.UserInfo != "" && si.UserInfo != "GET" && si.UserInfo != "POST" {
		v.bad(f+".userinfo", fmt.Sprintf("%q is not a method", si.UserInfo), `use GET, POST, or leave it out when the RP does not call userinfo`)
	}
	switch si.Platform {
	case "":
		si.Platform = "web"
	case "web", "spa":
	default:
		v.bad(f+".platform", fmt.Sprintf("%q is not a platform", si.Platform), "use web (confidential client) or spa")
	}
	if si.Platform == "spa" && !si.PKCE {
		v.bad(f+".pkce", "a spa sign-in without PKCE", "Entra requires PKCE on the SPA platform ("+idp.ErrSPANeedsPKCE.Name()+"): set pkce: true")
	}
}

// expectations checks the target's expectation overrides: each names checks that exist,
// an expectation, and the reason the report shows.
func (v *targetProblems) expectations(list []Override) {
	for i, o := range list {
		f := fmt.Sprintf("expectations[%d]", i)
		if o.Check == "" {
			v.bad(f+".check", "missing", "name a check ID or glob, e.g. saml.cert.expired")
		} else if _, err := path.Match(o.Check, ""); err != nil {
			v.bad(f+".check", fmt.Sprintf("bad glob %q", o.Check), "use * and ? only")
		} else if !slices.ContainsFunc(Catalog(), func(c Check) bool { return c.Matches(o.Check) }) {
			v.bad(f+".check", fmt.Sprintf("%q matches no check", o.Check), "run `conformance list` for the IDs")
		}
		switch o.Expect {
		case "accept", "reject", "warn", "skip":
		default:
			v.bad(f+".expect", fmt.Sprintf("%q is not an expectation", o.Expect), "use accept, reject, warn or skip")
		}
		if strings.TrimSpace(o.Reason) == "" {
			v.bad(f+".reason", "missing", "say why the SP may differ here; the report shows it")
		}
	}
}

// success is the Success in force for a protocol, with defaults.
func (t *Target) success(p string) Success {
	s := t.Success
	if p == "SAML" && t.SAML != nil && t.SAML.Success != nil {
		s = *t.SAML.Success
	}
	if p == "OIDC" && t.OIDC != nil && t.OIDC.Success != nil {
		s = *t.OIDC.Success
	}
	if s.Text == "" && s.URL == "" {
		s.Text = "(?i)signed in as"
	}
	return s
}

// Protocols lists the protocols the target has.
func (t *Target) Protocols() []string {
	var p []string
	if t.SAML != nil {
		p = append(p, "SAML")
	}
	if t.OIDC != nil {
		p = append(p, "OIDC")
	}
	if t.SCIM != nil {
		p = append(p, ProtocolSCIM)
	}
	if t.Graph != nil {
		p = append(p, ProtocolGraph)
	}
	return p
}

// override is the override in force for check c, if any (the last matching one).
func (t *Target) override(c Check) *Override {
	for i := len(t.Expectations) - 1; i >= 0; i-- {
		if c.Matches(t.Expectations[i].Check) {
			return &t.Expectations[i]
		}
	}
	return nil
}
