package scenarios

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/tlscert"
	"github.com/ssoharness/ssoharness/refsp/refoidc"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
	"github.com/ssoharness/ssoharness/refsp/refscim"
)

// Host names of the built-in run. The IdP and each SP have different registrable domains,
// so they are different sites in the browser (a .test name's site is its last two labels)
// and SameSite cookie rules apply as in production.
const (
	ReferenceIdPHost  = "login.example.test"
	ReferenceSAMLHost = "saml.sp-reference.test"
	ReferenceOIDCHost = "oidc.rp-reference.test"
)

// ReferenceOptions choose the built-in reference SPs of a run.
type ReferenceOptions struct {
	// SAMLWeakness and OIDCWeakness switch one check off in every reference SP of that
	// protocol (see refsp); zero is the strict SP.
	SAMLWeakness refsaml.Weakness
	OIDCWeakness refoidc.Weakness
	// SCIMWeakness switches one behaviour off in the reference SCIM server (refsp/refscim).
	SCIMWeakness refscim.Weakness
	// Protocols limits the run to "SAML", "OIDC" or "SCIM"; default all three.
	Protocols []string
	// SAML and OIDC, when set, adjust each SP's config before it starts (i is the sign-in
	// index: SAML 0 redirect + IdP-initiated + SLO, 1 POST; OIDC 0 query, 1 form_post +
	// userinfo GET, 2 userinfo POST, 3 hybrid (code id_token token, form_post), all four with
	// PKCE). Tests use them to build misconfigured SPs.
	SAML func(i int, c *refsaml.Config)
	OIDC func(i int, c *refoidc.Config)
	// IdP are extra options for the mock IdP (StartOptions.Options), e.g. the pooled key
	// generator of idptest for tests that start many reference environments: an IdP makes
	// a dozen RSA-2048 keys (its signing keys, the SAML faults' keys), half a second of CPU.
	IdP []idp.Option
	// TLS, when set, is the certificate the IdP and every reference SP serve (valid for their
	// host names; see ReferenceCertificate) instead of certificates each makes at start.
	// Tests that start many reference environments give them all one, made once per
	// process, so that one browser launched once (Options.Reuse) trusts every environment.
	TLS *tls.Certificate
}

// ReferenceCertificate makes a self-signed certificate for the reference host names (the
// IdP's, the SAML SPs', the OIDC RPs') and loopback, for ReferenceOptions.TLS.
func ReferenceCertificate() (tls.Certificate, error) {
	return tlscert.SelfSignedFor("ssoharness reference", ReferenceIdPHost, ReferenceSAMLHost, ReferenceOIDCHost)
}

// References are running reference SPs and the target that describes them.
type References struct {
	// Target describes the SPs (with the IdP side: https://login.example.test, the default
	// directory).
	Target *Target
	// SAML and OIDC are the SPs.
	SAML []*refsaml.SP
	OIDC []*refoidc.RP
	// SCIM is the reference SCIM server (strict unless SCIMWeakness), nil when not started.
	SCIM *http.Server

	pool *x509.CertPool
	// trust is ReferenceOptions.TLS's certificate, which the SPs serve (nil: each its own).
	trust *x509.Certificate
}

