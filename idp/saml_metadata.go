package idp

import (
	"bytes"
	"crypto/x509"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// utf8BOM starts Entra's federation metadata documents; SPs must cope with it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// claimTypesOffered is the fed:ClaimTypesOffered list of Entra's app metadata, in its order.
var claimTypesOffered = [][3]string{
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "Name", "The mutable display name of the user."},
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier", "Subject", "An immutable, globally unique, non-reusable identifier of the user that is unique to the application for which a token is issued."},
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "Given Name", "First name of the user."},
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "Surname", "Last name of the user."},
	{"http://schemas.microsoft.com/identity/claims/displayname", "Display Name", "Display name of the user."},
	{"http://schemas.microsoft.com/identity/claims/nickname", "Nick Name", "Nick name of the user."},
	{"http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant", "Authentication Instant", "The time (UTC) when the user is authenticated to Windows Azure Active Directory."},
	{"http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", "Authentication Method", "The method that Windows Azure Active Directory uses to authenticate users."},
	{"http://schemas.microsoft.com/identity/claims/objectidentifier", "ObjectIdentifier", "Primary identifier for the user in the directory. Immutable, globally unique, non-reusable."},
	{"http://schemas.microsoft.com/identity/claims/tenantid", "TenantId", "Identifier for the user's tenant."},
	{"http://schemas.microsoft.com/identity/claims/identityprovider", "IdentityProvider", "Identity provider for the user."},
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "Email", "Email address of the user."},
	{"http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", "Groups", "Groups of the user."},
	{"http://schemas.microsoft.com/identity/claims/accesstoken", "External Access Token", "Access token issued by external identity provider."},
	{"http://schemas.microsoft.com/ws/2008/06/identity/claims/expiration", "External Access Token Expiration", "UTC expiration time of access token issued by external identity provider."},
	{"http://schemas.microsoft.com/identity/claims/openid2_id", "External OpenID 2.0 Identifier", "OpenID 2.0 identifier issued by external identity provider."},
	{"http://schemas.microsoft.com/claims/groups.link", "GroupsOverageClaim", "Issued when number of user's group claims exceeds return limit."},
	{"http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "Role Claim", "Roles that the user or Service Principal is attached to"},
	{"http://schemas.microsoft.com/ws/2008/06/identity/claims/wids", "RoleTemplate Id Claim", "Role template id of the Built-in Directory Roles that the user is a member of"},
}

const (
	nsFed  = "http://docs.oasis-open.org/wsfed/federation/200706"
	nsXSI  = "http://www.w3.org/2001/XMLSchema-instance"
	nsAuth = "http://docs.oasis-open.org/wsfed/authorization/200706"
	nsWSA  = "http://www.w3.org/2005/08/addressing"
	nsDSig = "http://www.w3.org/2000/09/xmldsig#"
)

// LoginURL is the app's "Login URL" (also its "Logout URL"): {base}/{tenantId}/saml2.
func (s *Server) LoginURL(t *Tenant) string { return s.base() + "/" + t.ID + "/saml2" }

// EntityID is the "Microsoft Entra Identifier": https://sts.windows.net/{tenantId}/.
func EntityID(t *Tenant) string { return "https://sts.windows.net/" + t.ID + "/" }

// MetadataURL is the "App Federation Metadata Url".
func (s *Server) MetadataURL(t *Tenant, app *EnterpriseApp) string {
	return s.base() + "/" + t.ID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + app.AppID
}

// CertificateURL is where the app's "Certificate (Base64)" downloads from.
func (s *Server) CertificateURL(app *EnterpriseApp) string {
	return s.base() + "/_mockidp/apps/" + app.AppID + "/certificate"
}

// Metadata renders an app's signed federation metadata document, with the UTF-8 BOM and XML
// declaration Entra sends, listing every published (active and rollover) certificate.
//
// The signed document is kept and served again while what it is made of stays the same: the
// tenant, the server's URL and the app's certificates (which ones, published or not, which
// one signs). Nothing in it depends on the time, so the clock does not expire it; a
// certificate fault that publishes a certificate, or a new URL, makes a new document (with a
// new ID).
func (s *Server) Metadata(t *Tenant, app *EnterpriseApp) ([]byte, error) {
	b, err := s.metadata(t, app)
	return bytes.Clone(b), err
}

