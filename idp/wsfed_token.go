package idp

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// The WS-Federation wresult: a WS-Trust 2005/02 RequestSecurityTokenResponse (RSTR) with the
// signed assertion in RequestedSecurityToken, shaped as Entra's (samples/wsfed-rstr-aad-2017.xml):
// Lifetime = the assertion's Conditions window, AppliesTo = its Audience, attached and
// unattached references by assertion ID, TokenType, RequestType Issue, KeyType NoProofKey. The
// RSTR itself is not signed; the assertion is, always (there is no Response to sign instead).
//
// The assertion is the SAML-P one (directResponseFor writes its values: IDs, NameID, claims,
// instants — one implementation), less what only answers an AuthnRequest: SubjectConfirmationData
// (Recipient, InResponseTo) and AuthnStatement/@SessionIndex, which Entra's WS-Fed assertions
// lack. A SAML 1.1 token is that assertion rewritten in SAML 1.1 terms (saml11Assertion).

// Namespaces of the RSTR.
const (
	nsTrust2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust"
	nsWSU       = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsWSP       = "http://schemas.xmlsoap.org/ws/2004/09/policy"
	nsWSSE      = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSSE11    = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
	nsSAML11    = "urn:oasis:names:tc:SAML:1.0:assertion"
)

// wsfedTokenShape is what the RSTR says about each token type: t:TokenType, the
// SecurityTokenReference's TokenType and its KeyIdentifier's ValueType (WS-Security SAML
// Token Profile 1.1 §3.3 / §3.4).
var wsfedTokenShape = map[string]struct{ rstr, ref, valueType string }{
	WSFedTokenSAML2: {"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
		"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
		"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID"},
	WSFedTokenSAML11: {nsSAML11,
		"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1",
		"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID"},
}

// wsfedFaults are the SAML faults that apply to a WS-Fed token: those that change only the
// assertion (its signature, signing key and certificate, times, audience, issuer) or the
// IdP's clock. The others change the samlp:Response (Destination, InResponseTo, Status,
// Response signing), the SAML-P exchange (replay, SLO, IdP-initiated) or need the Response
// around the assertion (wrapping), and have no WS-Fed meaning as written. Fault.WSFed
// marks these in the catalog.
var wsfedFaults = []FaultID{
	"saml.sign.sha1", "saml.clock.skew-ok", "saml.cert.rollover",
	"saml.sig.none", "saml.sig.untrusted-key", "saml.sig.cloned-cert", "saml.cert.expired", "saml.cert.not-yet-valid",
	"saml.time.expired", "saml.time.not-yet-valid", "saml.audience.wrong", "saml.audience.missing", "saml.issuer.wrong",
}

// appliesToWSFed reports whether fault id applies to a WS-Fed token (Fault.WSFed).
func appliesToWSFed(id FaultID) bool { return slices.Contains(wsfedFaults, id) }

// errWSFedNoKey is a build failure for an app without a signing certificate.
var errWSFedNoKey = errors.New("the app has no SAML signing certificate")

// wsfedMinted is a built wresult and what the sign-in log keeps of it.
type wsfedMinted struct {
	rstr                              []byte
	assertionID, nameID, nameIDFormat string
	fault                             *MintedFault
}

