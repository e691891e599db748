package scenarios_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/refsp"
	"github.com/ssoharness/ssoharness/refsp/refoidc"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// TestE2E runs the harness end to end: the built-in reference SPs, weakened ones and
// misconfigured ones, in headless Chromium (installed by `make test`).
func TestE2E(t *testing.T) {
	if _, err := scenarios.FindChromium(); err != nil {
		t.Skipf("%v — `make test` installs it", err)
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "conformance end to end")
}

// refTLS is the certificate every reference environment of the test process serves (the
// IdP and the SPs), and shared the browser launched once that trusts it: Chromium learns
// at launch which certificates to trust, so without one certificate each spec's run
// launched a browser of its own (a second or more of CPU each, dozens of specs).
var (
	refTLS tls.Certificate
	shared *scenarios.Browser
)

var _ = BeforeSuite(func() {
	var err error
	refTLS, err = scenarios.ReferenceCertificate()
	Expect(err).NotTo(HaveOccurred())
	shared, err = scenarios.LaunchBrowser(context.Background(), scenarios.BrowserOptions{
		Hosts:             map[string]string{scenarios.ReferenceIdPHost: "127.0.0.1", scenarios.ReferenceSAMLHost: "127.0.0.1", scenarios.ReferenceOIDCHost: "127.0.0.1"},
		TrustCertificates: []*x509.Certificate{refTLS.Leaf},
	})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(shared.Close)
	DeferCleanup(func() { _ = os.RemoveAll(strictDir()) })
	startBackground()
})

// runRef runs checks against reference SPs and returns the result. The run uses the shared
// browser when its environment is one the browser serves (the reference hosts, refTLS),
// and launches its own otherwise (the replicas' HAProxy has a certificate of its own).
func runRef(o scenarios.ReferenceOptions, adjust func(*scenarios.Target), ro scenarios.Options) *reports.Run {
	GinkgoHelper()
	ctx := context.Background()
	// Keys from the test binary's pool: every spec starts an IdP, whose dozen RSA keys would
	// otherwise cost half a second of CPU each time.
	o.IdP = append(o.IdP, idp.WithKeyGenerator(idptest.PooledKeys()))
	o.TLS = &refTLS
	ro.Reuse = shared
	env, _, err := scenarios.StartReferenceEnv(ctx, o, adjust)
	Expect(err).NotTo(HaveOccurred())
	defer env.Close()
	if ro.Parallel == 0 {
		ro.Parallel = 2
	}
	if ro.KeyRefetchWait == 0 {
		ro.KeyRefetchWait = -1 // the reference RPs refetch on an unknown kid at once
	}
	run, err := scenarios.Run(ctx, env, ro)
	Expect(err).NotTo(HaveOccurred())
	return run
}

// describeProblems formats the checks that did not pass, for failure messages.
// builtInStatus is what a check of the catalog earns against the built-in reference target
// when that is not a pass, and why:
//   - the checks for RPs that accept many tenants skip: its RPs are single-tenant (the oracle
//     matrix runs those checks against a multi-tenant refoidc);
//   - saml.idp-initiated.disallowed skips: its SAML SP takes IdP-initiated sign-in;
//   - oidc.request.response-mode warns: its "code id_token token" RP (there so that at_hash
//     is tested) takes an access token from the authorize endpoint, which RFC 9700 advises
//     against.
func builtInStatus(c reports.Check) reports.Status {
	if f, ok := idp.LookupFault(idp.FaultID(c.ID)); ok && slices.Contains(f.Requires, idp.RequiresMultiTenant) {
		return reports.StatusSkip
	}
	switch c.ID {
	case "saml.idp-initiated.disallowed":
		return reports.StatusSkip
	case "oidc.request.response-mode":
		return reports.StatusWarn
	}
	return reports.StatusPass
}

func describeProblems(run *reports.Run) string {
	var b strings.Builder
	for _, c := range run.Checks {
		if c.Status != builtInStatus(c) {
			fmt.Fprintf(&b, "\n  %s %s: %s — %s %s", c.Status, c.ID, c.Observed, c.Diagnosis, c.Reason)
		}
	}
	return b.String()
}