// metadata is Metadata without the copy: the handler only writes it out.
func (s *Server) metadata(t *Tenant, app *EnterpriseApp) ([]byte, error) {
	keys := s.publishedKeys(app)
	state := metadataState{tenant: t.ID, base: s.base(), keys: make([]keyState, len(keys))}
	for i, k := range keys {
		state.keys[i] = keyState{k: k, cert: k.Cert, active: k.Active, published: k.Published}
	}
	c := &s.metadataDocs
	c.mu.Lock()
	defer c.mu.Unlock() // held while building, so that concurrent first fetches draw one ID
	if d := c.docs[app]; d != nil && d.state.equal(state) {
		return d.doc, nil
	}
	doc, err := s.buildMetadata(t, app, keys)
	if err != nil {
		return nil, err
	}
	if c.docs == nil {
		c.docs = map[*EnterpriseApp]*metadataDoc{}
	}
	c.docs[app] = &metadataDoc{state: state, doc: doc}
	return doc, nil
}

// metadataCache holds each app's signed metadata document with what it was made from.
type metadataCache struct {
	mu   sync.Mutex
	docs map[*EnterpriseApp]*metadataDoc
	// scoped are the documents without an app: per tenant ID, and "common" /
	// "organizations" (saml_metadata_tenant.go).
	scoped map[string]*metadataDoc
}

type metadataDoc struct {
	state metadataState
	doc   []byte
}

// metadataState is everything a metadata document is made of besides constants.
type metadataState struct {
	tenant, base string
	keys         []keyState
}

// keyState is one certificate as the document shows it.
type keyState struct {
	k                 *SigningKey
	cert              *x509.Certificate
	active, published bool
}

func (a metadataState) equal(b metadataState) bool {
	return a.tenant == b.tenant && a.base == b.base && slices.Equal(a.keys, b.keys)
}

// buildMetadata makes and signs the app's document: the tenant's endpoints and entity ID,
// the app's certificates, signed with the app's active one.
func (s *Server) buildMetadata(t *Tenant, app *EnterpriseApp, keys []*SigningKey) ([]byte, error) {
	return s.buildFedMetadata(t.ID, EntityID(t), keys, s.activeKey(app))
}

// buildFedMetadata makes and signs a federation metadata document whose endpoints are under
// {base}/{seg} (a tenant ID, or "common" / "organizations"), naming entityID, listing the
// published keys in every role and signed by signer. The app, tenant and common documents
// differ only in these (compare samples federationmetadata-app-2024.xml,
// -tenant-2021-certs-replaced.xml and -common-2026.xml: the same element paths).
func (s *Server) buildFedMetadata(seg, entityID string, keys []*SigningKey, signer *SigningKey) ([]byte, error) {
	wsfed := s.base() + "/" + seg + "/wsfed"
	saml2 := s.base() + "/" + seg + "/saml2"

	ed := etree.NewElement("EntityDescriptor")
	ed.CreateAttr("ID", "_"+s.rand.guid())
	ed.CreateAttr("entityID", entityID)
	ed.CreateAttr("xmlns", nsMetadata)
	keyDescriptors := func(parent *etree.Element) {
		for _, k := range keys {
			if !k.Published {
				continue
			}
			kd := parent.CreateElement("KeyDescriptor")
			kd.CreateAttr("use", "signing")
			ki := kd.CreateElement("KeyInfo")
			ki.CreateAttr("xmlns", nsDSig)
			ki.CreateElement("X509Data").CreateElement("X509Certificate").SetText(k.Base64())
		}
	}
	endpoint := func(parent *etree.Element, tag, addr string) {
		epr := parent.CreateElement(tag).CreateElement("wsa:EndpointReference")
		epr.CreateAttr("xmlns:wsa", nsWSA)
		epr.CreateElement("wsa:Address").SetText(addr)
	}
	role := func(typ string) *etree.Element {
		rd := ed.CreateElement("RoleDescriptor")
		rd.CreateAttr("xsi:type", typ)
		rd.CreateAttr("protocolSupportEnumeration", nsFed)
		rd.CreateAttr("xmlns:xsi", nsXSI)
		rd.CreateAttr("xmlns:fed", nsFed)
		keyDescriptors(rd)
		return rd
	}
	sts := role("fed:SecurityTokenServiceType")
	cto := sts.CreateElement("fed:ClaimTypesOffered")
	for _, c := range claimTypesOffered {
		ct := cto.CreateElement("auth:ClaimType")
		ct.CreateAttr("Uri", c[0])
		ct.CreateAttr("xmlns:auth", nsAuth)
		ct.CreateElement("auth:DisplayName").SetText(c[1])
		ct.CreateElement("auth:Description").SetText(c[2])
	}
	endpoint(sts, "fed:SecurityTokenServiceEndpoint", wsfed)
	endpoint(sts, "fed:PassiveRequestorEndpoint", wsfed)
	as := role("fed:ApplicationServiceType")
	endpoint(as, "fed:TargetScopes", entityID)
	endpoint(as, "fed:ApplicationServiceEndpoint", wsfed)
	endpoint(as, "fed:PassiveRequestorEndpoint", wsfed)
	idp := ed.CreateElement("IDPSSODescriptor")
	idp.CreateAttr("protocolSupportEnumeration", nsProtocol)
	keyDescriptors(idp)
	for _, b := range [][2]string{{"SingleLogoutService", BindingRedirect}, {"SingleSignOnService", BindingRedirect}, {"SingleSignOnService", BindingPOST}} {
		e := idp.CreateElement(b[0])
		e.CreateAttr("Binding", b[1])
		e.CreateAttr("Location", saml2)
	}

	if signer == nil {
		return nil, errors.New("federation metadata: no active signing key")
	}
	ctx, err := s.signingContext(signer, AlgorithmSHA256)
	if err != nil {
		return nil, err
	}
	// Sign a copy: goxmldsig canonicalizes in place, and exc-c14n would move xmlns:fed off
	// RoleDescriptor, leaving its xsi:type="fed:..." QName with an unbound prefix.
	sig, err := ctx.ConstructSignature(ed.Copy(), true)
	if err != nil {
		return nil, err
	}
	ed.InsertChildAt(0, sig)
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
	doc.SetRoot(ed)
	var buf bytes.Buffer
	buf.Write(utf8BOM)
	writeXMLTo(&buf, doc) // escaped as signed, like the Responses (see writeXML)
	return buf.Bytes(), nil
}

