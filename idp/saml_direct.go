package idp

import (
	"crypto"
	"encoding/base64"
	"fmt"
	"sync"
	"unicode/utf8"

	dsig "github.com/russellhaering/goxmldsig"
)

// The Response writer: the one place a Response's elements are written. A plain sign-in (no
// fault) is written and signed straight into bytes, instead of built as an etree DOM, copied,
// canonicalised by goxmldsig and serialised; a fault's Response is the same bytes unsigned,
// parsed, edited by the fault and signed by goxmldsig (buildSAMLResponse).
//
// Every element is written twice from the same values: once as sent (byte for byte what
// writeXML writes for the parsed DOM, so the two paths are interchangeable) and once
// in exclusive XML canonical form (what goxmldsig's exc-c14n makes of that DOM), which is digested
// and signed. The sent form is not canonical (Entra's attribute order puts xmlns last), so the
// canonical form cannot simply be the bytes sent. TestDirectWriterMatchesDOM holds the two paths
// to identical bytes and has independent verifiers check the signatures.

// The exc-c14n forms differ from the sent form in three ways: namespace declarations come
// first and attributes are sorted (every attribute here is unqualified, so sorted by name),
// empty elements get an end tag, and escaping follows C14N (text: & < > and CR; attributes:
// & < " TAB LF CR).
//
// The sent form escapes as etree does by default (& < > ' "), and also the whitespace a
// parser would not read back as written: CR in text (read as LF), TAB, LF and CR in
// attributes (attribute-value normalisation reads them as spaces). C14N writes those as
// character references, which a parser keeps; sent raw, the verifier's canonical form would
// differ from the one digested and the signature would fail (libxml2/xmlsec, Shibboleth,
// Java, .NET). writeXML escapes the DOM path's output the same way.
type escMode uint8

const (
	escSentText  escMode = iota // as sent, text: & < > ' " and CR
	escSentAttr                 // as sent, attributes: & < > ' " and TAB LF CR
	escCanonText                // C14N text
	escCanonAttr                // C14N attribute values
)

// appendEsc appends s escaped as mode says. Like etree, characters XML cannot carry (and
// bytes that are not UTF-8) become U+FFFD in every mode, so both forms stay consistent.
func appendEsc(dst []byte, s string, mode escMode) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' && c != '\'' && c != '"' {
			i++ // the common case: printable ASCII with no meaning in XML
			continue
		}
		r, width := rune(c), 1
		if c >= utf8.RuneSelf {
			r, width = utf8.DecodeRuneInString(s[i:])
		}
		sent := mode == escSentText || mode == escSentAttr
		attr := mode == escSentAttr || mode == escCanonAttr
		var esc string
		switch r {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			if mode == escCanonAttr {
				i += width
				continue
			}
			esc = "&gt;"
		case '\'':
			if !sent {
				i += width
				continue
			}
			esc = "&apos;"
		case '"':
			if mode == escCanonText {
				i += width
				continue
			}
			esc = "&quot;"
		case '\t':
			if !attr {
				i += width
				continue
			}
			esc = "&#x9;"
		case '\n':
			if !attr {
				i += width
				continue
			}
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if xmlChar(r) && !(r == utf8.RuneError && width == 1) {
				i += width
				continue
			}
			esc = "\uFFFD"
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		i += width
		last = i
	}
	return append(dst, s[last:]...)
}

// xmlChar reports whether r is in XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// xw writes one form (sent or canonical) of the elements below.
type xw struct {
	b     []byte
	canon bool
}

func (w *xw) textMode() escMode {
	if w.canon {
		return escCanonText
	}
	return escSentText
}

func (w *xw) raw(s string) { w.b = append(w.b, s...) }

// attr writes ` name="value"`.
func (w *xw) attr(name, value string) {
	w.b = append(w.b, ' ')
	w.b = append(w.b, name...)
	w.b = append(w.b, '=', '"')
	mode := escSentAttr
	if w.canon {
		mode = escCanonAttr
	}
	w.b = appendEsc(w.b, value, mode)
	w.b = append(w.b, '"')
}

// text writes an element's content.
func (w *xw) text(s string) { w.b = appendEsc(w.b, s, w.textMode()) }

// empty closes a start tag of an element without content: `/>` as sent, `></tag>` canonical.
func (w *xw) empty(tag string) {
	if w.canon {
		w.b = append(w.b, '>', '<', '/')
		w.b = append(w.b, tag...)
		w.b = append(w.b, '>')
		return
	}
	w.b = append(w.b, '/', '>')
}

