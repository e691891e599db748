package idp

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Re-used SAML hooks.
func signWith(option, algorithm string) func(m *samlMint, step int) error {
	return func(m *samlMint, _ int) error {
		m.option, m.algorithm = option, algorithm
		if option != "" {
			m.note("signing option %q", option)
		}
		if algorithm != "" {
			m.note("signature algorithm %s", algorithm)
		}
		return nil
	}
}

func samlClockSkew(m *samlMint, step int) error {
	m.offset = 2 * time.Minute
	if step%2 == 1 {
		m.offset = -2 * time.Minute
	}
	m.note("IdP clock %+v", m.offset)
	return nil
}

func samlXSW(n int) func(m *samlMint, step int) error {
	return func(m *samlMint, _ int) error {
		// SAML Raider's first two shapes wrap a signed Response, the others a signed Assertion.
		m.option = SignAssertion
		if n <= 2 {
			m.option = SignResponse
		}
		m.then(func(doc *etree.Document, resp *etree.Element) error { return m.xsw(n, doc, resp) })
		m.note("XML Signature Wrapping shape %d (evil content names %s)", n, m.s.victim(m.t, m.user).UserPrincipalName)
		return nil
	}
}

// xswStrictNote is why a wrapping row whose signed element is no longer where the profile
// puts it (a Response that is not the document root, an Assertion that is not a child of the
// Response, a signature that is not enveloped in the element it signs) has no "or the signed
// identity": to show the signed user, the SP must have accepted that signature there.
const xswStrictNote = "the signed element is no longer where the profile puts it: signing in even the signed user means the SP accepted a signature there"

func certFault(kind string) func(m *samlMint, step int) error {
	return func(m *samlMint, _ int) error {
		k, err := m.s.appFaultCert(m.app, kind)
		if err != nil {
			return err
		}
		m.key = k
		m.note("signed with the %s certificate %s (valid %s – %s)", kind, k.Thumbprint(),
			k.Cert.NotBefore.Format(time.DateOnly), k.Cert.NotAfter.Format(time.DateOnly))
		return nil
	}
}

func noop(*samlMint, int) error { return nil }

