package scenarios_test

import (
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// spInitiatedOnly adapts a reference run whose matching checks include one for SPs that do
// not take IdP-initiated sign-in (saml.idp-initiated.disallowed): the first SAML SP, where
// the IdP posts unsolicited Responses, refuses them, the target says so, and
// saml.idp-initiated (skipped on such a target) is no longer one of the good sign-ins.
// Other runs are returned as they are, with every good sign-in.
func spInitiatedOnly(o scenarios.ReferenceOptions, matching []string) (scenarios.ReferenceOptions, func(*scenarios.Target), []string) {
	good := goodSignIns(idp.ProtocolSAML)
	if !slices.ContainsFunc(matching, func(id string) bool {
		f, _ := idp.LookupFault(idp.FaultID(id))
		return slices.Contains(f.Requires, idp.RequiresSPInitiatedOnly)
	}) {
		return o, nil, good
	}
	o.SAML = func(_ int, c *refsaml.Config) { c.AllowIDPInitiated = false }
	adjust := func(t *scenarios.Target) { t.SAML.IdPInitiated = false }
	return o, adjust, slices.DeleteFunc(good, func(id string) bool { return id == "saml.idp-initiated" })
}

var _ = Describe("the IdP-initiated pair", Label("e2e"), func() {
	It("runs saml.idp-initiated.disallowed, and skips saml.idp-initiated, for an SP that does not take IdP-initiated sign-in", func() {
		o, adjust, _ := spInitiatedOnly(scenarios.ReferenceOptions{Protocols: []string{"SAML"}}, []string{"saml.idp-initiated.disallowed"})
		run := runRef(o, adjust, scenarios.Options{Only: []string{"saml.idp-initiated", "saml.idp-initiated.disallowed"}})
		c := find(run, "saml.idp-initiated.disallowed", "SAML")
		Expect(c.Status).To(Equal(reports.StatusPass), "%s (%s)", c.Observed, c.Diagnosis)
		Expect(c.Observed).To(HavePrefix("refused"))
		c = find(run, "saml.idp-initiated", "SAML")
		Expect(c.Status).To(Equal(reports.StatusSkip))
		Expect(c.Reason).To(ContainSubstring("saml.idpInitiated: false"))
	})
	It("skips saml.idp-initiated.disallowed for an SP that takes IdP-initiated sign-in", func() {
		run := runRef(scenarios.ReferenceOptions{Protocols: []string{"SAML"}}, nil, scenarios.Options{Only: []string{"saml.idp-initiated", "saml.idp-initiated.disallowed"}})
		Expect(find(run, "saml.idp-initiated", "SAML").Status).To(Equal(reports.StatusPass))
		c := find(run, "saml.idp-initiated.disallowed", "SAML")
		Expect(c.Status).To(Equal(reports.StatusSkip))
		Expect(c.Reason).To(ContainSubstring("saml.idpInitiated: true"))
	})
})
