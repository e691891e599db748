package scenarios

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/ssoharness/ssoharness/fixtures/lb/haproxy"
	"github.com/ssoharness/ssoharness/idp"
)

// Env is a started run environment: the target, the embedded mock IdP configured from it,
// and what the browser needs to reach both.
type Env struct {
	// Target is the SP under test.
	Target *Target
	// Server is the embedded mock IdP; with replicas (Target.IdP.Replicas > 1), replica 0,
	// whose URL is the load balancer's. Read the sign-in log with Env.Events, which merges
	// every replica's.
	Server *idp.Server
	// Replicas are the mock IdP's replicas behind the load balancer (nil with one IdP).
	Replicas []*idp.Server
	// Tenant is the tenant of the apps.
	Tenant *idp.Tenant
	// App is the SAML enterprise app (nil without a saml section).
	App *idp.EnterpriseApp
	// Registration is the OIDC app registration (nil without an oidc section).
	Registration *idp.AppRegistration
	// User is the user the checks sign in as.
	User *idp.User
	// Hosts are the browser's host mappings (the target's, plus the IdP's host).
	Hosts map[string]string
	// Trust are certificates the browser trusts for this run (the IdP's CA).
	Trust []*x509.Certificate
	// ConfiguredFromTarget is true when the app was filled in from the target (no IdP config
	// file): the Entra side then matches what the target says the SP sends.
	ConfiguredFromTarget bool

	idpHost string
	closers []func()
	lb      *haproxy.Proxy // the load balancer in front of Replicas (replicas.go)
	caPEM   []byte         // its CA, over TLS
}

// Close stops the IdP (and anything else the environment started).
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// OnClose adds a function Close calls (e.g. to stop the built-in reference SPs).
func (e *Env) OnClose(f func()) { e.closers = append(e.closers, f) }

// StartOptions tune Start.
type StartOptions struct {
	// HTTPClient fetches the SP's metadata; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// Options are extra options for the mock IdP (a clock, a key generator, ...).
	Options []idp.Option
}