// textElem closes a start tag and writes the text and end tag; an empty text leaves the
// element empty, as etree's SetText("") does.
func (w *xw) textElem(tag, text string) {
	if text == "" {
		w.empty(tag)
		return
	}
	w.b = append(w.b, '>')
	w.text(text)
	w.b = append(w.b, '<', '/')
	w.b = append(w.b, tag...)
	w.b = append(w.b, '>')
}

// directResponse is what the writer needs to write one Response.
type directResponse struct {
	out                                     *samlResponse
	in                                      *samlResponseInput
	issuer, issueInstant                    string
	scNotOnOrAfter, notBefore, notOnOrAfter string
	authnInstant                            string
	attrs                                   []attribute
}

// assertion writes the Assertion; sig (the form's Signature, may be empty) goes after its
// Issuer. The canonical form is what the enveloped-signature and exc-c14n transforms make of
// the signed Assertion: without its own Signature.
func (d *directResponse) assertion(w *xw, sig []byte) {
	if w.canon {
		w.raw(`<Assertion xmlns="` + nsAssertion + `"`)
		w.attr("ID", d.out.AssertionID)
		w.attr("IssueInstant", d.issueInstant)
		w.attr("Version", "2.0")
	} else {
		w.raw(`<Assertion`)
		w.attr("ID", d.out.AssertionID)
		w.attr("IssueInstant", d.issueInstant)
		w.attr("Version", "2.0")
		w.attr("xmlns", nsAssertion)
	}
	w.raw(`><Issuer`)
	w.textElem("Issuer", d.issuer)
	w.b = append(w.b, sig...)
	w.raw(`<Subject><NameID`)
	w.attr("Format", d.out.NameIDFormat)
	w.textElem("NameID", d.out.NameID)
	w.raw(`<SubjectConfirmation`)
	w.attr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	w.raw(`><SubjectConfirmationData`)
	if d.in.InResponseTo != "" {
		w.attr("InResponseTo", d.in.InResponseTo)
	}
	w.attr("NotOnOrAfter", d.scNotOnOrAfter)
	w.attr("Recipient", d.in.Destination)
	w.empty("SubjectConfirmationData")
	w.raw(`</SubjectConfirmation></Subject><Conditions`)
	w.attr("NotBefore", d.notBefore)
	w.attr("NotOnOrAfter", d.notOnOrAfter)
	w.raw(`><AudienceRestriction><Audience`)
	w.textElem("Audience", d.in.Audience)
	w.raw(`</AudienceRestriction></Conditions><AttributeStatement`)
	if len(d.attrs) == 0 {
		w.empty("AttributeStatement")
	} else {
		w.raw(`>`)
		for _, at := range d.attrs {
			w.raw(`<Attribute`)
			w.attr("Name", at.Name)
			if len(at.Values) == 0 {
				w.empty("Attribute")
				continue
			}
			w.raw(`>`)
			for _, v := range at.Values {
				w.raw(`<AttributeValue`)
				w.textElem("AttributeValue", v)
			}
			w.raw(`</Attribute>`)
		}
		w.raw(`</AttributeStatement>`)
	}
	w.raw(`<AuthnStatement`)
	w.attr("AuthnInstant", d.authnInstant)
	w.attr("SessionIndex", d.out.SessionIndex)
	w.raw(`><AuthnContext><AuthnContextClassRef`)
	w.textElem("AuthnContextClassRef", AuthnContextPassword)
	w.raw(`</AuthnContext></AuthnStatement></Assertion>`)
}

// responseHead writes the Response's start tag and Issuer; the Signature goes after it.
func (d *directResponse) responseHead(w *xw) {
	if w.canon {
		w.raw(`<samlp:Response xmlns:samlp="` + nsProtocol + `"`)
		w.attr("Destination", d.in.Destination)
		w.attr("ID", d.out.ResponseID)
		if d.in.InResponseTo != "" {
			w.attr("InResponseTo", d.in.InResponseTo)
		}
		w.attr("IssueInstant", d.issueInstant)
		w.attr("Version", "2.0")
	} else {
		w.raw(`<samlp:Response`)
		w.attr("ID", d.out.ResponseID)
		w.attr("Version", "2.0")
		w.attr("IssueInstant", d.issueInstant)
		w.attr("Destination", d.in.Destination)
		if d.in.InResponseTo != "" {
			w.attr("InResponseTo", d.in.InResponseTo)
		}
		w.attr("xmlns:samlp", nsProtocol)
	}
	w.raw(`><Issuer`)
	w.attr("xmlns", nsAssertion)
	w.textElem("Issuer", d.issuer)
}

