package scenarios

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/refsp/refoidc"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
)

// StartTargetReferences starts strict reference SPs shaped like a target, for an
// environment already started from it (`conformance run --target FILE --reference-sp`):
// each sign-in of the target is served by a reference SP (refsaml, refoidc) on loopback at
// that URL's port, under its host name (the target's hosts map it to loopback), with the
// target's entity ID, ACS path, client ID, secret, redirect path, response mode, PKCE,
// userinfo method and platform; a scim section's base URL is served the same way by the
// strict reference SCIM server (refscim), which accepts the target's token. The run then
// shows what a correct SP configured with exactly these values gets from the Entra side —
// the way to try a vendor guide's values (and the IdP config an admin made from it) before
// the real SP is ready.
//
// The URLs must use the reference SPs' paths: SAML sign-in /login, sign-out /logout, SLO
// /saml/slo; OIDC sign-in /login. A multi-tenant app registration makes the reference RPs
// multi-tenant (the /organizations authority, every tenant of the IdP config onboarded); a
// spa sign-in redeems its code as a single-page app does. Every SP uses HTTPS when its URL
// does (a self-signed certificate the browser is told to trust); the SCIM server and the
// Graph importer serve plain HTTP only. The SPs stop with env.
func StartTargetReferences(ctx context.Context, env *Env) (*References, error) {
	t := env.Target
	b := &targetRefs{env: env, refs: &References{Target: t}, client: referenceClient(env), seen: map[string]string{}}
	if t.SAML != nil {
		if err := b.startSAML(t.SAML); err != nil {
			b.refs.Close()
			return nil, err
		}
	}
	if t.OIDC != nil {
		if err := b.startOIDC(t.OIDC); err != nil {
			b.refs.Close()
			return nil, err
		}
	}
	if t.Graph != nil {
		if err := b.startGraph(t.Graph); err != nil {
			b.refs.Close()
			return nil, err
		}
	}
	if t.SCIM != nil {
		if err := b.startSCIM(t.SCIM); err != nil {
			b.refs.Close()
			return nil, err
		}
	}
	refs := b.refs
	for _, sp := range refs.SAML {
		sp.SetIdPMetadataURL(env.Server.MetadataURL(env.Tenant, env.App))
		if c := sp.Certificate(); c != nil {
			env.Trust = append(env.Trust, c)
		}
	}
	authority := env.Tenant.ID
	if t.OIDC != nil && env.Registration.SignInAudience == idp.AudienceMultipleOrgs {
		authority = "organizations"
	}
	for _, rp := range refs.OIDC {
		rp.SetIssuer(env.Server.URL + "/" + authority + "/v2.0")
		if c := rp.Certificate(); c != nil {
			env.Trust = append(env.Trust, c)
		}
	}
	env.OnClose(refs.Close)
	return refs, nil
}

// targetRefs is StartTargetReferences at work: the SPs started so far (closed by the
// caller when a later one cannot start) and the addresses they took, since two sign-ins on
// one host and port cannot each have a reference SP.
type targetRefs struct {
	env    *Env
	refs   *References
	client *http.Client
	seen   map[string]string // address → the field that took it
}

// refProblem is a target field the reference SPs cannot be started from, with how to fix it.
func refProblem(field, problem, fix string) error {
	return &FieldError{field, problem, "with --reference-sp " + fix}
}

// listen is where the reference SP for a sign-in URL raw listens: the URL's port on the
// address its host maps to (loopback for an IP address), with the public scheme://host:port
// and the parsed URL.
func (b *targetRefs) listen(raw string) (addr, public string, u *url.URL, err error) {
	if u, err = url.Parse(raw); err != nil {
		return "", "", nil, err
	}
	port := u.Port()
	if port == "" {
		return "", "", nil, fmt.Errorf("%s has no port: the reference SP listens on the URL's port, so give one above 1024 (e.g. https://%s:8443)", raw, u.Hostname())
	}
	ip := "127.0.0.1"
	if v, ok := b.env.Hosts[u.Hostname()]; ok {
		ip = v
	} else if net.ParseIP(u.Hostname()) == nil {
		return "", "", nil, fmt.Errorf("%s: host %s is not in hosts, so the browser would not find the reference SP", raw, u.Hostname())
	}
	return net.JoinHostPort(ip, port), u.Scheme + "://" + u.Host, u, nil
}

// claim reserves addr for field, refusing an address another sign-in took.
func (b *targetRefs) claim(addr, field string) error {
	if f, ok := b.seen[addr]; ok {
		return fmt.Errorf("%s and %s use the same host and port: each sign-in needs its own port for its own reference SP", f, field)
	}
	b.seen[addr] = field
	return nil
}

// tlsFor is the reference SP's TLS configuration for its URL: HTTPS when the URL is https.
func tlsFor(u *url.URL) *tls.Config {
	if u.Scheme == "https" {
		return &tls.Config{}
	}
	return nil
}

