package scenarios_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ssoharness/ssoharness/refsp/refoidc"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// config.samesite in Chromium: the reference SPs' state cookies are SameSite=None; Secure
// (pass); with the state-cookie-no-samesite weakness they have no SameSite, which Chromium
// still sends on the IdP's cross-site POST, but only through its 2-minute Lax+POST
// exception (warn, with the SP's own setting as the fix).
var _ = Describe("config.samesite as Chromium behaves (SameSite)", Label("e2e"), func() {
	It("passes the strict reference SPs, naming the SameSite=None; Secure cookies the POST carried back", func() {
		run := runRef(scenarios.ReferenceOptions{}, nil, scenarios.Options{Only: []string{"config.samesite"}, Screenshots: "none"})
		s, o := find(run, "config.samesite", "SAML"), find(run, "config.samesite", "OIDC")
		Expect(s.Status).To(Equal(reports.StatusPass), "%s / %s", s.Observed, s.Diagnosis)
		Expect(s.Observed).To(MatchRegexp(`carried the SP's cookies refsaml_\w+_req_\S+ \(SameSite=None; Secure\)`))
		Expect(o.Status).To(Equal(reports.StatusPass), "%s / %s", o.Observed, o.Diagnosis)
		Expect(o.Observed).To(ContainSubstring("query: the response came back by a top-level GET"))
		Expect(o.Observed).To(ContainSubstring("refoidc_login (SameSite=None; Secure)"))
	})

	It("warns on a SAML SP whose request cookie has no SameSite, and it still signs in", func() {
		run := runRef(scenarios.ReferenceOptions{SAMLWeakness: refsaml.StateCookieNoSameSite, Protocols: []string{"SAML"}}, nil,
			scenarios.Options{Only: []string{"saml:config.samesite", "saml.sp.redirect"}, Screenshots: "none"})
		c := find(run, "config.samesite", "SAML")
		Expect(c.Status).To(Equal(reports.StatusWarn), "%s / %s", c.Observed, c.Diagnosis)
		Expect(c.Observed).To(MatchRegexp(`redirect: refsaml_\w+_req_\S+ \(no SameSite\) sent on the POST back only within Chromium's 2-minute Lax\+POST window`))
		Expect(c.Diagnosis).To(MatchRegexp(`carried refsaml_\w+_req_\S+ \(no SameSite attribute; set by https://` + scenarios.ReferenceSAMLHost + `:\d+/login`))
		Expect(c.Diagnosis).To(ContainSubstring("within 2 minutes"))
		Expect(c.Fix).To(And(ContainSubstring("refsaml"), ContainSubstring("http.SameSiteNoneMode")))
		Expect(find(run, "saml.sp.redirect", "SAML").Status).To(Equal(reports.StatusPass))
	})

	It("warns on an OIDC RP whose state cookie has no SameSite (form_post), not for its query sign-in", func() {
		run := runRef(scenarios.ReferenceOptions{OIDCWeakness: refoidc.StateCookieNoSameSite, Protocols: []string{"OIDC"}}, nil,
			scenarios.Options{Only: []string{"oidc:config.samesite", "oidc.code.form_post"}, Screenshots: "none"})
		c := find(run, "config.samesite", "OIDC")
		Expect(c.Status).To(Equal(reports.StatusWarn), "%s / %s", c.Observed, c.Diagnosis)
		Expect(c.Observed).To(ContainSubstring("form_post: refoidc_login (no SameSite) sent on the POST back only within Chromium's 2-minute Lax+POST window"))
		Expect(c.Observed).NotTo(ContainSubstring("query:"))
		Expect(c.Diagnosis).To(ContainSubstring("refoidc_login (no SameSite attribute; set by https://" + scenarios.ReferenceOIDCHost))
		Expect(c.Fix).To(ContainSubstring("refoidc"))
		Expect(find(run, "oidc.code.form_post", "OIDC").Status).To(Equal(reports.StatusPass))
	})
})