func find(run *reports.Run, id, protocol string) reports.Check {
	GinkgoHelper()
	for _, c := range run.Checks {
		if c.ID == id && (protocol == "" || c.Protocol == protocol) {
			return c
		}
	}
	Fail("no check " + id + " in the run")
	return reports.Check{}
}

var _ = Describe("the built-in reference SPs (strict)", Ordered, Label("e2e"), afterForeground, func() {
	var run *reports.Run
	var paths reports.Paths
	BeforeAll(func() {
		// The run of bgStrict: runRef(ReferenceOptions{}, nil, Options{Parallel: 2,
		// ReportDir: dir}) in a browser of its own, made in the background.
		dir := strictDir()
		run = bgStrict.result()
		var err error
		paths, err = reports.WriteAll(dir, run)
		Expect(err).NotTo(HaveOccurred())
	})

	It("pass the whole catalog", func() {
		// Every check but graph.*: the built-in directory has no app that imports users.
		want := 0
		for _, c := range scenarios.Catalog() {
			if c.Protocol != scenarios.ProtocolGraph {
				want++
			}
		}
		Expect(run.Checks).To(HaveLen(want))
		for _, c := range run.Checks {
			Expect(c.Status).To(Equal(builtInStatus(c)), "%s; checks that did not earn what they should:%s", c.ID, describeProblems(run))
		}
		Expect(run.ExitCode()).To(Equal(0))
	})

	It("record evidence: a timeline with screenshots, the payloads and the IdP's log", func() {
		c := find(run, "saml.audience.wrong", "SAML")
		Expect(c.Steps).NotTo(BeEmpty())
		Expect(slices.ContainsFunc(c.Steps, func(s reports.Step) bool { return s.Screenshot != "" })).To(BeTrue())
		for _, s := range c.Steps {
			if s.Screenshot != "" {
				Expect(filepath.Join(paths.Dir, s.Screenshot)).To(BeAnExistingFile())
			}
		}
		Expect(c.Payloads).To(ContainElement(HaveField("Kind", "SAMLResponse")))
		resp := c.Payloads[slices.IndexFunc(c.Payloads, func(p reports.Payload) bool { return p.Kind == "SAMLResponse" })]
		Expect(resp.Highlights).NotTo(BeEmpty(), "the changed audience is highlighted")
		Expect(c.SignInLog).To(ContainElement(HaveField("Fault", "saml.audience.wrong")))
		o := find(run, "oidc.id_token.wrong-aud", "OIDC")
		Expect(o.Payloads).To(ContainElement(HaveField("Kind", "id_token")))
	})

	It("write a JSON report that validates against its schema", func() {
		b, err := os.ReadFile(paths.JSON)
		Expect(err).NotTo(HaveOccurred())
		Expect(reports.ValidateJSON(b)).To(Succeed())
		back, err := reports.ReadJSON(strings.NewReader(string(b)))
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Summary).To(Equal(run.Summary))
	})

	It("write JUnit XML with one testcase per check", func() {
		b, err := os.ReadFile(paths.JUnit)
		Expect(err).NotTo(HaveOccurred())
		var doc struct {
			Tests int `xml:"tests,attr"`
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testsuite>testcase"`
		}
		Expect(xml.Unmarshal(b, &doc)).To(Succeed())
		Expect(doc.Cases).To(HaveLen(len(run.Checks)))
		Expect(doc.Tests).To(Equal(len(run.Checks)))
	})

	It("write an HTML report that opens in Chromium with no console errors", func() {
		problems := openInChromium(paths.HTML)
		Expect(problems).To(BeEmpty())
	})
})