// wsfedToken builds the wresult for a sign-in, with the fault armed for it (one that
// applies to WS-Fed tokens; see wsfedFaults) if any.
func (s *Server) wsfedToken(r *http.Request, a *wsfedAuthn, sess *idpSession, u *User) (*wsfedMinted, error) {
	in := samlResponseInput{Tenant: a.tenant, App: a.app, User: u, Destination: a.reply,
		Audience: audienceFor(a.realm), AuthnInstant: sess.AuthnInstant}
	out := &wsfedMinted{}
	var m *samlMint
	if use := s.takeFaultWhere(r, ProtocolSAML, a.tenant, a.app.faultKeys(), u, func(f *Fault) bool { return f.WSFed }); use != nil {
		m = &samlMint{s: s, t: a.tenant, app: a.app, user: u}
		if err := use.fault.saml(m, use.step); err != nil {
			return nil, fmt.Errorf("fault %s: %w", use.fault.ID, err)
		}
		if len(m.after) > 0 || len(m.raw) > 0 || m.deliver != deliverPOST {
			return nil, fmt.Errorf("fault %s does not apply to a WS-Federation token", use.fault.ID)
		}
		m.now = s.clock.Now().Add(m.offset)
		in.IssueInstant, in.AuthnInstant = m.now, in.AuthnInstant.Add(m.offset)
		out.fault = use.record(m.changed)
		if m.key != nil && m.key.Published {
			out.fault.Certificate = m.key.Thumbprint()
		}
	}
	d := s.directResponseFor(in)
	out.assertionID, out.nameID, out.nameIDFormat = d.out.AssertionID, d.out.NameID, d.out.NameIDFormat
	w := xw{b: make([]byte, 0, 4096)}
	d.assertion(&w, nil)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(w.b); err != nil {
		return nil, fmt.Errorf("parse the written Assertion: %w", err)
	}
	a2 := doc.Root()
	if sc := a2.FindElement("./Subject/SubjectConfirmation"); sc != nil {
		for _, c := range sc.ChildElements() {
			sc.RemoveChild(c)
		}
	}
	if as := a2.FindElement("./AuthnStatement"); as != nil {
		as.RemoveAttr("SessionIndex")
	}
	key, alg, sign := s.activeKey(a.app), a.app.SAML.Signing.Algorithm, true
	if m != nil {
		resp := etree.NewElement("samlp:Response") // the edits' Response: WS-Fed has none
		for _, edit := range m.edits {
			edit(resp, a2)
		}
		if m.key != nil {
			key = m.key
		}
		if m.algorithm != "" {
			alg = m.algorithm
		}
		sign = m.option != signNone
	}
	if key == nil {
		return nil, fmt.Errorf("app %q: %w", a.app.DisplayName, errWSFedNoKey)
	}
	var notBefore, notOnOrAfter string
	if c := a2.FindElement("./Conditions"); c != nil {
		notBefore, notOnOrAfter = c.SelectAttrValue("NotBefore", ""), c.SelectAttrValue("NotOnOrAfter", "")
	}
	token := a2
	if a.tokenType == WSFedTokenSAML11 {
		token = saml11Assertion(a2)
	}
	if sign {
		var err error
		if a.tokenType == WSFedTokenSAML11 {
			err = s.signAppended(token, key, alg, "AssertionID")
		} else {
			err = s.signAfterIssuer(token, key, alg)
		}
		if err != nil {
			return nil, err
		}
	}
	out.rstr = writeXML(wsfedRSTR(token, a.tokenType, in.Audience, out.assertionID, notBefore, notOnOrAfter))
	return out, nil
}

// signAppended signs el (enveloped, Reference URI="#" + its idAttr) and appends the
// Signature as its last child, where the SAML 1.1 schema puts it.
func (s *Server) signAppended(el *etree.Element, key *SigningKey, algorithm, idAttr string) error {
	ctx, err := s.signingContext(key, algorithm)
	if err != nil {
		return err
	}
	ctx.IdAttribute = idAttr
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return fmt.Errorf("sign %s: %w", el.Tag, err)
	}
	el.AddChild(sig)
	return nil
}

// wsfedRSTR wraps token in Entra's RequestSecurityTokenResponse.
func wsfedRSTR(token *etree.Element, tokenType, audience, id, created, expires string) *etree.Document {
	shape := wsfedTokenShape[tokenType]
	doc := etree.NewDocument()
	r := doc.CreateElement("t:RequestSecurityTokenResponse")
	r.CreateAttr("xmlns:t", nsTrust2005)
	lt := r.CreateElement("t:Lifetime")
	for _, x := range []struct{ tag, v string }{{"wsu:Created", created}, {"wsu:Expires", expires}} {
		e := lt.CreateElement(x.tag)
		e.CreateAttr("xmlns:wsu", nsWSU)
		e.SetText(x.v)
	}
	ap := r.CreateElement("wsp:AppliesTo")
	ap.CreateAttr("xmlns:wsp", nsWSP)
	epr := ap.CreateElement("wsa:EndpointReference")
	epr.CreateAttr("xmlns:wsa", nsWSA)
	epr.CreateElement("wsa:Address").SetText(audience)
	r.CreateElement("t:RequestedSecurityToken").AddChild(token)
	for _, tag := range []string{"t:RequestedAttachedReference", "t:RequestedUnattachedReference"} {
		str := r.CreateElement(tag).CreateElement("SecurityTokenReference")
		str.CreateAttr("d3p1:TokenType", shape.ref)
		str.CreateAttr("xmlns:d3p1", nsWSSE11)
		str.CreateAttr("xmlns", nsWSSE)
		ki := str.CreateElement("KeyIdentifier")
		ki.CreateAttr("ValueType", shape.valueType)
		ki.SetText(id)
	}
	r.CreateElement("t:TokenType").SetText(shape.rstr)
	r.CreateElement("t:RequestType").SetText(nsTrust2005 + "/Issue")
	r.CreateElement("t:KeyType").SetText("http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey")
	return doc
}

