package scenarios_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
)

// The weakened-SP table (e2e_test.go) shows that each SP with one check switched off fails
// exactly the matching checks and still signs in good responses. It used to run every good
// sign-in of the protocol (nine) beside the matching checks in each of its ~50
// environments: four fifths of its checks, most of them exercising SP code the weakness
// does not touch. Each entry now runs the good sign-ins that go through the code its
// weakness switches (relevantGoods); the whole-catalog runs of the strict SPs and of the
// weakened SPs (weakFull) still run every good sign-in, and refsp/refsaml's
// TestVariantMatrix delivers the benign Responses to every SAML variant.

// basicGoods are the plain sign-ins every weakened entry keeps: the SP still signs in.
var basicGoods = map[idp.Protocol][]string{
	idp.ProtocolSAML: {"saml.sp.redirect", "saml.sp.post"},
	idp.ProtocolOIDC: {"oidc.code.query", "oidc.code.form_post"},
}

// goodsByPrefix maps a matching check's ID prefix to the good sign-ins that exercise the
// same SP code (the accept side of the same validation), beyond those sharing its flow or
// a requirement (see relevantGoods).
var goodsByPrefix = []struct {
	prefix string
	goods  []string
}{
	{"saml.time.", []string{"saml.clock.skew-ok"}},
	{"saml.cert.", []string{"saml.cert.rollover", "saml.clock.skew-ok"}},
	{"saml.sig.", []string{"saml.cert.rollover", "saml.sig.digest-comment-benign"}},
	{"saml.xsw.", []string{"saml.sig.digest-comment-benign"}},
	{"saml.assertion.", []string{"saml.sig.digest-comment-benign"}},
	{"saml.parser.", []string{"saml.sig.digest-comment-benign"}},
	{"saml.xml.", []string{"saml.sig.digest-comment-benign"}},
	{"saml.nameid.", []string{"saml.sig.digest-comment-benign"}},
	{"saml.encrypted", []string{"saml.encrypted"}},
	{"saml.replay", []string{"saml.idp-initiated"}},
	{"saml.idp-initiated", []string{"saml.idp-initiated"}},
	{"oidc.id_token.expired", []string{"oidc.clock.skew-ok"}},
	{"oidc.id_token.missing-exp", []string{"oidc.clock.skew-ok"}},
	{"oidc.id_token.iat-stale", []string{"oidc.clock.skew-ok"}},
	{"oidc.id_token.missing-iat", []string{"oidc.clock.skew-ok"}},
	{"oidc.id_token.nbf-future", []string{"oidc.clock.skew-ok"}},
	{"oidc.id_token.bad-sig", []string{"oidc.kid.absent-single", "oidc.key.rotation"}},
	{"oidc.id_token.unknown-kid", []string{"oidc.kid.absent-single", "oidc.key.rotation"}},
	{"oidc.id_token.alg-confusion", []string{"oidc.kid.absent-single"}},
	{"oidc.header.", []string{"oidc.kid.absent-single"}},
	{"oidc.jwks.", []string{"oidc.kid.absent-single", "oidc.key.rotation"}},
	{"oidc.userinfo.", []string{"oidc.userinfo.get", "oidc.userinfo.post"}},
	{"oidc.hybrid.", []string{"oidc.code.pkce"}},
	{"config.ca.", []string{"config.ca.mfa"}},
	{"config.consent.", []string{"config.ca.mfa"}},
}

// relevantGoods are the good sign-ins of a protocol (among goods) that go through the SP
// code a weakness with these matching checks switches: the basic sign-ins; those that share
// a matching check's requirement (binding, encryption, form_post, PKCE, userinfo, ...) or
// its flow (IdP-initiated, replay, logout); and those goodsByPrefix pairs with a matching
// check.
func relevantGoods(protocol idp.Protocol, goods, matching []string) []string {
	want := map[string]bool{}
	for _, g := range basicGoods[protocol] {
		want[g] = true
	}
	for _, m := range matching {
		mf, _ := idp.LookupFault(idp.FaultID(m))
		for _, g := range goods {
			gf, _ := idp.LookupFault(idp.FaultID(g))
			if mf.Flow != idp.FlowSPInitiated && mf.Flow == gf.Flow {
				want[g] = true
			}
			if slices.ContainsFunc(gf.Requires, func(r idp.Requirement) bool { return slices.Contains(mf.Requires, r) }) {
				want[g] = true
			}
		}
		for _, p := range goodsByPrefix {
			if strings.HasPrefix(m, p.prefix) {
				for _, g := range p.goods {
					want[g] = true
				}
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(goods), func(g string) bool { return !want[g] || slices.Contains(matching, g) })
}

// TestRelevantGoods keeps the tables above honest: every good sign-in they name is an accept
// check of the catalog, and every prefix names at least one check.
func TestRelevantGoods(t *testing.T) {
	goods := append(goodSignIns(idp.ProtocolSAML), goodSignIns(idp.ProtocolOIDC)...)
	for p, gs := range basicGoods {
		for _, g := range gs {
			if f, ok := idp.LookupFault(idp.FaultID(g)); !ok || f.Protocol != p || !slices.Contains(goods, g) {
				t.Errorf("basicGoods: %s is not a good sign-in of %s", g, p)
			}
		}
	}
	for _, p := range goodsByPrefix {
		if !slices.ContainsFunc(idp.Faults(), func(f idp.Fault) bool { return strings.HasPrefix(string(f.ID), p.prefix) }) {
			t.Errorf("goodsByPrefix: no check starts with %s", p.prefix)
		}
		for _, g := range p.goods {
			if !slices.Contains(goods, g) {
				t.Errorf("goodsByPrefix %s: %s is not a good sign-in", p.prefix, g)
			}
		}
	}
	samlW, oidcW := weaknesses()
	for w, m := range samlW {
		t.Logf("saml %s: %v + %v", w, m, relevantGoods(idp.ProtocolSAML, goodSignIns(idp.ProtocolSAML), m))
	}
	for w, m := range oidcW {
		t.Logf("oidc %s: %v + %v", w, m, relevantGoods(idp.ProtocolOIDC, goodSignIns(idp.ProtocolOIDC), m))
	}
}