// openInChromium loads a file in headless Chromium and returns the errors the page reports.
func openInChromium(file string) []string {
	GinkgoHelper()
	path, err := scenarios.FindChromium()
	Expect(err).NotTo(HaveOccurred())
	abs, _ := filepath.Abs(file)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(GinkgoT().TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	defer cancelAlloc()
	var mu sync.Mutex
	var problems []string
	bctx, cancelB := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, "console."+string(e.Type))
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				problems = append(problems, "log: "+e.Entry.Text)
			}
		}
	}))
	defer cancelB()
	_, err = chromedp.Call(bctx, runtime.Enable, cdp.Empty{})
	Expect(err).NotTo(HaveOccurred())
	_, err = chromedp.Call(bctx, cdplog.Enable, cdp.Empty{})
	Expect(err).NotTo(HaveOccurred())
	Expect(chromedp.Do(bctx, chromedp.Navigate((&url.URL{Scheme: "file", Path: abs}).String()))).To(Succeed())
	// Use the page: filter to failures, then expand every row.
	_, err = chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("tbody.check").length`))
	Expect(err).NotTo(HaveOccurred())
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	return problems
}

// weaknesses groups the catalog's faults by the reference SP weakness that lets them through.
func weaknesses() (saml map[refsaml.Weakness][]string, oidc map[refoidc.Weakness][]string) {
	saml, oidc = map[refsaml.Weakness][]string{}, map[refoidc.Weakness][]string{}
	for _, f := range idp.Faults() {
		if w, ok := refsp.SAMLWeakness(f.ID); ok {
			saml[w] = append(saml[w], string(f.ID))
		}
		if w, ok := refsp.OIDCWeakness(f.ID); ok {
			oidc[w] = append(oidc[w], string(f.ID))
		}
	}
	return saml, oidc
}

// goodSignIns are the accept checks of a protocol: a weakened SP must still pass them.
func goodSignIns(protocol idp.Protocol) []string {
	var out []string
	for _, f := range idp.Faults() {
		if f.Protocol == protocol && f.Expect.Expected() == idp.VerdictAccept {
			out = append(out, string(f.ID))
		}
	}
	return out
}

// expectCaught asserts that exactly the matching checks failed (or warned, for a profile
// whose default is warn), each with a diagnosis, and every other check passed.
func expectCaught(run *reports.Run, matching []string) {
	GinkgoHelper()
	for _, c := range run.Checks {
		f, _ := idp.LookupFault(idp.FaultID(c.ID))
		if slices.Contains(matching, c.ID) {
			want := reports.StatusFail
			if f.Expect.Expected() == idp.VerdictWarn {
				want = reports.StatusWarn
			}
			Expect(c.Status).To(Equal(want), "%s: %s (%s)", c.ID, c.Observed, c.Diagnosis)
			Expect(c.Diagnosis).NotTo(BeEmpty(), c.ID)
			Expect(c.Fix).NotTo(BeEmpty(), c.ID)
			if want == reports.StatusFail && f.Expect.Expected() == idp.VerdictReject && c.Observed != "" && strings.HasPrefix(c.Observed, "accepted") {
				Expect(c.Diagnosis).To(ContainSubstring(f.Weakness), "the diagnosis names the missing check")
			}
			continue
		}
		Expect(c.Status).To(Equal(builtInStatus(c)), "%s should pass on this SP: %s (%s)", c.ID, c.Observed, c.Diagnosis)
	}
}

var _ = Describe("weakened reference SPs", Label("e2e"), func() {
	samlW, oidcW := weaknesses()
	var samlEntries, oidcEntries []TableEntry
	for _, w := range slices.Sorted(maps.Keys(samlW)) {
		samlEntries = append(samlEntries, Entry(string(w), w, samlW[w]))
	}
	for _, w := range slices.Sorted(maps.Keys(oidcW)) {
		if w == refoidc.SkipTidCheck || w == refoidc.SkipKeyIssuerCheck {
			continue // their checks need a multi-tenant RP: refsp's oracle matrix runs them
		}
		oidcEntries = append(oidcEntries, Entry(string(w), w, oidcW[w]))
	}
	// The good sign-ins each entry runs are those through the code its weakness switches
	// (relevantGoods, weak_goods_e2e_test.go); weakFull runs them all.
	DescribeTable("a SAML SP with one check switched off fails exactly the matching checks, and still signs in good responses",
		func(w refsaml.Weakness, matching []string) {
			o, adjust, good := spInitiatedOnly(scenarios.ReferenceOptions{SAMLWeakness: w, Protocols: []string{"SAML"}}, matching)
			good = relevantGoods(idp.ProtocolSAML, good, matching)
			run := runRef(o, adjust, scenarios.Options{Only: append(slices.Clone(matching), good...)})
			expectCaught(run, matching)
		}, samlEntries)
	DescribeTable("an OIDC RP with one check switched off fails exactly the matching checks, and still signs in good responses",
		func(w refoidc.Weakness, matching []string) {
			run := runRef(scenarios.ReferenceOptions{OIDCWeakness: w, Protocols: []string{"OIDC"}}, nil,
				scenarios.Options{Only: append(slices.Clone(matching), relevantGoods(idp.ProtocolOIDC, goodSignIns(idp.ProtocolOIDC), matching)...)})
			expectCaught(run, matching)
		}, oidcEntries)
})

// expectFound asserts that the run's findings named in matching came out as the catalog
// expects of an SP lacking the behaviour (fail, or warn for a warn-level finding), with a
// diagnosis and a fix, and, with othersPass, that every other check passed.
func expectFound(run *reports.Run, matching []string, othersPass bool) {
	GinkgoHelper()
	expected := map[string]string{}
	for _, c := range scenarios.Catalog() {
		expected[c.Key()] = c.Expected
	}
	for _, c := range run.Checks {
		key := strings.ToLower(c.Protocol) + ":" + c.ID
		if c.Kind == scenarios.KindFinding && slices.Contains(matching, c.ID) {
			want := reports.StatusFail
			if expected[key] == "warn" {
				want = reports.StatusWarn
			}
			Expect(c.Status).To(Equal(want), "%s: %s (%s)", c.ID, c.Observed, c.Reason)
			Expect(c.Diagnosis).NotTo(BeEmpty(), c.ID)
			Expect(c.Fix).NotTo(BeEmpty(), c.ID)
			continue
		}
		if othersPass {
			Expect(c.Status).To(Equal(reports.StatusPass), "%s should pass on this SP: %s (%s%s)", c.ID, c.Observed, c.Diagnosis, c.Reason)
		}
	}
}

var _ = Describe("reference SPs whose requests lack a protection (request findings)", Label("e2e"), func() {
	var samlEntries, oidcEntries []TableEntry
	for _, w := range refsaml.Weaknesses() {
		if f := w.Findings(); len(f) > 0 {
			samlEntries = append(samlEntries, Entry(string(w), w, f))
		}
	}
	for _, w := range refoidc.Weaknesses() {
		if f := w.Findings(); len(f) > 0 {
			oidcEntries = append(oidcEntries, Entry(string(w), w, f))
		}
	}
	DescribeTable("a SAML SP is caught by the matching saml.request.* finding (and still signs in, unless Entra refuses its request)",
		func(w refsaml.Weakness, findings []string) {
			run := runRef(scenarios.ReferenceOptions{SAMLWeakness: w, Protocols: []string{"SAML"}}, nil,
				scenarios.Options{Only: append(slices.Clone(findings), "saml.sp.*"), Screenshots: "none"})
			// Entra refuses an AuthnRequest whose Destination is not its Login URL
			// (AADSTS75008), so that SP's sign-ins are errors.
			expectFound(run, findings, w != refsaml.WrongDestination)
		}, samlEntries)
	DescribeTable("an OIDC RP is caught by the matching oidc.request.* finding (and still signs in, unless Entra refuses its request)",
		func(w refoidc.Weakness, findings []string) {
			run := runRef(scenarios.ReferenceOptions{OIDCWeakness: w, Protocols: []string{"OIDC"}}, nil,
				scenarios.Options{Only: append(slices.Clone(findings), "oidc.code.*"), Screenshots: "none"})
			// Entra refuses an ID token in the query, so that RP's sign-ins are errors.
			expectFound(run, findings, w != refoidc.IDTokenInQuery)
		}, oidcEntries)
})

// weakFull are the SPs of the whole-catalog run against weakened SPs (bgWeakP4). It runs at
// --parallel 4 only: its verdicts are asserted check by check (expectCaught), so a second
// run at --parallel 1 added no evidence but 160 checks; --parallel 1 verdicts over the
// whole catalog come from the replicas run (strict SPs, exact verdicts), and the suite's
// wall time at --parallel 1 and 4 is a measurement (docs/PERFORMANCE.md), not a test.
var weakFull = scenarios.ReferenceOptions{SAMLWeakness: refsaml.SkipAudience, OIDCWeakness: refoidc.SkipNonceCheck}

var _ = Describe("the full catalog against weakened SPs, --parallel 4", Ordered, Label("e2e"), afterForeground, func() {
	var p4 *reports.Run
	BeforeAll(func() {
		// Made in the background, in an environment and a browser of its own.
		p4 = bgWeakP4.result()
	})
	It("fails exactly the checks the switched-off checks cover, over the whole catalog, with checks running 4 at a time", func() {
		samlW, oidcW := weaknesses()
		expectCaught(p4, append(slices.Clone(samlW[refsaml.SkipAudience]), oidcW[refoidc.SkipNonceCheck]...))
	})
})

var _ = Describe("misconfigurations", Label("e2e"), func() {
	It("finds a Reply URL that differs by a trailing slash (config.redirect-uri, AADSTS50011)", func() {
		run := runRef(scenarios.ReferenceOptions{Protocols: []string{"SAML"}, SAML: func(i int, c *refsaml.Config) {
			if i == 0 {
				c.ACSPath = "/saml/acs/"
			}
		}}, func(t *scenarios.Target) {
			// The admin typed the Reply URL without the slash the SP sends.
			t.SAML.ACSURLs[0] = strings.TrimSuffix(t.SAML.ACSURLs[0], "/")
		}, scenarios.Options{Only: []string{"saml:config.redirect-uri"}})
		c := find(run, "config.redirect-uri", "SAML")
		Expect(c.Status).To(Equal(reports.StatusFail))
		Expect(c.Observed).To(ContainSubstring("AADSTS50011"))
		Expect(c.Diagnosis).To(MatchRegexp(`the SP sent ACS https://\S+/saml/acs/ but Reply URLs are \[https://\S+/saml/acs, .*\] — trailing slash`))
		Expect(c.Fix).To(ContainSubstring("Basic SAML Configuration"))
	})

	It("names the rollout user who is not assigned (config.assignment, AADSTS50105)", func() {
		run := runRef(scenarios.ReferenceOptions{Protocols: []string{"SAML"}}, func(t *scenarios.Target) {
			t.Rollout = []string{"B.Simon@contoso.com", "MeganB@contoso.com"} // MeganB is in no assigned group
		}, scenarios.Options{Only: []string{"saml:config.assignment"}})
		c := find(run, "config.assignment", "SAML")
		Expect(c.Status).To(Equal(reports.StatusFail))
		Expect(c.Diagnosis).To(ContainSubstring("MeganB@contoso.com"))
		Expect(c.Diagnosis).NotTo(ContainSubstring("B.Simon"))
		Expect(c.Fix).To(ContainSubstring("Users and groups"))
	})

	It("finds a callback that takes only GET while the RP asks for form_post (config.method)", func() {
		run := runRef(scenarios.ReferenceOptions{Protocols: []string{"OIDC"}, OIDC: func(i int, c *refoidc.Config) {
			if c.ResponseMode == refoidc.ModeFormPost {
				c.CallbackMethods = []string{"GET"}
			}
		}}, nil, scenarios.Options{Only: []string{"oidc:config.method"}})
		c := find(run, "config.method", "OIDC")
		Expect(c.Status).To(Equal(reports.StatusFail))
		Expect(c.Diagnosis).To(And(ContainSubstring("response_mode=form_post"), ContainSubstring("405")))
		Expect(c.Fix).To(ContainSubstring("Route POST"))
	})

	It("reports a check the IdP refused as an error, never a pass", func() {
		run := runRef(scenarios.ReferenceOptions{Protocols: []string{"SAML"}}, func(t *scenarios.Target) {
			t.SAML.ACSURLs = []string{"https://" + scenarios.ReferenceSAMLHost + "/elsewhere"}
		}, scenarios.Options{Only: []string{"saml.audience.wrong", "saml.sp.redirect"}})
		for _, c := range run.Checks {
			Expect(c.Status).To(Equal(reports.StatusError), c.ID)
			Expect(c.Diagnosis).To(ContainSubstring("config.redirect-uri"))
		}
		Expect(run.ExitCode()).To(Equal(1))
	})
})

