package idp

import (
	"crypto"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// samlTime is Entra's timestamp form: UTC with milliseconds.
const samlTime = "2006-01-02T15:04:05.000Z"

// samlResponseInput is everything one Response is made of. The SSO handlers fill it from the
// AuthnRequest and the session; faults and tests may build one directly.
type samlResponseInput struct {
	Tenant       *Tenant
	App          *EnterpriseApp
	User         *User
	Destination  string // the ACS URL
	InResponseTo string // empty for IdP-initiated
	Audience     string // "" for the default Identifier (IdP-initiated); SP-initiated: the request's Issuer
	NameIDFormat string // requested NameIDPolicy Format, "" if none
	AuthnInstant time.Time
	IssueInstant time.Time
	// SessionIndex is the AuthnStatement/@SessionIndex (default: the Assertion ID, as in
	// Entra's documented sample).
	SessionIndex string
	// MFA: the user passed the MFA prompt; authnmethodsreferences adds multipleauthn.
	MFA bool
}

// samlResponse is a built, signed Response and the facts the sign-in log keeps.
type samlResponse struct {
	Doc          *etree.Document
	ResponseID   string
	AssertionID  string
	NameID       string
	NameIDFormat string
	SessionIndex string
	Signing      string
	// Encryption is the key the assertion was encrypted to (nil: sent in the clear).
	Encryption *EncryptionKey
}

// Bytes serializes the response as sent (no XML declaration, like Entra), escaped so that
// a parser reads back the values that were signed (see writeXML). The error is always nil.
func (r *samlResponse) Bytes() ([]byte, error) { return writeXML(r.Doc), nil }

func (s *Server) samlTimings() (skew, life, scLife time.Duration) {
	skew, life, scLife = 5*time.Minute, 55*time.Minute, 5*time.Minute
	t := s.cfg.SAML
	if t.NotBeforeSkew != nil {
		skew = time.Duration(*t.NotBeforeSkew)
	}
	if t.Lifetime != nil {
		life = time.Duration(*t.Lifetime)
	}
	if t.SubjectConfirmationLifetime != nil {
		scLife = time.Duration(*t.SubjectConfirmationLifetime)
	}
	return
}

// activeKey is the key that signs for app.
func (s *Server) activeKey(app *EnterpriseApp) *SigningKey {
	for _, k := range s.appKeys[app] {
		if k.Active {
			return k
		}
	}
	return nil
}

// buildSAMLResponse builds the Response for a fault: the direct writer's unsigned Response
// (the one way a Response is written), parsed; a fault's mint (m, may be nil) changes what
// it names before signing (values, signing key and option) and after (wrapping, tampering).
func (s *Server) buildSAMLResponse(in samlResponseInput, m *samlMint) (*samlResponse, error) {
	app := in.App
	d := s.directResponseFor(in)
	out := d.out
	w := xw{b: make([]byte, 0, 4096)}
	d.responseHead(&w)
	responseStatus(&w)
	d.assertion(&w, nil)
	w.raw(`</samlp:Response>`)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(w.b); err != nil {
		return nil, fmt.Errorf("parse the written Response: %w", err)
	}
	resp := doc.Root()
	a := resp.SelectElement("Assertion")

	key := s.activeKey(app)
	opt, alg := app.SAML.Signing.Option, app.SAML.Signing.Algorithm
	if m != nil {
		for _, edit := range m.edits {
			edit(resp, a)
		}
		if m.key != nil {
			key = m.key
		}
		if m.option != "" {
			opt = m.option
		}
		if m.algorithm != "" {
			alg = m.algorithm
		}
		out.Signing = opt
	}
	if key == nil {
		return nil, fmt.Errorf("app %q has no signing certificate", app.DisplayName)
	}
	if opt == SignAssertion || opt == SignResponseAndAssertion {
		if err := s.signAfterIssuer(a, key, alg); err != nil {
			return nil, err
		}
	}
	// Token encryption comes after the fault's edits and the assertion's signature, and
	// before the Response's, which covers the EncryptedAssertion (as Entra signs and
	// encrypts). A fault's post-signing changes (m.after) see the EncryptedAssertion.
	ek := s.tokenEncryptionKey(app)
	if m != nil && m.encrypt != nil {
		ek = m.encrypt
	}
	if ek != nil && a != nil && a.Parent() == resp {
		if err := s.encryptAssertion(resp, a, ek); err != nil {
			return nil, err
		}
		out.Encryption = ek
	}
	if opt == SignResponse || opt == SignResponseAndAssertion {
		if err := s.signAfterIssuer(resp, key, alg); err != nil {
			return nil, err
		}
	}
	out.Doc = doc
	if m != nil {
		if len(m.after) > 0 && out.Encryption != nil {
			// Wrapping and tampering work on the signed Assertion, which is now encrypted.
			return nil, errors.New("this fault changes the signed Assertion after signing, and the app encrypts its assertions (tokenEncryptionKeyId): turn token encryption off for it")
		}
		for _, after := range m.after {
			if err := after(doc, resp); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// newSAMLResponse fills in the input's defaults (instants from the clock, the app's
// audience) and draws the Response's IDs and NameID.
func (s *Server) newSAMLResponse(in *samlResponseInput) *samlResponse {
	app := in.App
	if in.IssueInstant.IsZero() {
		in.IssueInstant = s.clock.Now()
	}
	if in.AuthnInstant.IsZero() {
		in.AuthnInstant = in.IssueInstant
	}
	if in.Audience == "" {
		in.Audience = audienceFor(app.SAML.DefaultIdentifier())
	}
	out := &samlResponse{ResponseID: "_" + s.rand.guid(), AssertionID: "_" + s.rand.guid(), Signing: app.SAML.Signing.Option}
	out.NameID, out.NameIDFormat = s.nameID(in.Tenant, app, in.User, in.NameIDFormat)
	out.SessionIndex = in.SessionIndex
	if out.SessionIndex == "" {
		out.SessionIndex = out.AssertionID
	}
	return out
}

// signingContext makes an exc-c14n signing context for key with Entra's algorithm choice,
// signing through the server's signer backend.
func (s *Server) signingContext(key *SigningKey, algorithm string) (*dsig.SigningContext, error) {
	ctx, err := dsig.NewSigningContext(s.signerOf(key), [][]byte{key.Cert.Raw})
	if err != nil {
		return nil, err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = ""
	if algorithm == AlgorithmSHA1 {
		ctx.Hash = crypto.SHA1
		if err := ctx.SetSignatureMethod(dsig.RSASHA1SignatureMethod); err != nil {
			return nil, err
		}
	}
	return ctx, nil
}

// signAfterIssuer signs el (enveloped, Reference URI="#ID") and puts the Signature right
// after its Issuer child, where SAML's schema and Entra place it.
func (s *Server) signAfterIssuer(el *etree.Element, key *SigningKey, algorithm string) error {
	ctx, err := s.signingContext(key, algorithm)
	if err != nil {
		return err
	}
	// Sign a copy: goxmldsig canonicalizes the element it is given in place (sorting its
	// attributes and moving namespace declarations), which would change the document we send.
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return fmt.Errorf("sign %s: %w", el.Tag, err)
	}
	idx := 0
	for i, c := range el.Child {
		if ce, ok := c.(*etree.Element); ok && ce.Tag == "Issuer" {
			idx = i + 1
			break
		}
	}
	el.InsertChildAt(idx, sig)
	return nil
}