// responseStatus writes the Status (a Success).
func responseStatus(w *xw) {
	w.raw(`<samlp:Status><samlp:StatusCode`)
	w.attr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	w.empty("samlp:StatusCode")
	w.raw(`</samlp:Status>`)
}

// dsigAlgs are the identifiers and hash of a Signing Algorithm, as signingContext picks them.
func dsigAlgs(algorithm string) (hash crypto.Hash, sigMethod, digestMethod string) {
	if algorithm == AlgorithmSHA1 {
		return crypto.SHA1, dsig.RSASHA1SignatureMethod, "http://www.w3.org/2000/09/xmldsig#sha1"
	}
	return crypto.SHA256, dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256"
}

// signCanonical signs the canonical bytes of the element with ID id as goxmldsig's
// ConstructSignature would: digest, SignedInfo (exc-c14n, Reference #id with the enveloped
// signature and exc-c14n transforms), one RSA PKCS #1 v1.5 signature, KeyInfo with the
// certificate. It appends the Signature element as sent to sent and, when canon is not nil,
// in canonical form to canon; scratch holds the SignedInfo while it is signed.
func (s *Server) signCanonical(sent, canon, scratch, canonical []byte, id string, key *SigningKey, algorithm string) (sentOut, canonOut, scratchOut []byte, err error) {
	hash, sigMethod, digestMethod := dsigAlgs(algorithm)
	h := hash.New()
	h.Write(canonical)
	var sum [64]byte
	digest := base64.StdEncoding.AppendEncode(scratch[:0], h.Sum(sum[:0]))
	nd := len(digest)

	// decl: the SignedInfo is canonicalised on its own, so it declares the namespace it
	// otherwise inherits from its Signature.
	signedInfo := func(w *xw, decl bool) {
		w.raw(`<SignedInfo`)
		if decl {
			w.raw(` xmlns="` + nsDSig + `"`)
		}
		w.raw(`><CanonicalizationMethod`)
		w.attr("Algorithm", dsig.CanonicalXML10ExclusiveAlgorithmId.String())
		w.empty("CanonicalizationMethod")
		w.raw(`<SignatureMethod`)
		w.attr("Algorithm", sigMethod)
		w.empty("SignatureMethod")
		w.raw(`<Reference`)
		w.attr("URI", "#"+id)
		w.raw(`><Transforms><Transform`)
		w.attr("Algorithm", dsig.EnvelopedSignatureAltorithmId.String())
		w.empty("Transform")
		w.raw(`<Transform`)
		w.attr("Algorithm", dsig.CanonicalXML10ExclusiveAlgorithmId.String())
		w.empty("Transform")
		w.raw(`</Transforms><DigestMethod`)
		w.attr("Algorithm", digestMethod)
		w.empty("DigestMethod")
		w.raw(`<DigestValue>`)
		w.b = append(w.b, digest[:nd]...) // base64 has nothing to escape
		w.raw(`</DigestValue></Reference></SignedInfo>`)
	}
	si := xw{b: digest, canon: true}
	signedInfo(&si, true)
	h = hash.New()
	h.Write(si.b[nd:])
	raw, err := s.sign(key, hash, h.Sum(sum[:0]))
	if err != nil {
		return sent, canon, si.b, fmt.Errorf("sign #%s: %w", id, err)
	}
	cert := key.certBase64()
	form := func(w *xw) {
		w.raw(`<Signature`)
		w.attr("xmlns", nsDSig)
		w.raw(`>`)
		signedInfo(w, false)
		w.raw(`<SignatureValue>`)
		w.b = base64.StdEncoding.AppendEncode(w.b, raw)
		w.raw(`</SignatureValue><KeyInfo><X509Data><X509Certificate`)
		w.textElem("X509Certificate", cert)
		w.raw(`</X509Data></KeyInfo></Signature>`)
	}
	w := xw{b: sent}
	form(&w)
	sent = w.b
	if canon != nil {
		w = xw{b: canon, canon: true}
		form(&w)
		canon = w.b
	}
	return sent, canon, si.b, nil
}