var _ = Describe("judging effects, not pages", Label("e2e"), func() {
	It("counts a refusal with HTTP 500 as a refusal, and reports the 500 once, with evidence, as sp.error-page", func() {
		rejects := []string{"saml.sig.none", "saml.audience.wrong", "saml.issuer.wrong", "saml.status.responder"}
		run := runRef(scenarios.ReferenceOptions{SAMLWeakness: refsaml.ErrorAs500, Protocols: []string{"SAML"}}, nil,
			scenarios.Options{Only: append(slices.Clone(rejects), "saml:sp.error-page"), Screenshots: "none"})
		findings := 0
		for _, c := range run.Checks {
			if c.Kind == scenarios.KindFinding {
				findings++
				Expect(c.Status).To(Equal(reports.StatusWarn), c.Observed)
				Expect(c.Observed).To(ContainSubstring("HTTP 500"))
				Expect(c.Fix).NotTo(BeEmpty())
				continue
			}
			Expect(c.Status).To(Equal(reports.StatusPass), "%s: %s (%s)", c.ID, c.Observed, c.Diagnosis)
		}
		Expect(findings).To(Equal(1))
	})

	It("fails an RP that never refetches its keys when its sign-in URL is the protected page, each sign-in reaching the IdP", func() {
		protected := func(t *scenarios.Target) {
			for i := range t.OIDC.SignIn {
				t.OIDC.SignIn[i].URL = strings.TrimSuffix(t.OIDC.SignIn[i].URL, "/login") + "/"
			}
		}
		for _, tc := range []struct {
			w    refoidc.Weakness
			want reports.Status
		}{{refoidc.Strict, reports.StatusPass}, {refoidc.StaticKeys, reports.StatusFail}} {
			run := runRef(scenarios.ReferenceOptions{OIDCWeakness: tc.w, Protocols: []string{"OIDC"}}, protected,
				scenarios.Options{Only: []string{"oidc.key.rotation", "oidc.clock.skew-ok"}, Screenshots: "none"})
			for _, c := range run.Checks {
				want := tc.want
				if c.ID == "oidc.clock.skew-ok" {
					want = reports.StatusPass
				}
				Expect(c.Status).To(Equal(want), "%s with %s: %s (%s)", c.ID, tc.w, c.Observed, c.Diagnosis)
				authorizes := 0
				for _, e := range c.SignInLog {
					if e.Kind == string(idp.EventAuthorize) && e.Status == idp.StatusSuccess {
						authorizes++
					}
				}
				Expect(authorizes).To(Equal(2), "%s: each of its two sign-ins reaches the IdP", c.ID)
			}
		}
	})
})