// samlCatalog are the SAML rows of the catalog, in checks.md order.
var samlCatalog = []*Fault{
	// ---- SAML: good responses, by every binding and option ---------------------------------
	{ID: "saml.sp.redirect", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "SP-initiated sign-in, AuthnRequest by HTTP-Redirect, Entra defaults (assertion signed, RSA-SHA256, exc-c14n)",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{refEntraSAML},
		Weakness: "cannot complete a standard Entra sign-in", Fix: "compare the SP's values with `mockidp values`: Identifier, Reply URL, certificate",
		saml: noop},
	{ID: "saml.sp.post", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Requires: []Requirement{RequiresPOSTBinding},
		Description: "SP-initiated sign-in, AuthnRequest by HTTP-POST",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{refEntraSAML},
		Weakness: "cannot complete a sign-in started by HTTP-POST", Fix: "accept Entra's Response to an AuthnRequest sent by HTTP-POST (the ACS takes a POST either way)", saml: noop},
	{ID: "saml.idp-initiated", Protocol: ProtocolSAML, Flow: FlowIdPInitiated,
		Description: "unsolicited Response (no InResponseTo) from the User access URL, with the app's Relay State",
		Expect: Expectation{Verdict: VerdictProfile, Default: VerdictAccept,
			Note: "accept when the target allows IdP-initiated sign-in (My Apps, \"Test this application\"); for a target that does not, saml.idp-initiated.disallowed checks the refusal"},
		References: []string{refEntraSAML, "Entra \"Test this application\", My Apps"},
		Weakness:   "does not handle IdP-initiated sign-in as the target says",
		Fix:        "accept an unsolicited Response (no InResponseTo) at the ACS, or declare idpInitiated: false in the target and clear the app's Sign on URL so Entra's \"Test this application\" starts at the SP",
		saml:       noop},
	{ID: "saml.sign.response", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "\"Sign SAML response\": the Response is signed, the Assertion is not",
		Expect:      Expectation{Verdict: VerdictCompatible}, References: []string{refEntraSigning},
		Weakness: "requires a signed Assertion", Fix: "accept a signed Response as covering its Assertion, or set Entra's signing option to \"Sign SAML assertion\"",
		saml: signWith(SignResponse, "")},
	{ID: "saml.sign.both", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "\"Sign SAML response and assertion\": both signed",
		Expect:      Expectation{Verdict: VerdictCompatible}, References: []string{refEntraSigning},
		Weakness: "cannot handle two signatures", Fix: "verify each signature present (Response and Assertion) with the IdP's certificate", saml: signWith(SignResponseAndAssertion, "")},
	{ID: "saml.sign.sha1", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "RSA-SHA1 signature with SHA-1 digest (Entra's \"SHA-1\" signing algorithm)",
		Expect:      Expectation{Verdict: VerdictCompatible, Note: "an SP may refuse SHA-1 by policy: keep Entra's default SHA-256"},
		References:  []string{refEntraSigning, "NIST SP 800-131A (SHA-1 deprecation)"},
		Weakness:    "refuses RSA-SHA1", Fix: "accept RSA-SHA1 from Entra, or set the app's Signing Algorithm to SHA-256 in Entra (the default) and waive this check",
		saml: signWith("", AlgorithmSHA1)},
	{ID: "saml.clock.skew-ok", Protocol: ProtocolSAML, Flow: FlowSPInitiated, SignIns: 2,
		Description: "IdP clock 2 min ahead for the first sign-in, 2 min behind for the second",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{refEntraSAML, "Entra SAML token reference: allow up to 5 min of clock skew"},
		Weakness: "allows less than 2 minutes of clock skew", Fix: "allow about 5 minutes of clock skew on NotBefore / NotOnOrAfter / IssueInstant",
		saml: samlClockSkew},
	{ID: "saml.cert.rollover", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "metadata lists the old and a new certificate; the Response is signed with the new one",
		Expect:      Expectation{Verdict: VerdictAccept, Note: "an SP that refreshes the IdP metadata (or was given both certificates)"},
		References:  []string{refEntraCerts}, Weakness: "trusts only the certificate it was first given",
		Fix:  "refresh the IdP metadata periodically (or upload the new certificate before making it active in Entra)",
		saml: certFault(certRollover)},
	{ID: "saml.slo", Protocol: ProtocolSAML, Flow: FlowLogout, Requires: []Requirement{RequiresSLO},
		Description: "SP-initiated logout by HTTP-Redirect; LogoutResponse Issuer https://login.microsoftonline.com/{tid}/ as Entra sends it",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{"Microsoft Entra: Single Sign-Out SAML protocol"},
		Weakness: "rejects Entra's LogoutResponse", Fix: "accept the LogoutResponse Issuer https://login.microsoftonline.com/{tenant}/ (not the metadata's entityID)",
		saml: noop},
	// ---- SAML: signatures ---------------------------------------------------------------------
	{ID: "saml.sig.none", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "every signature removed",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLRaider, "signature exclusion"},
		Weakness: "accepts an unsigned Response", Fix: "require a valid signature on the Response or on every Assertion",
		saml: func(m *samlMint, _ int) error { m.option = signNone; m.note("no signature"); return nil }},
	{ID: "saml.sig.untrusted-key", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "signed by a key that is not in the metadata the SP trusts (its certificate in KeyInfo)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLRaider, "signature spoofing"},
		Weakness: "verifies the signature with the certificate in the message's KeyInfo", Fix: "verify only with the certificates of the IdP metadata / the uploaded certificate",
		saml: func(m *samlMint, _ int) error {
			k, err := m.s.untrustedKey()
			m.key = k
			if k != nil {
				m.note("signed by untrusted key %s", k.Thumbprint())
			}
			return err
		}},
	{ID: "saml.sig.cloned-cert", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "signed by a new key whose self-signed certificate clones the IdP's (same subject, issuer, serial, validity)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLRaider, "certificate cloning"},
		Weakness: "trusts a certificate by its subject or serial, or the one in KeyInfo", Fix: "compare the signing key (or the whole certificate) with the metadata's",
		saml: func(m *samlMint, _ int) error {
			k, err := m.s.clonedKey(m.app)
			m.key = k
			if k != nil {
				m.note("signed by a clone of the IdP certificate (serial %s)", k.Cert.SerialNumber.Text(16))
			}
			return err
		}},
	{ID: "saml.sig.tampered", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "correctly signed, then the NameID is changed to another user's",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{"XML-DSig Core §3.2.1 (reference validation: digest mismatch)"},
		Weakness: "does not verify the signature's digest", Fix: "verify the signature (references and value) before reading anything",
		saml: func(m *samlMint, _ int) error {
			v := m.s.victim(m.t, m.user)
			m.then(func(doc *etree.Document, resp *etree.Element) error {
				nid := resp.FindElement("./Assertion/Subject/NameID")
				if nid == nil {
					return fmt.Errorf("no NameID")
				}
				id, _ := m.s.nameID(m.t, m.app, v, nid.SelectAttrValue("Format", ""))
				nid.SetText(id)
				return nil
			})
			m.note("NameID changed to %s after signing", v.UserPrincipalName)
			return nil
		}},
	{ID: "saml.cert.expired", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "signed with a certificate of the app's metadata whose NotAfter is past",
		Expect:      Expectation{Verdict: VerdictProfile, Default: VerdictWarn, Note: "many SPs pin the key and ignore the certificate's validity"},
		References:  []string{refEntraCerts, "seed guides: \"make sure the certificate is current and not expired\""},
		Weakness:    "accepts a signature by an expired certificate", Fix: "renew the certificate in Entra (New Certificate, make active) and upload it to the SP",
		saml: certFault(certExpired)},
	{ID: "saml.cert.not-yet-valid", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "signed with a certificate of the app's metadata whose NotBefore is tomorrow",
		Expect:      Expectation{Verdict: VerdictProfile, Default: VerdictWarn, Note: "many SPs pin the key and ignore the certificate's validity"},
		References:  []string{refEntraCerts}, Weakness: "accepts a signature by a certificate that is not yet valid", Fix: "check the signing certificate's validity period (NotBefore / NotAfter), as strict SAML stacks do",
		saml: certFault(certNotYetValid)},
	// ---- SAML: XML Signature Wrapping -----------------------------------------------------------
	{ID: "saml.xsw.1", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Description: "XSW1: signed Response moved inside its own Signature; a new evil Response (new ID) around it",
		Expect: Expectation{Verdict: VerdictReject, Note: xswStrictNote}, References: []string{refSomorovsky, refSAMLRaider},
		Weakness: "verifies a signature over one element and reads another (XML Signature Wrapping)", Fix: "read only the element the verified signature references (by position, not by searching for the ID)",
		saml: samlXSW(1)},
	{ID: "saml.xsw.2", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Description: "XSW2: signed Response copied before its detached Signature; evil Response (new ID) as root",
		Expect: Expectation{Verdict: VerdictReject, Note: xswStrictNote}, References: []string{refSomorovsky, refSAMLRaider},
		Weakness: "verifies a signature over one element and reads another (XML Signature Wrapping)", Fix: "read only the element the verified signature references (by position, not by searching for the ID)", saml: samlXSW(2)},
	{ID: "saml.xsw.3", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Description: "XSW3: unsigned evil Assertion (new ID) inserted before the signed one",
		Expect: Expectation{Verdict: VerdictReject, OrSignedIdentity: true}, References: []string{refSomorovsky, refSAMLRaider},
		Weakness: "verifies a signature over one element and reads another (XML Signature Wrapping)", Fix: "read only the element the verified signature references (by position, not by searching for the ID)", saml: samlXSW(3)},
	{ID: "saml.xsw.4", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Description: "XSW4: the signed Assertion moved inside an unsigned evil Assertion (new ID)",
		Expect: Expectation{Verdict: VerdictReject, Note: xswStrictNote}, References: []string{refSomorovsky, refSAMLRaider},
		Weakness: "verifies a signature over one element and reads another (XML Signature Wrapping)", Fix: "read only the element the verified signature references (by position, not by searching for the ID)", saml: samlXSW(4)},
	{ID: "saml.xsw.5", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Description: "XSW5: evil Assertion (new ID) keeps the Signature; an unsigned copy of the original appended to the Response",
		Expect: Expectation{Verdict: VerdictReject, Note: xswStrictNote}, References: []string{refSomorovsky, refSAMLRaider},
		Weakness: "verifies a signature over one element and reads another (XML Signature Wrapping)", Fix: "read only the element the verified signature references (by position, not by searching for the ID)", saml: samlXSW(5)},
	{ID: "saml.xsw.6", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Description: "XSW6: evil Assertion (new ID) keeps the Signature; the unsigned original inside that Signature",
		Expect: Expectation{Verdict: VerdictReject, Note: xswStrictNote}, References: []string{refSomorovsky, refSAMLRaider},
		Weakness: "verifies a signature over one element and reads another (XML Signature Wrapping)", Fix: "read only the element the verified signature references (by position, not by searching for the ID)", saml: samlXSW(6)},
	{ID: "saml.xsw.7", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Description: "XSW7: an Extensions element with an unsigned evil copy (same ID) before the signed Assertion",
		Expect: Expectation{Verdict: VerdictReject, OrSignedIdentity: true}, References: []string{refSomorovsky, refSAMLRaider},
		Weakness: "verifies a signature over one element and reads another (XML Signature Wrapping)", Fix: "read only the element the verified signature references (by position, not by searching for the ID)", saml: samlXSW(7)},
	{ID: "saml.xsw.8", Protocol: ProtocolSAML, Flow: FlowSPInitiated, Description: "XSW8: evil Assertion (same ID) keeps the Signature; the unsigned original inside a ds:Object of it",
		Expect: Expectation{Verdict: VerdictReject, Note: xswStrictNote}, References: []string{refSomorovsky, refSAMLRaider},
		Weakness: "verifies a signature over one element and reads another (XML Signature Wrapping)", Fix: "read only the element the verified signature references (by position, not by searching for the ID)", saml: samlXSW(8)},
	// ---- SAML: content ------------------------------------------------------------------------
	{ID: "saml.assertion.multiple", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the signed Assertion followed by an unsigned one for another user",
		Expect:      Expectation{Verdict: VerdictReject, OrSignedIdentity: true}, References: []string{refSAMLProfile, "multiple-assertion class of bug"},
		Weakness: "verifies one Assertion and reads another", Fix: "refuse Responses with more than one Assertion, or read only the verified one",
		saml: func(m *samlMint, _ int) error {
			m.then(func(doc *etree.Document, resp *etree.Element) error {
				a := firstAssertion(resp)
				evil := a.Copy()
				removeSignature(evil)
				evil.CreateAttr("ID", "_"+m.s.rand.guid())
				m.evilize(evil)
				resp.InsertChildAt(a.Index()+1, evil)
				return nil
			})
			m.note("unsigned second Assertion for %s", m.s.victim(m.t, m.user).UserPrincipalName)
			return nil
		}},
	{ID: "saml.nameid.comment", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "an XML comment inside the NameID text (b.simon@contoso<!---->.com), and inside every claim value equal to it (name, emailaddress): exclusive c14n drops it, the signature stays valid",
		Expect:      Expectation{Verdict: VerdictReject, OrSignedIdentity: true, Note: "or the identity is the full NameID"}, References: []string{refDuo},
		Weakness: "reads only the first text node of the NameID or claim (comment injection)", Fix: "read the whole text content of NameID and attribute values (all text nodes), as the signature covers it",
		saml: func(m *samlMint, _ int) error {
			m.then(func(doc *etree.Document, resp *etree.Element) error {
				for _, a := range resp.FindElements("./Assertion") {
					nid := a.FindElement("./Subject/NameID")
					if nid == nil {
						continue
					}
					text := nid.Text()
					cut := len(text) / 2
					for i := len(text) - 1; i > 0; i-- {
						if text[i] == '.' || text[i] == '@' {
							cut = i
							break
						}
					}
					// Whatever the SP reads the identity from: the NameID, or a claim that
					// carries the same value.
					targets := []*etree.Element{nid}
					for _, v := range a.FindElements("./AttributeStatement/Attribute/AttributeValue") {
						if v.Text() == text {
							targets = append(targets, v)
						}
					}
					for _, el := range targets {
						for _, c := range append([]etree.Token(nil), el.Child...) {
							el.RemoveChild(c)
						}
						el.CreateText(text[:cut])
						el.CreateComment("")
						el.CreateText(text[cut:])
					}
					m.decoy = text[:cut]
				}
				return nil
			})
			m.note("comment inserted into NameID and the claims equal to it")
			return nil
		}},
	{ID: "saml.xml.doctype", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "a DOCTYPE with an (unused) entity declaration before the (validly signed) Response",
		Expect: Expectation{Verdict: VerdictProfile, Default: VerdictWarn,
			Note: "accepting a DTD whose entity is never used shows DTD processing is on, not that an entity was expanded into what the SP trusted"}, References: []string{"SAML 2.0 Bindings §3.5.4 / security considerations: no DTDs", "OWASP XXE"},
		Weakness: "parses a SAML message that carries a DTD (XXE / entity expansion exposure)", Fix: "refuse any SAML message with a DOCTYPE; disable DTD processing in the XML parser",
		saml: func(m *samlMint, _ int) error {
			m.then(func(doc *etree.Document, resp *etree.Element) error {
				d := etree.NewDirective(`DOCTYPE samlp:Response [<!ENTITY ssoharness "entity expanded by the SP">]`)
				doc.InsertChildAt(0, d)
				return nil
			})
			m.note("DOCTYPE with an ENTITY declaration")
			return nil
		}},
	{ID: "saml.xml.entity-expansion", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "a DOCTYPE declares an internal entity whose value is the signed NameID, and the NameID is sent as a reference to it: the signature verifies only after the entity is expanded",
		Expect: Expectation{Verdict: VerdictReject,
			Note: "an SP that signs the user in has expanded an entity, declared outside the signature, into the identity it trusted"},
		References: []string{"SAML 2.0 Bindings §3.5.4 / security considerations: no DTDs", "OWASP XML External Entity Prevention Cheat Sheet", "W3C XML Signature Best Practices §2.1 (DTD processing)"},
		Weakness:   "expands entities that a DTD outside the signature declares into the identity it trusts (XXE / entity expansion)",
		Fix:        "refuse any SAML message with a DOCTYPE; turn off DTD processing and entity expansion in the XML parser",
		saml: func(m *samlMint, _ int) error {
			const ref = "ssoharness-nameid"
			placeholder := "SSOHARNESS-ENTITY-" + m.s.rand.guid()
			m.then(func(doc *etree.Document, resp *etree.Element) error {
				nid := resp.FindElement(".//Assertion/Subject/NameID")
				if nid == nil {
					return fmt.Errorf("no NameID")
				}
				val := nid.Text()
				if strings.ContainsAny(val, `"%&<`) {
					return fmt.Errorf("the NameID %q cannot be an entity value as it is", val)
				}
				nid.SetText(placeholder)
				doc.InsertChildAt(0, etree.NewDirective(`DOCTYPE samlp:Response [<!ENTITY `+ref+` "`+val+`">]`))
				return nil
			})
			m.raw = append(m.raw, func(b []byte) []byte {
				return bytes.Replace(b, []byte(placeholder), []byte("&"+ref+";"), 1)
			})
			m.note("DOCTYPE declaring the entity %s; the NameID sent as &%s;", ref, ref)
			return nil
		}},
	{ID: "saml.time.expired", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "Conditions and SubjectConfirmationData NotOnOrAfter 10 minutes in the past (the window opened 80 minutes ago)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLCore, refSAMLProfile},
		Weakness: "does not check NotOnOrAfter", Fix: "refuse assertions past Conditions/SubjectConfirmationData NotOnOrAfter (with at most a few minutes of skew)",
		saml: func(m *samlMint, _ int) error {
			m.edit(func(resp, a *etree.Element) {
				end := m.now.Add(-10 * time.Minute).Format(samlTime)
				if c := a.FindElement("./Conditions"); c != nil {
					c.CreateAttr("NotBefore", m.now.Add(-80*time.Minute).Format(samlTime))
					c.CreateAttr("NotOnOrAfter", end)
				}
				if d := a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"); d != nil {
					d.CreateAttr("NotOnOrAfter", end)
				}
			})
			m.note("NotOnOrAfter 10 min in the past")
			return nil
		}},
	{ID: "saml.time.not-yet-valid", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "Conditions NotBefore 10 minutes in the future",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLCore},
		Weakness: "does not check NotBefore", Fix: "refuse assertions before Conditions NotBefore (with at most a few minutes of skew)",
		saml: func(m *samlMint, _ int) error {
			m.edit(func(resp, a *etree.Element) {
				if c := a.FindElement("./Conditions"); c != nil {
					c.CreateAttr("NotBefore", m.now.Add(10*time.Minute).Format(samlTime))
				}
			})
			m.note("NotBefore 10 min in the future")
			return nil
		}},
	{ID: "saml.audience.wrong", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "Audience is another app's identifier (" + otherAppURL + ")",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLProfile, refSAMLCore},
		Weakness: "does not check AudienceRestriction (accepts assertions issued to other apps)", Fix: "require an Audience equal to the SP's entity ID",
		saml: func(m *samlMint, _ int) error {
			m.edit(func(resp, a *etree.Element) {
				if au := a.FindElement("./Conditions/AudienceRestriction/Audience"); au != nil {
					au.SetText(otherAppURL)
				}
			})
			m.note("Audience %s", otherAppURL)
			return nil
		}},
	{ID: "saml.audience.missing", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "no AudienceRestriction at all",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLProfile + ": bearer assertions MUST contain an AudienceRestriction"},
		Weakness: "accepts an assertion without AudienceRestriction", Fix: "require an AudienceRestriction naming the SP",
		saml: func(m *samlMint, _ int) error {
			m.edit(func(resp, a *etree.Element) {
				if c := a.FindElement("./Conditions"); c != nil {
					if ar := c.FindElement("./AudienceRestriction"); ar != nil {
						c.RemoveChild(ar)
					}
				}
			})
			m.note("AudienceRestriction removed")
			return nil
		}},
	{ID: "saml.destination.wrong", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "Response Destination is another app's ACS (" + otherAppURL + ")",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{"SAML 2.0 Bindings §3.5.5.2 (Destination)", refSAMLProfile},
		Weakness: "does not check the Response's Destination", Fix: "require Destination to equal the URL the Response was received at",
		saml: func(m *samlMint, _ int) error {
			m.edit(func(resp, a *etree.Element) { resp.CreateAttr("Destination", otherAppURL) })
			m.note("Destination %s", otherAppURL)
			return nil
		}},
	{ID: "saml.recipient.wrong", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "SubjectConfirmationData Recipient is another app's ACS (" + otherAppURL + ")",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLProfile},
		Weakness: "does not check SubjectConfirmationData Recipient", Fix: "require Recipient to equal the SP's ACS URL",
		saml: func(m *samlMint, _ int) error {
			m.edit(func(resp, a *etree.Element) {
				if d := a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"); d != nil {
					d.CreateAttr("Recipient", otherAppURL)
				}
			})
			m.note("Recipient %s", otherAppURL)
			return nil
		}},
	{ID: "saml.inresponseto.wrong", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "InResponseTo (Response and SubjectConfirmationData) names another AuthnRequest",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLProfile},
		Weakness: "does not match InResponseTo against the requests this browser made", Fix: "keep the AuthnRequest ID per browser and require InResponseTo to match it",
		saml: func(m *samlMint, _ int) error {
			other := "_" + m.s.rand.guid()
			m.edit(func(resp, a *etree.Element) {
				resp.CreateAttr("InResponseTo", other)
				if d := a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"); d != nil {
					d.CreateAttr("InResponseTo", other)
				}
			})
			m.note("InResponseTo %s", other)
			return nil
		}},
	{ID: "saml.issuer.wrong", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "Issuer (Response and Assertion) is another tenant's https://sts.windows.net/" + otherTenantID + "/",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLProfile},
		Weakness: "does not check the Issuer", Fix: "require Issuer https://sts.windows.net/{your tenant ID}/ (the metadata's entityID)",
		saml: func(m *samlMint, _ int) error {
			iss := "https://sts.windows.net/" + otherTenantID + "/"
			m.edit(func(resp, a *etree.Element) {
				for _, el := range []*etree.Element{child(resp, "Issuer"), child(a, "Issuer")} {
					if el != nil {
						el.SetText(iss)
					}
				}
			})
			m.note("Issuer %s", iss)
			return nil
		}},
	{ID: "saml.replay", Protocol: ProtocolSAML, Flow: FlowReplay,
		Description: "the same valid Response posted twice, the second time from a new browser context",
		Expect:      Expectation{Verdict: VerdictProfile, Default: VerdictReject, Note: "an SP that binds InResponseTo to the browser refuses it too"},
		References:  []string{refSAMLProfile + " (one-time use of bearer assertions)"},
		Weakness:    "has no replay cache of assertion IDs", Fix: "remember accepted Assertion IDs until their NotOnOrAfter and refuse a second use",
		saml: noop},
	{ID: "saml.status.responder", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "an error Response: Status Requester/RequestDenied with an AADSTS50105 StatusMessage, no assertion",
		Expect:      Expectation{Verdict: VerdictReject, Note: "with an error page, not a 500"}, References: []string{refEntraSAML + " (error response)"},
		Weakness: "answers Entra's error Response with a server error", Fix: "show the StatusMessage (AADSTS code) on an error page",
		saml: func(m *samlMint, _ int) error { m.deliver = deliverStatus; m.note("error Status Response"); return nil }},
	{ID: "saml.binding.redirect-response", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "the (valid) Response delivered by HTTP-Redirect (GET with a DEFLATE-encoded SAMLResponse)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refSAMLProfile + " §4.1.2: the Response MUST use HTTP-POST or Artifact"},
		Weakness: "accepts a Response by HTTP-Redirect", Fix: "take SAMLResponse only from a POST body",
		saml: func(m *samlMint, _ int) error {
			m.deliver = deliverRedirect
			m.note("delivered by HTTP-Redirect")
			return nil
		}},
}