// StartReferences starts the reference SPs on loopback (HTTPS, under their own host names)
// and returns them with a target for Start. Call Bind with the started Env, and Close.
func StartReferences(o ReferenceOptions) (*References, error) {
	want := func(p string) bool {
		if len(o.Protocols) == 0 {
			return true
		}
		for _, x := range o.Protocols {
			if x == p {
				return true
			}
		}
		return false
	}
	refs := &References{pool: x509.NewCertPool()}
	// serverTLS is what each SP serves with: its own self-signed certificate, or o.TLS.
	serverTLS := func() *tls.Config {
		if o.TLS != nil {
			return &tls.Config{Certificates: []tls.Certificate{*o.TLS}}
		}
		return &tls.Config{}
	}
	// The SPs reach the IdP by its name (on loopback) and trust its CA once Bind adds it.
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
		TLSClientConfig: &tls.Config{RootCAs: refs.pool, MinVersion: tls.VersionTLS12},
	}}
	cfg := idp.DefaultConfig()
	tn := cfg.Tenants[0]
	reg := tn.AppRegistrations[0]
	secret := reg.PasswordCredentials[0].SecretText
	t := &Target{
		Name:    "built-in reference SPs",
		Success: Success{Text: "Signed in as ", Identity: `Signed in as (\S+)`},
		IdP:     IdPSide{PublicURL: "https://" + ReferenceIdPHost, TLS: true},
		// Both are in the default directory's "SSO Users" group, which is assigned to the app.
		Rollout: []string{"B.Simon@contoso.com", "AlexW@contoso.com"},
		Hosts:   map[string]string{ReferenceIdPHost: "127.0.0.1", ReferenceSAMLHost: "127.0.0.1", ReferenceOIDCHost: "127.0.0.1"},
	}
	if o.SAMLWeakness != "" {
		t.Name += " (SAML: " + string(o.SAMLWeakness) + ")"
	}
	if o.OIDCWeakness != "" {
		t.Name += " (OIDC: " + string(o.OIDCWeakness) + ")"
	}
	if want("SAML") {
		entityID := "https://" + ReferenceSAMLHost + "/saml/metadata"
		st := &SAMLTarget{EntityID: entityID, IdPInitiated: true}
		// Both SPs decrypt with one key, as one SP's deployments would.
		enc, err := referenceEncryptionKey()
		encKey, encCert := enc.key, enc.cert
		if err != nil {
			refs.Close()
			return nil, err
		}
		for i, binding := range []string{refsaml.BindingRedirect, refsaml.BindingPOST} {
			port, err := freePort()
			if err != nil {
				refs.Close()
				return nil, err
			}
			c := refsaml.Config{Name: "refsaml " + binding, Addr: "127.0.0.1:" + port, PublicURL: "https://" + ReferenceSAMLHost + ":" + port,
				EntityID: entityID, Binding: binding, AllowIDPInitiated: i == 0, Weakness: o.SAMLWeakness, HTTPClient: client, TLSConfig: serverTLS(),
				DecryptionKey: encKey, DecryptionCertificate: encCert}
			if o.SAML != nil {
				o.SAML(i, &c)
			}
			sp, err := refsaml.New(c)
			if err != nil {
				refs.Close()
				return nil, err
			}
			refs.SAML = append(refs.SAML, sp)
			// What the SP's metadata claims, read as a target's metadataUrl is read.
			if b, err := sp.MetadataXML(); err == nil {
				if md, err := idp.ParseSPMetadata(b); err == nil {
					st.SignsRequests = st.SignsRequests || md.AuthnRequestsSigned
					// Its encryption certificate, uploaded to the app (not activated).
					st.EncryptionCertificate = cmp.Or(st.EncryptionCertificate, md.EncryptionCertificate)
				}
			}
			si := SAMLSignIn{URL: sp.LoginURL(), Binding: binding}
			if i == 0 {
				si.LogoutURL = sp.LogoutURL()
				st.SLOURL = sp.SLOURL()
			}
			st.SignIn = append(st.SignIn, si)
			st.ACSURLs = append(st.ACSURLs, sp.ACSURL())
		}
		t.SAML = st
	}
	if want("OIDC") {
		ot := &OIDCTarget{ClientID: reg.AppID, ClientSecret: secret}
		variants := []OIDCSignIn{{ResponseMode: "query", PKCE: true}, {ResponseMode: "form_post", PKCE: true, UserInfo: "GET"}, {ResponseMode: "query", PKCE: true, UserInfo: "POST"},
			// The hybrid flow with an access token: the sign-in of the c_hash / at_hash checks.
			{ResponseMode: "form_post", PKCE: true, ResponseType: refoidc.TypeHybridToken}}
		for i, v := range variants {
			port, err := freePort()
			if err != nil {
				refs.Close()
				return nil, err
			}
			c := refoidc.Config{Name: "refoidc " + v.ResponseMode, Addr: "127.0.0.1:" + port, PublicURL: "https://" + ReferenceOIDCHost + ":" + port,
				TenantID: tn.ID, ClientID: reg.AppID, ClientSecret: secret, ResponseMode: v.ResponseMode, ResponseType: v.ResponseType, PKCE: v.PKCE, UserInfo: v.UserInfo,
				Weakness: o.OIDCWeakness, HTTPClient: client, TLSConfig: serverTLS()}
			if o.OIDC != nil {
				o.OIDC(i, &c)
			}
			rp, err := refoidc.New(c)
			if err != nil {
				refs.Close()
				return nil, err
			}
			refs.OIDC = append(refs.OIDC, rp)
			v.URL, v.RedirectURI, v.Platform = rp.LoginURL(), rp.RedirectURL(), "web"
			ot.SignIn = append(ot.SignIn, v)
		}
		t.OIDC = ot
	}
	if want(ProtocolSCIM) {
		if err := refs.startSCIM(t, o.SCIMWeakness); err != nil {
			refs.Close()
			return nil, err
		}
	}
	if err := t.Validate(); err != nil {
		refs.Close()
		return nil, fmt.Errorf("reference target: %w", err)
	}
	refs.Target = t
	if o.TLS != nil {
		refs.trust = o.TLS.Leaf
	}
	return refs, nil
}