// directScratch is the direct writer's working memory: canonical forms that are only
// hashed, and the Signatures until they are placed.
type directScratch struct{ canon, si, aSent, aCanon, rSent []byte }

var directScratches = sync.Pool{New: func() any {
	return &directScratch{canon: make([]byte, 0, 8192), si: make([]byte, 0, 1024), aSent: make([]byte, 0, 3072),
		aCanon: make([]byte, 0, 3072), rSent: make([]byte, 0, 3072)}
}}

// directResponseFor works out the values of a Response (IDs, NameID, instants, claims); both
// the plain sign-in (samlResponseBytes) and the fault path (buildSAMLResponse) write from it.
func (s *Server) directResponseFor(in samlResponseInput) *directResponse {
	t := in.Tenant
	out := s.newSAMLResponse(&in)
	skew, life, scLife := s.samlTimings()
	now := in.IssueInstant.UTC()
	return &directResponse{
		out: out, in: &in, issuer: "https://sts.windows.net/" + t.ID + "/",
		issueInstant:   now.Format(samlTime),
		scNotOnOrAfter: now.Add(scLife).Format(samlTime),
		notBefore:      now.Add(-skew).Format(samlTime),
		notOnOrAfter:   now.Add(life).Format(samlTime),
		authnInstant:   in.AuthnInstant.UTC().Format(samlTime),
		attrs:          withMFA(s.samlAttributes(t, in.App, in.User), in.MFA),
	}
}

// samlResponseBytes builds and signs the Response of a plain sign-in with the direct writer
// and returns the bytes as sent (identical to buildSAMLResponse's with no fault, whose Doc
// it does not build). Faults edit the parsed Response in buildSAMLResponse instead.
func (s *Server) samlResponseBytes(in samlResponseInput) ([]byte, *samlResponse, error) {
	if s.tokenEncryptionKey(in.App) != nil {
		// An encrypted assertion is built on the DOM: it is encrypted between the two signatures.
		resp, err := s.buildSAMLResponse(in, nil)
		if err != nil {
			return nil, nil, err
		}
		b, err := resp.Bytes()
		return b, resp, err
	}
	d := s.directResponseFor(in)
	app, out := in.App, d.out
	key := s.activeKey(app)
	if key == nil {
		return nil, nil, fmt.Errorf("app %q has no signing certificate", app.DisplayName)
	}
	opt, alg := app.SAML.Signing.Option, app.SAML.Signing.Algorithm
	signAssertion := opt == SignAssertion || opt == SignResponseAndAssertion
	signResponse := opt == SignResponse || opt == SignResponseAndAssertion

	sc := directScratches.Get().(*directScratch)
	defer directScratches.Put(sc)
	aSent, aCanon, rSent := sc.aSent[:0], sc.aCanon[:0], sc.rSent[:0]
	var err error
	if signAssertion {
		c := xw{b: sc.canon[:0], canon: true}
		d.assertion(&c, nil)
		sc.canon = c.b
		if !signResponse {
			aCanon = nil // only the Response's digest needs it
		}
		if aSent, aCanon, sc.si, err = s.signCanonical(aSent, aCanon, sc.si, c.b, out.AssertionID, key, alg); err != nil {
			return nil, nil, fmt.Errorf("sign Assertion: %w", err)
		}
	}
	if signResponse {
		// The Response's digest covers the Assertion with its own Signature.
		c := xw{b: sc.canon[:0], canon: true}
		d.responseHead(&c)
		responseStatus(&c)
		d.assertion(&c, aCanon)
		c.raw(`</samlp:Response>`)
		sc.canon = c.b
		if rSent, _, sc.si, err = s.signCanonical(rSent, nil, sc.si, c.b, out.ResponseID, key, alg); err != nil {
			return nil, nil, fmt.Errorf("sign samlp:Response: %w", err)
		}
	}
	if aCanon != nil {
		sc.aCanon = aCanon
	}
	sc.aSent, sc.rSent = aSent, rSent
	w := xw{b: make([]byte, 0, len(sc.canon)+len(aSent)+len(rSent)+1024)}
	d.responseHead(&w)
	w.b = append(w.b, rSent...)
	responseStatus(&w)
	d.assertion(&w, aSent)
	w.raw(`</samlp:Response>`)
	return w.b, out, nil
}