// Start starts the mock IdP for a target: the IdP config file as is, or the default
// directory with the app filled in from the target.
func Start(ctx context.Context, t *Target, o StartOptions) (*Env, error) {
	if o.HTTPClient == nil {
		o.HTTPClient = hostsClient(t.Hosts)
	}
	e := &Env{Target: t, Hosts: map[string]string{}}
	for h, ip := range t.Hosts {
		e.Hosts[h] = ip
	}
	cfg, tn, err := e.resolve(ctx, t, o.HTTPClient)
	if err != nil {
		return nil, err
	}
	srv, err := e.startServer(t, cfg, o.Options)
	if err != nil {
		return nil, err
	}
	e.Server = srv
	u, _ := url.Parse(srv.URL)
	e.idpHost = u.Host
	if net.ParseIP(u.Hostname()) == nil {
		if _, ok := e.Hosts[u.Hostname()]; !ok {
			host, _, _ := net.SplitHostPort(srv.Listener.Addr().String())
			e.Hosts[u.Hostname()] = host
		}
	}
	// The server serves its own (normalized) copy of cfg: use its objects.
	e.Tenant = srv.Tenant(tn.ID)
	e.App = counterpart(tn.EnterpriseApps, e.Tenant.EnterpriseApps, e.App)
	e.Registration = counterpart(tn.AppRegistrations, e.Tenant.AppRegistrations, e.Registration)
	e.User = counterpart(tn.Users, e.Tenant.Users, e.User)
	if err := e.checkSites(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// resolve finds in the IdP config (the target's file, else the default directory) the
// tenant, the apps and the users the target names, before the server starts, so that a
// target that does not fit its config fails with the field to fix. With the default
// directory the apps are filled in from the target (and the SP's metadata, fetched with
// client). It sets e.App, e.Registration, e.User and e.ConfiguredFromTarget, and returns
// the config and the tenant.
func (e *Env) resolve(ctx context.Context, t *Target, client *http.Client) (*idp.Config, *idp.Tenant, error) {
	var cfg *idp.Config
	var err error
	if t.IdP.Config != "" {
		if cfg, err = idp.LoadConfig(t.IdP.Config); err != nil {
			return nil, nil, &FieldError{"idp.config", err.Error(), "give a mock IdP config file (see `mockidp serve --help` and fixtures/)"}
		}
	} else {
		cfg = idp.DefaultConfig()
		e.ConfiguredFromTarget = true
	}
	if t.IdP.KeyDir != "" {
		cfg.KeyDir = t.IdP.KeyDir
	}
	tn := findTenant(cfg, t.IdP.Tenant)
	if tn == nil {
		return nil, nil, &FieldError{"idp.tenant", fmt.Sprintf("no tenant %q in the IdP config", t.IdP.Tenant), "use a tenant ID, domain or display name of the config"}
	}
	if t.SAML != nil {
		replyURLs, err := resolveSPMetadata(ctx, t.SAML, client)
		if err != nil {
			return nil, nil, err
		}
		if e.App = findApp(tn, t.IdP.App); e.App == nil {
			return nil, nil, &FieldError{"idp.app", fmt.Sprintf("no enterprise app %q in tenant %s", t.IdP.App, tn.DisplayName), "name an enterprise app of the config (app ID or display name)"}
		}
		if e.ConfiguredFromTarget {
			fillApp(e.App, t.SAML, replyURLs)
		}
	}
	if t.OIDC != nil {
		if e.Registration = findRegistration(tn, t.IdP.Registration, t.OIDC.ClientID); e.Registration == nil {
			return nil, nil, &FieldError{"idp.registration", fmt.Sprintf("no app registration %q (client ID %q) in tenant %s", t.IdP.Registration, t.OIDC.ClientID, tn.DisplayName),
				"add the app registration to the IdP config, or name it with idp.registration"}
		}
		if e.ConfiguredFromTarget {
			fillRegistration(e.Registration, t.OIDC)
		}
	}
	e.User = findUser(tn, t.User)
	if e.User == nil {
		return nil, nil, &FieldError{"user", fmt.Sprintf("no user %q in tenant %s", t.User, tn.DisplayName), "use the UPN of a user of the IdP config"}
	}
	if err := e.checkRollout(cfg, tn, t.Rollout); err != nil {
		return nil, nil, err
	}
	return cfg, tn, nil
}

// checkRollout checks that every user of the rollout can sign in to the app: a user of
// the tenant, or of another tenant of the config when the app registration is
// multi-tenant.
func (e *Env) checkRollout(cfg *idp.Config, tn *idp.Tenant, rollout []string) error {
	multi := e.Registration != nil && e.Registration.SignInAudience == idp.AudienceMultipleOrgs
	for _, u := range rollout {
		if findUser(tn, u) != nil {
			continue
		}
		if other := findUserAnywhere(cfg, u); other != nil && multi {
			continue // a customer tenant's user of a multi-tenant app
		} else if other != nil {
			return &FieldError{"rollout", fmt.Sprintf("%s is a user of another tenant, and the app is single-tenant", u),
				"list users of tenant " + tn.DisplayName + ", or make the app registration multi-tenant (signInAudience: AzureADMultipleOrgs) in the IdP config"}
		}
		return &FieldError{"rollout", fmt.Sprintf("%s is not a user of tenant %s", u, tn.DisplayName), "list UPNs of users in the IdP config (they sign in with their configured password)"}
	}
	return nil
}

// startServer starts the mock IdP on the target's listen address (a free loopback port by
// default) at its public URL, over TLS when the target says so (its CA then joins
// e.Trust). A public URL without a port on a free port gets that port, since that is where
// the browser finds the IdP. The server stops with e.
func (e *Env) startServer(t *Target, cfg *idp.Config, extra []idp.Option) (*idp.Server, error) {
	if t.IdP.Replicas > 1 {
		return e.startReplicas(t, cfg, extra)
	}
	listen := t.IdP.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	opts := append([]idp.Option{idp.WithConfig(cfg), idp.WithAddr(listen)}, extra...)
	srv, err := idp.NewUnstartedServer(opts...)
	if err != nil {
		return nil, fmt.Errorf("idp: %w", err)
	}
	e.closers = append(e.closers, srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if t.IdP.PublicURL != "" {
		pu := strings.TrimRight(t.IdP.PublicURL, "/")
		if u, _ := url.Parse(pu); u != nil && u.Port() == "" && strings.HasSuffix(listen, ":0") {
			// A public URL without a port and a free port: the browser uses that port.
			pu = u.Scheme + "://" + u.Hostname() + ":" + port
		}
		srv.URL = pu
	} else {
		scheme := "http"
		if t.IdP.TLS {
			scheme = "https"
		}
		srv.URL = scheme + "://" + srv.Listener.Addr().String()
	}
	if !t.IdP.TLS {
		srv.Start()
		return srv, nil
	}
	if err := srv.StartTLS(); err != nil {
		e.Close()
		return nil, err
	}
	if b, _ := pem.Decode(srv.CAPEM()); b != nil {
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			e.Trust = append(e.Trust, c)
		}
	}
	return srv, nil
}

// hostsClient is an HTTP client that resolves the target's host names as the browser does
// (hosts), so that saml.metadataUrl can name the SP as the browser reaches it.
func hostsClient(hosts map[string]string) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, port, err := net.SplitHostPort(addr); err == nil {
			if ip, ok := hosts[strings.ToLower(h)]; ok {
				addr = net.JoinHostPort(ip, port)
			}
		}
		return (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: tr}
}

// checkSites refuses a setup where the IdP and an SP are the same site in the browser:
// SameSite cookies would then behave as they never do in production.
func (e *Env) checkSites() error {
	idpSite := site(e.Server.URL)
	var urls []string
	if s := e.Target.SAML; s != nil {
		for _, si := range s.SignIn {
			urls = append(urls, si.URL)
		}
		urls = append(urls, s.ACSURLs...)
	}
	if o := e.Target.OIDC; o != nil {
		for _, si := range o.SignIn {
			urls = append(urls, si.URL)
		}
	}
	for _, u := range urls {
		if site(u) == idpSite {
			return &FieldError{"idp.publicUrl", fmt.Sprintf("the IdP (%s) and the SP (%s) are the same site (%s), so SameSite cookies would not behave as in production", e.Server.URL, u, idpSite),
				"give the IdP its own host name, e.g. idp.publicUrl: http://login.example.test (mapped to loopback in the browser automatically)"}
		}
	}
	return nil
}

// site is the schemeful site of a URL: scheme and registrable domain (eTLD+1 by the public
// suffix list; a .test or other unlisted name's site is its last two labels; an IP address
// is its own site).
func site(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	h := strings.ToLower(u.Hostname())
	if net.ParseIP(h) == nil {
		if d, err := publicsuffix.EffectiveTLDPlusOne(h); err == nil {
			h = d
		}
	}
	scheme := u.Scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + h
}

func findTenant(cfg *idp.Config, key string) *idp.Tenant {
	if len(cfg.Tenants) == 0 {
		return nil
	}
	if key == "" {
		return cfg.Tenants[0]
	}
	for _, tn := range cfg.Tenants {
		if strings.EqualFold(tn.ID, key) || strings.EqualFold(tn.DisplayName, key) {
			return tn
		}
		for _, d := range tn.VerifiedDomains {
			if strings.EqualFold(d, key) {
				return tn
			}
		}
	}
	return nil
}

// counterpart is the element of theirs at x's index in ours (nil when x is nil or not there).
func counterpart[T any](ours, theirs []*T, x *T) *T {
	for i, o := range ours {
		if o == x && x != nil && i < len(theirs) {
			return theirs[i]
		}
	}
	return nil
}

func findApp(tn *idp.Tenant, key string) *idp.EnterpriseApp {
	if key == "" {
		if len(tn.EnterpriseApps) == 0 {
			tn.EnterpriseApps = append(tn.EnterpriseApps, &idp.EnterpriseApp{DisplayName: "SSO test app"})
		}
		return tn.EnterpriseApps[0]
	}
	for _, a := range tn.EnterpriseApps {
		if strings.EqualFold(a.AppID, key) || strings.EqualFold(a.DisplayName, key) {
			return a
		}
	}
	return nil
}

func findRegistration(tn *idp.Tenant, key, clientID string) *idp.AppRegistration {
	for _, r := range tn.AppRegistrations {
		if key != "" && (strings.EqualFold(r.AppID, key) || strings.EqualFold(r.DisplayName, key)) {
			return r
		}
		if key == "" && clientID != "" && strings.EqualFold(r.AppID, clientID) {
			return r
		}
	}
	if key == "" && len(tn.AppRegistrations) > 0 {
		return tn.AppRegistrations[0]
	}
	return nil
}

// findUserAnywhere finds a user by UPN or mail in any tenant of the config.
func findUserAnywhere(cfg *idp.Config, upn string) *idp.User {
	for _, tn := range cfg.Tenants {
		if u := findUser(tn, upn); u != nil && upn != "" {
			return u
		}
	}
	return nil
}

// rolloutUser is a rollout user: of the run's tenant, else (a multi-tenant app's customer)
// of another tenant of the directory.
func (e *Env) rolloutUser(upn string) *idp.User {
	if u := findUser(e.Tenant, upn); u != nil {
		return u
	}
	return findUserAnywhere(e.Server.Config(), upn)
}

func findUser(tn *idp.Tenant, upn string) *idp.User {
	for _, u := range tn.Users {
		if upn == "" && u.Enabled() {
			return u
		}
		if strings.EqualFold(u.UserPrincipalName, upn) || (u.Mail != "" && strings.EqualFold(u.Mail, upn)) {
			return u
		}
	}
	return nil
}

// fillApp sets the app's Basic SAML Configuration from the target, as an admin would: the
// Reply URLs an upload of the SP's metadata gives (replyURLs), else the target's ACS URLs,
// the first the default.
func fillApp(app *idp.EnterpriseApp, s *SAMLTarget, replyURLs []idp.ReplyURL) {
	app.SAML.Identifiers = []idp.Identifier{{Value: s.EntityID, Default: true}}
	app.SAML.ReplyURLs = slices.Clone(replyURLs)
	if replyURLs == nil {
		for i, a := range s.ACSURLs {
			app.SAML.ReplyURLs = append(app.SAML.ReplyURLs, idp.ReplyURL{URL: a, Default: i == 0})
		}
	}
	app.SAML.SignOnURL = ""
	if len(s.SignIn) > 0 {
		app.SAML.SignOnURL = s.SignIn[0].URL
	}
	if s.SLOURL != "" {
		app.SAML.LogoutURL = s.SLOURL
	}
	if s.EncryptionCertificate != "" {
		// Uploaded on the Token encryption blade, not activated (see SAMLTarget).
		app.KeyCredentials = append(app.KeyCredentials, &idp.KeyCredential{Usage: idp.KeyUsageEncrypt, Key: s.EncryptionCertificate})
	}
}

// fillRegistration sets the registration's client ID, secret, redirect URIs and the implicit
// grant settings a hybrid sign-in needs from the target.
func fillRegistration(r *idp.AppRegistration, o *OIDCTarget) {
	if o.ClientID != "" {
		r.AppID = o.ClientID
	} else {
		o.ClientID = r.AppID
	}
	if o.ClientSecret != "" {
		r.PasswordCredentials = []*idp.PasswordCredential{{DisplayName: "conformance", SecretText: o.ClientSecret}}
	}
	r.Web.RedirectURIs, r.SPA.RedirectURIs = nil, nil
	for _, si := range o.SignIn {
		if si.Platform == "spa" {
			r.SPA.RedirectURIs = append(r.SPA.RedirectURIs, si.RedirectURI)
		} else {
			r.Web.RedirectURIs = append(r.Web.RedirectURIs, si.RedirectURI)
		}
		// A hybrid sign-in needs the "Implicit grant and hybrid flows" boxes its response
		// type names, as the RP's setup guide would have the admin tick them.
		if strings.Contains(si.ResponseType, "id_token") {
			r.Web.ImplicitGrantSettings.EnableIDTokenIssuance = true
		}
		if strings.HasSuffix(si.ResponseType, " token") {
			r.Web.ImplicitGrantSettings.EnableAccessTokenIssuance = true
		}
	}
}

// resolveSPMetadata reads the SP's metadata (URL or file) as Entra's "Upload metadata file"
// does (idp.ParseSPMetadata) and fills in the entity ID, ACS URLs (the default first) and
// SLO URL the target does not give. When it fills the ACS URLs it returns the Reply URLs the
// upload gives, with their index and default, for an app configured from the target.
func resolveSPMetadata(ctx context.Context, s *SAMLTarget, client *http.Client) ([]idp.ReplyURL, error) {
	var b []byte
	field := "saml.metadataUrl"
	switch {
	case s.MetadataFile != "":
		field = "saml.metadataFile"
		var err error
		if b, err = os.ReadFile(s.MetadataFile); err != nil {
			return nil, &FieldError{field, err.Error(), "give the path of the SP's metadata XML (relative to the target file)"}
		}
	case s.MetadataURL != "":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.MetadataURL, nil)
		if err != nil {
			return nil, &FieldError{field, err.Error(), ""}
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, &FieldError{field, fmt.Sprintf("fetch: %v", err), "start the SP first, or give saml.entityId and saml.acsUrls instead"}
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, &FieldError{field, fmt.Sprintf("fetch: %s", resp.Status), "check the URL in a browser; or give saml.entityId and saml.acsUrls"}
		}
		if b, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err != nil {
			return nil, &FieldError{field, err.Error(), ""}
		}
	default:
		return nil, nil
	}
	md, err := idp.ParseSPMetadata(b)
	if err != nil {
		return nil, &FieldError{field, err.Error(), "point it at the SP's metadata XML"}
	}
	if s.EntityID == "" {
		s.EntityID = md.EntityID
	}
	s.SignsRequests = s.SignsRequests || md.AuthnRequestsSigned
	if s.EncryptionCertificate == "" {
		s.EncryptionCertificate = md.EncryptionCertificate
	}
	if s.SLOURL == "" {
		s.SLOURL = md.LogoutURL
	}
	if len(s.ACSURLs) > 0 {
		return nil, nil
	}
	if len(md.ReplyURLs) == 0 {
		return nil, errors.New("saml: the SP's metadata has no HTTP-POST AssertionConsumerService (the only binding Entra's metadata upload imports as a Reply URL)")
	}
	def := slices.IndexFunc(md.ReplyURLs, func(r idp.ReplyURL) bool { return r.Default })
	if def < 0 {
		def = 0
	}
	s.ACSURLs = []string{md.ReplyURLs[def].URL}
	for i, r := range md.ReplyURLs {
		if i != def {
			s.ACSURLs = append(s.ACSURLs, r.URL)
		}
	}
	return md.ReplyURLs, nil
}