// saml11Assertion rewrites a SAML 2.0 assertion (as built, and as a fault edited it) as the
// SAML 1.1 assertion of the same values: Issuer and AssertionID as attributes, the
// AudienceRestrictionCondition, a Subject in each statement, each claim URI split into
// AttributeNamespace and AttributeName, and an AuthenticationStatement. What the 2.0
// assertion lacks (a fault removed it) the 1.1 one lacks too.
func saml11Assertion(a *etree.Element) *etree.Element {
	out := etree.NewElement("saml:Assertion")
	out.CreateAttr("MajorVersion", "1")
	out.CreateAttr("MinorVersion", "1")
	out.CreateAttr("AssertionID", a.SelectAttrValue("ID", ""))
	if iss := a.FindElement("./Issuer"); iss != nil {
		out.CreateAttr("Issuer", iss.Text())
	}
	out.CreateAttr("IssueInstant", a.SelectAttrValue("IssueInstant", ""))
	out.CreateAttr("xmlns:saml", nsSAML11)
	if c := a.FindElement("./Conditions"); c != nil {
		oc := out.CreateElement("saml:Conditions")
		for _, at := range c.Attr {
			oc.CreateAttr(at.Key, at.Value)
		}
		for _, ar := range c.SelectElements("AudienceRestriction") {
			oar := oc.CreateElement("saml:AudienceRestrictionCondition")
			for _, au := range ar.SelectElements("Audience") {
				oar.CreateElement("saml:Audience").SetText(au.Text())
			}
		}
	}
	subject := func(parent *etree.Element) {
		sub := parent.CreateElement("saml:Subject")
		if nid := a.FindElement("./Subject/NameID"); nid != nil {
			ni := sub.CreateElement("saml:NameIdentifier")
			if f := nid.SelectAttrValue("Format", ""); f != "" {
				ni.CreateAttr("Format", f)
			}
			ni.SetText(nid.Text())
		}
		sub.CreateElement("saml:SubjectConfirmation").CreateElement("saml:ConfirmationMethod").SetText("urn:oasis:names:tc:SAML:1.0:cm:bearer")
	}
	if st := a.FindElement("./AttributeStatement"); st != nil && len(st.SelectElements("Attribute")) > 0 {
		ost := out.CreateElement("saml:AttributeStatement")
		subject(ost)
		for _, at := range st.SelectElements("Attribute") {
			ns, name := splitClaimURI(at.SelectAttrValue("Name", ""))
			oa := ost.CreateElement("saml:Attribute")
			oa.CreateAttr("AttributeName", name)
			oa.CreateAttr("AttributeNamespace", ns)
			for _, v := range at.SelectElements("AttributeValue") {
				oa.CreateElement("saml:AttributeValue").SetText(v.Text())
			}
		}
	}
	if as := a.FindElement("./AuthnStatement"); as != nil {
		oas := out.CreateElement("saml:AuthenticationStatement")
		oas.CreateAttr("AuthenticationMethod", "urn:oasis:names:tc:SAML:1.0:am:password")
		oas.CreateAttr("AuthenticationInstant", as.SelectAttrValue("AuthnInstant", ""))
		subject(oas)
	}
	return out
}

// splitClaimURI splits a claim type at its last '/' (else ':') into the SAML 1.1
// AttributeNamespace and AttributeName, as WIF and AD FS do: ".../claims/name" is namespace
// ".../claims", name "name".
func splitClaimURI(uri string) (ns, name string) {
	if i := strings.LastIndex(uri, "/"); i > 0 && i < len(uri)-1 {
		return uri[:i], uri[i+1:]
	}
	if i := strings.LastIndex(uri, ":"); i > 0 && i < len(uri)-1 {
		return uri[:i], uri[i+1:]
	}
	return "", uri
}
