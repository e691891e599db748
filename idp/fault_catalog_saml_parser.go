package idp

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// The SAML rows of issue 19 about how an SP parses and compares what it was sent: XML that
// changes meaning when an SP re-serialises it, URLs compared by prefix, and the "else
// reject" half of the IdP-initiated profile.

// Reference strings of these rows.
const (
	refXRV              = "mattermost/xml-roundtrip-validator advisories: CVE-2020-29509 (attributes), CVE-2020-29510 (directives), CVE-2020-29511 (elements) — Go encoding/xml round-trip instability"
	refCrewjamRoundTrip = "GHSA-4hq8-gmxx-h6w9 / CVE-2020-27846: crewjam/saml < 0.4.3 signature bypass through encoding/xml round trips"
	refSAMLBindingsDest = "SAML 2.0 Bindings §3.5.5.2 (Destination: the SP MUST check it is the location the message was received at)"
	refRubySAMLDoctype  = "GHSA-4vc4-m8qh-g8jm / CVE-2025-25291: ruby-saml authentication bypass due to DOCTYPE handling (REXML vs Nokogiri parser differential)"
	refRubySAMLNS       = "GHSA-754f-8gm6-c4r2 / CVE-2025-25292 and GHSA-9v8j-x534-2fx3 / CVE-2025-66567: ruby-saml authentication bypass due to namespace handling (parser differential)"
)

// lookalikeNS is the namespace of the namespace-confusion fault's evil Assertion: SAML's
// assertion namespace with a suffix, which a namespace-aware verifier does not take for it.
const lookalikeNS = nsAssertion + ":ssoharness-lookalike"

// Suffixes appended to the SP's own ACS URL by the prefix faults: the URL of another
// endpoint (in a multi-tenant SP, another customer's ACS) that merely starts with this one.
const prefixSuffix = "/other-tenant"

// Go ≤ 1.15's encoding/xml round-trip break of directives (CVE-2020-29510, the
// xml-roundtrip-validator's test input): the first directive's inner comment is dropped on
// decoding, so re-encoded it opens a comment and a quoted string that swallow the start of
// the second directive, and what that directive held becomes markup.
const (
	roundTripDirective1 = ` <<!-- -->!-->"--> " `
	roundTripDirective2 = ` ">" `
)