var _ = Describe("the per-check timeout", Label("e2e"), func() {
	It("turns a check that runs out of time into an error, never a pass or a fail", func() {
		// An SP whose ACS never answers: the IdP's Response is posted, and the browser waits.
		hang := make(chan struct{})
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(hang)
		t := &scenarios.Target{Name: "an SP that hangs", SAML: &scenarios.SAMLTarget{EntityID: "urn:example:hang",
			ACSURLs: []string{srv.URL + "/saml/acs"}, IdPInitiated: true}}
		Expect(t.Validate()).To(Succeed())
		ctx := context.Background()
		env, err := scenarios.Start(ctx, t, scenarios.StartOptions{})
		Expect(err).NotTo(HaveOccurred())
		defer env.Close()
		run, err := scenarios.Run(ctx, env, scenarios.Options{
			// A refusal is what this check expects: a hang must not pass for one.
			Only:     []string{"saml.audience.wrong", "saml.idp-initiated"},
			Parallel: 2,
			// 12 s, not less: under make test's load the browser can take several seconds to
			// reach the ACS, and the diagnosis must name where the check was stuck.
			Screenshots: "none", PageTimeout: time.Minute, CheckTimeout: 12 * time.Second,
			Browser: scenarios.BrowserOptions{TrustCertificates: []*x509.Certificate{srv.Certificate()}},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Checks).To(HaveLen(2))
		for _, c := range run.Checks {
			Expect(c.Status).To(Equal(reports.StatusError), "%s: %s", c.ID, c.Diagnosis)
			Expect(c.Diagnosis).To(HavePrefix("the check did not finish within 12s (per-check timeout)"), c.ID)
			Expect(c.Diagnosis).To(ContainSubstring(srv.URL+"/saml/acs"), "it says where it was stuck")
		}
	})
})