// Bind points the SPs at the started IdP and makes the browser trust their certificates.
func (r *References) Bind(env *Env) {
	for _, c := range env.Trust {
		r.pool.AddCert(c)
	}
	trust := func(c *x509.Certificate) {
		if c != nil && !slices.ContainsFunc(env.Trust, c.Equal) {
			env.Trust = append(env.Trust, c)
		}
	}
	for _, sp := range r.SAML {
		sp.SetIdPMetadataURL(env.Server.MetadataURL(env.Tenant, env.App))
		trust(sp.Certificate())
	}
	for _, rp := range r.OIDC {
		rp.SetIssuer(env.Server.URL + "/" + env.Tenant.ID + "/v2.0")
		trust(rp.Certificate())
	}
	trust(r.trust)
}

// Close stops the SPs.
func (r *References) Close() {
	for _, sp := range r.SAML {
		sp.Close()
	}
	for _, rp := range r.OIDC {
		rp.Close()
	}
	if r.SCIM != nil {
		_ = r.SCIM.Close()
	}
}

// referenceSCIMToken is the reference SCIM server's Secret Token.
const referenceSCIMToken = "refscim-secret-token-0123456789"

// startSCIM serves the reference SCIM server on loopback (plain HTTP: the checks call it
// from the harness, not the browser) under /scim/v2, and adds it to the target.
func (r *References) startSCIM(t *Target, weak refscim.Weakness) error {
	srv, err := refscim.New(referenceSCIMToken, weak)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	r.SCIM = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.SCIM.Serve(l) }()
	t.SCIM = &SCIMTarget{BaseURL: "http://" + l.Addr().String() + "/scim/v2", Token: referenceSCIMToken}
	if weak != "" {
		t.Name += " (SCIM: " + string(weak) + ")"
	}
	return nil
}

// StartReferenceEnv starts the reference SPs and the IdP for them: the embedded default of
// `conformance run`. Close the Env to stop everything.
func StartReferenceEnv(ctx context.Context, o ReferenceOptions, adjust func(*Target)) (*Env, *References, error) {
	refs, err := StartReferences(o)
	if err != nil {
		return nil, nil, err
	}
	if adjust != nil {
		adjust(refs.Target)
	}
	opts := o.IdP
	if o.TLS != nil {
		opts = append(slices.Clip(opts), idp.WithTLSCertificate(*o.TLS))
	}
	env, err := Start(ctx, refs.Target, StartOptions{Options: opts})
	if err != nil {
		refs.Close()
		return nil, nil, err
	}
	env.OnClose(refs.Close)
	refs.Bind(env)
	return env, refs, nil
}

// freePort is a free loopback TCP port (the SP's public URL needs it before it listens).
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// referenceEncryptionKey is the reference SAML SPs' encryption key pair (for the token
// encryption checks), made once per process: a run has one set of reference SPs, and tests
// that start many need not pay an RSA-2048 key generation for each.
var referenceEncryptionKey = sync.OnceValues(func() (encryptionKeyPair, error) {
	key, cert, err := newEncryptionKey()
	return encryptionKeyPair{key, cert}, err
})

// encryptionKeyPair is a key and its certificate.
type encryptionKeyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

// newEncryptionKey makes an encryption key pair.
func newEncryptionKey() (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "refsaml encryption"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return key, cert, err
}