// samlParserCatalog are the rows of issue 19's parser, round-trip and comparison checks.
var samlParserCatalog = []*Fault{
	{ID: "saml.idp-initiated.disallowed", Protocol: ProtocolSAML, Flow: FlowIdPInitiated, Requires: []Requirement{RequiresSPInitiatedOnly},
		Description: "an unsolicited Response (no InResponseTo) from the User access URL, for an SP that does not take IdP-initiated sign-in",
		Expect: Expectation{Verdict: VerdictReject,
			Note: "the \"else reject\" half of saml.idp-initiated: run only when the target declares idpInitiated: false"},
		References: []string{refSAMLProfile + " §4.1.5 (unsolicited responses)", "SAML 2.0 Profiles §4.1.4.3 (InResponseTo)", refEntraSAML},
		Weakness:   "accepts an unsolicited Response although it does not take IdP-initiated sign-in (checks InResponseTo only when present)",
		Fix:        "when IdP-initiated sign-in is off, refuse a Response (and SubjectConfirmationData) without InResponseTo; require it to name a request this browser has pending",
		saml:       func(m *samlMint, _ int) error { m.note("unsolicited Response to an SP that disallows it"); return nil }},
	{ID: "saml.destination.prefix", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "Response Destination is the ACS URL with " + prefixSuffix + " appended: another endpoint's URL that merely starts with (and contains) the SP's",
		Expect:      Expectation{Verdict: VerdictReject},
		References:  []string{refSAMLBindingsDest, refSAMLProfile, "CWE-187 (partial string comparison)"},
		Weakness:    "compares the Response's Destination with the ACS URL by prefix or substring",
		Fix:         "compare Destination with the URL the Response was received at for equality (whole string, after normalising only scheme and host case)",
		saml: func(m *samlMint, _ int) error {
			m.edit(func(resp, _ *etree.Element) {
				resp.CreateAttr("Destination", resp.SelectAttrValue("Destination", "")+prefixSuffix)
			})
			m.note("Destination = ACS URL + %s", prefixSuffix)
			return nil
		}},
	{ID: "saml.recipient.prefix", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "SubjectConfirmationData Recipient is the ACS URL with " + prefixSuffix + " appended: another endpoint's URL that merely starts with (and contains) the SP's",
		Expect:      Expectation{Verdict: VerdictReject},
		References:  []string{refSAMLProfile + " (Recipient MUST be the location the assertion is delivered to)", "CWE-187 (partial string comparison)"},
		Weakness:    "compares SubjectConfirmationData's Recipient with the ACS URL by prefix or substring",
		Fix:         "compare Recipient with the SP's ACS URL for equality (whole string)",
		saml: func(m *samlMint, _ int) error {
			m.edit(func(_, a *etree.Element) {
				if d := a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"); d != nil {
					d.CreateAttr("Recipient", d.SelectAttrValue("Recipient", "")+prefixSuffix)
				}
			})
			m.note("Recipient = ACS URL + %s", prefixSuffix)
			return nil
		}},
	{ID: "saml.xml.roundtrip.directive", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "two crafted <!…> directives before the signed Assertion; the second holds an unsigned Assertion for another user that becomes markup once Go ≤ 1.15's encoding/xml decodes and re-encodes the Response",
		Expect: Expectation{Verdict: VerdictReject, OrSignedIdentity: true,
			Note: "an SP that ignores the directives and signs in the signed user was not fooled; one that refuses the directives is right too"},
		References: []string{refCrewjamRoundTrip, refXRV, "SAML 2.0 Bindings §3.5.4 / security considerations: no DTDs"},
		Weakness:   "verifies the signature on one parse and reads the identity from a re-serialised and re-parsed copy (encoding/xml round trip)",
		Fix:        "refuse markup declarations (<!…>) in a SAML message; read the identity from the very tree whose signature was verified, never from a re-encoded copy (run xml-roundtrip-validator first on Go)",
		saml: func(m *samlMint, _ int) error {
			m.then(func(doc *etree.Document, resp *etree.Element) error {
				evil, a, err := m.evilAssertion(resp)
				if err != nil {
					return err
				}
				ed := etree.NewDocument()
				ed.SetRoot(evil)
				x := string(writeXML(ed))
				// Inside a directive, quotes and comments are markup of the directive: the
				// Assertion must not contain either, or it would not stay hidden.
				if strings.ContainsAny(x, "'") || strings.Count(x, `"`)%2 != 0 || strings.Contains(x, "<!--") {
					return fmt.Errorf("the evil Assertion cannot be hidden in a directive (quotes or comments in it)")
				}
				i := a.Index()
				resp.InsertChildAt(i, etree.NewDirective(roundTripDirective1))
				resp.InsertChildAt(i+1, etree.NewDirective(roundTripDirective2+x))
				return nil
			})
			m.note("directives hiding an unsigned Assertion for %s (Go encoding/xml round trip)", m.s.victim(m.t, m.user).UserPrincipalName)
			return nil
		}},
	{ID: "saml.parser.dtd-attribute-default", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "an unsigned Assertion for another user in no namespace before the signed one, and a DOCTYPE whose <!ATTLIST Assertion xmlns …> default puts it in SAML's namespace for a parser that applies DTD attribute defaults",
		Expect: Expectation{Verdict: VerdictReject, OrSignedIdentity: true,
			Note: "an SP that ignores the DTD and signs in the signed user was not fooled (accepting a DOCTYPE at all is saml.xml.doctype)"},
		References: []string{refRubySAMLDoctype, "XML 1.0 §3.3.2 (attribute defaults)", "SAML 2.0 Bindings §3.5.4 / security considerations: no DTDs"},
		Weakness:   "verifies the signature with a parser that ignores the DTD and reads the identity with one that applies its attribute defaults (parser differential)",
		Fix:        "refuse any SAML message with a DOCTYPE; verify and read with one parser, from the element the signature covers",
		saml: func(m *samlMint, _ int) error {
			m.then(func(doc *etree.Document, resp *etree.Element) error {
				evil, a, err := m.evilAssertion(resp)
				if err != nil {
					return err
				}
				evil.RemoveAttr("xmlns") // in no namespace: not a SAML Assertion without the DTD
				resp.InsertChildAt(a.Index(), evil)
				doc.InsertChildAt(0, etree.NewDirective(`DOCTYPE samlp:Response [<!ATTLIST Assertion xmlns CDATA "`+nsAssertion+`">]`))
				return nil
			})
			m.note("DOCTYPE defaulting xmlns of an unsigned Assertion for %s", m.s.victim(m.t, m.user).UserPrincipalName)
			return nil
		}},
	{ID: "saml.parser.namespace-confusion", Protocol: ProtocolSAML, Flow: FlowSPInitiated,
		Description: "an unsigned Assertion for another user in a look-alike namespace (" + lookalikeNS + ") before the signed one: a reader that finds the Assertion by name, not namespace, reads it",
		Expect:      Expectation{Verdict: VerdictReject, OrSignedIdentity: true},
		References:  []string{refRubySAMLNS, "Namespaces in XML 1.0 §4 (an element is named by namespace URI and local name)"},
		Weakness:    "checks the signed Assertion by namespace but reads the identity from the first element named Assertion, whatever its namespace (namespace confusion)",
		Fix:         "look elements up by namespace URI and local name, never by prefix or local name alone; read only the element the verified signature covers",
		saml: func(m *samlMint, _ int) error {
			m.then(func(doc *etree.Document, resp *etree.Element) error {
				evil, a, err := m.evilAssertion(resp)
				if err != nil {
					return err
				}
				evil.CreateAttr("xmlns", lookalikeNS)
				resp.InsertChildAt(a.Index(), evil)
				return nil
			})
			m.note("unsigned Assertion for %s in the namespace %s", m.s.victim(m.t, m.user).UserPrincipalName, lookalikeNS)
			return nil
		}},
}

// evilAssertion is an unsigned copy of the Response's Assertion (a) with a new ID that names
// the victim.
func (m *samlMint) evilAssertion(resp *etree.Element) (evil, a *etree.Element, err error) {
	a = firstAssertion(resp)
	if a == nil {
		return nil, nil, fmt.Errorf("no Assertion")
	}
	evil = a.Copy()
	removeSignature(evil)
	evil.CreateAttr("ID", "_"+m.s.rand.guid())
	m.evilize(evil)
	return evil, a, nil
}