// startSAML starts a reference SP for each SAML sign-in of the target (for an
// IdP-initiated-only target, one at the first ACS URL), checking that the target's URLs
// are the reference SP's paths on its host and port.
func (b *targetRefs) startSAML(s *SAMLTarget) error {
	t := b.env.Target
	type spec struct {
		field, start, logout, binding string
	}
	var specs []spec
	for i, si := range s.SignIn {
		specs = append(specs, spec{fmt.Sprintf("saml.signIn[%d].url", i), si.URL, si.LogoutURL, si.Binding})
	}
	if len(specs) == 0 && len(s.ACSURLs) > 0 { // IdP-initiated only: the SP at the ACS
		specs = append(specs, spec{field: "saml.acsUrls[0]", start: s.ACSURLs[0]})
	}
	for _, sp := range specs {
		addr, public, u, err := b.listen(sp.start)
		if err != nil {
			return refProblem(sp.field, err.Error(), "give each sign-in URL a host in hosts and a port")
		}
		if err := b.claim(addr, sp.field); err != nil {
			return refProblem(sp.field, err.Error(), "give each sign-in its own port")
		}
		if sp.field != "saml.acsUrls[0]" && u.Path != "/login" {
			return refProblem(sp.field, fmt.Sprintf("path %s is not the reference SP's sign-in path /login", u.Path), "use "+public+"/login")
		}
		if sp.logout != "" && !strings.HasSuffix(sp.logout, public+"/logout") {
			return refProblem(sp.field, fmt.Sprintf("logoutUrl %s is not the reference SP's %s/logout", sp.logout, public), "use "+public+"/logout")
		}
		acs := ""
		for _, a := range s.ACSURLs {
			if strings.HasPrefix(a, public+"/") {
				acs = a
				break
			}
		}
		if acs == "" {
			return refProblem("saml.acsUrls", "no ACS URL on "+public, "list an ACS URL on each sign-in's host and port, e.g. "+public+"/saml/acs")
		}
		au, _ := url.Parse(acs)
		c := refsaml.Config{Name: t.Name + " (reference SP)", Addr: addr, PublicURL: public, EntityID: s.EntityID,
			Binding: sp.binding, AllowIDPInitiated: s.IdPInitiated, ACSPath: au.Path, HTTPClient: b.client, TLSConfig: tlsFor(u)}
		if c.Binding == "" {
			c.Binding = refsaml.BindingRedirect
		}
		r, err := refsaml.New(c)
		if err != nil {
			return refProblem(sp.field, err.Error(), "free the port")
		}
		b.refs.SAML = append(b.refs.SAML, r)
		if s.SLOURL != "" && strings.HasPrefix(s.SLOURL, public+"/") && s.SLOURL != r.SLOURL() {
			return refProblem("saml.sloUrl", fmt.Sprintf("%s is not the reference SP's %s", s.SLOURL, r.SLOURL()), "use "+r.SLOURL())
		}
	}
	return nil
}

// startOIDC starts a reference RP for each OIDC sign-in of the target, checking that its
// URLs are the reference RP's paths on its host and port. A multi-tenant app registration
// makes the RPs accept every tenant of the IdP config.
func (b *targetRefs) startOIDC(o *OIDCTarget) error {
	env, t := b.env, b.env.Target
	reg := env.Registration
	secret := o.ClientSecret
	var tenants []string
	if reg.SignInAudience == idp.AudienceMultipleOrgs {
		for _, tn := range env.Server.Config().Tenants {
			tenants = append(tenants, tn.ID)
		}
	}
	for i, si := range o.SignIn {
		field := fmt.Sprintf("oidc.signIn[%d]", i)
		addr, public, u, err := b.listen(si.URL)
		if err != nil {
			return refProblem(field+".url", err.Error(), "give each sign-in URL a host in hosts and a port")
		}
		if err := b.claim(addr, field+".url"); err != nil {
			return refProblem(field+".url", err.Error(), "give each sign-in its own port")
		}
		if u.Path != "/login" {
			return refProblem(field+".url", fmt.Sprintf("path %s is not the reference RP's sign-in path /login", u.Path), "use "+public+"/login")
		}
		if !strings.HasPrefix(si.RedirectURI, public+"/") {
			return refProblem(field+".redirectUri", fmt.Sprintf("%s is not on %s", si.RedirectURI, public), "put the redirect URI on the sign-in's host and port")
		}
		ru, _ := url.Parse(si.RedirectURI)
		c := refoidc.Config{Name: t.Name + " (reference RP)", Addr: addr, PublicURL: public, TenantID: env.Tenant.ID,
			ClientID: o.ClientID, ClientSecret: secret, RedirectPath: ru.Path, ResponseMode: si.ResponseMode, ResponseType: si.ResponseType, PKCE: si.PKCE,
			UserInfo: si.UserInfo, SPA: si.Platform == "spa", AllowedTenants: tenants, HTTPClient: b.client, TLSConfig: tlsFor(u)}
		rp, err := refoidc.New(c)
		if err != nil {
			return refProblem(field+".url", err.Error(), "free the port")
		}
		b.refs.OIDC = append(b.refs.OIDC, rp)
	}
	return nil
}

// referenceClient is the reference SPs' client to the IdP: the browser's host mappings and
// the IdP's CA.
func referenceClient(env *Env) *http.Client {
	c := hostsClient(env.Hosts)
	tr := c.Transport.(*http.Transport)
	if len(env.Trust) > 0 {
		pool, _ := x509SystemPool()
		for _, cert := range env.Trust {
			pool.AddCert(cert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	c.Timeout = 15 * time.Second
	return c
}

func x509SystemPool() (*x509.CertPool, error) {
	p, err := x509.SystemCertPool()
	if err != nil || p == nil {
		return x509.NewCertPool(), nil
	}
	return p, nil
}