// appFromQuery finds the app named by ?appid= in tenant t.
func appFromQuery(t *Tenant, r *http.Request) *EnterpriseApp {
	id := appIDParam(r)
	for _, a := range t.EnterpriseApps {
		if strings.EqualFold(a.AppID, id) {
			return a
		}
	}
	return nil
}

// handleMetadata serves /{tenant}/federationmetadata/2007-06/federationmetadata.xml: with
// ?appid= the app's document, without it the tenant's, and under common / organizations the
// tenant-independent one.
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Protocol: "SAML", Kind: EventMetadata, Request: map[string]string{"appid": truncate(appIDParam(r), 128)}}
	if seg := r.PathValue("tenant"); isMultiTenantSegment(seg) {
		s.serveCommonMetadata(w, r, seg, ev)
		return
	}
	t := s.tenantFromPath(w, r, ev)
	if t == nil {
		return
	}
	ev.TenantID = t.ID
	if appIDParam(r) == "" {
		// No appid: the tenant's own document, as Entra serves it (signed with the tenant key).
		s.serveScopedMetadata(w, r, t.ID, EntityID(t), []*Tenant{t}, ev)
		return
	}
	app := appFromQuery(t, r)
	if app == nil {
		s.renderErrorPage(w, r, errAppNotFound(r.URL.Query().Get("appid"), t.ID), ev)
		return
	}
	b, err := s.metadata(t, app)
	if err != nil {
		s.renderErrorPage(w, r, asError(err), ev)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(b)
	// Which certificates this SP was shown: the premise of the certificate faults.
	var thumbs []string
	for _, k := range s.publishedKeys(app) {
		if k.Published || k.Active {
			thumbs = append(thumbs, k.Thumbprint())
		}
	}
	ev.AppID, ev.AppName, ev.Status = app.AppID, app.DisplayName, StatusSuccess
	ev.Response = map[string]string{"certificates": strings.Join(thumbs, " ")}
	s.record(ev)
}

// handleCertificate serves the active certificate as the portal's "Certificate (Base64)"
// download (?format=pem gives the same PEM, ?format=raw the DER "Certificate (Raw)").
func (s *Server) handleCertificate(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Protocol: "SAML", Kind: EventCertificate}
	var key *SigningKey
	var name string
	for app, keys := range s.appKeys {
		if strings.EqualFold(app.AppID, r.PathValue("appId")) {
			for _, k := range keys {
				if k.Active {
					key, name = k, app.DisplayName
				}
			}
		}
	}
	if key == nil {
		s.renderErrorPage(w, r, errAppNotFound(r.PathValue("appId"), "any tenant"), ev)
		return
	}
	// The display name comes from config; FormatMediaType quotes it safely.
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".cer"}))
	if r.URL.Query().Get("format") == "raw" {
		w.Header().Set("Content-Type", "application/pkix-cert")
		_, _ = w.Write(key.Cert.Raw)
		return
	}
	w.Header().Set("Content-Type", "application/x-x509-ca-cert")
	_, _ = w.Write(key.CER())
}
