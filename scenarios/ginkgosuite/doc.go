// Package ginkgosuite exposes the conformance catalog as a Ginkgo v2 suite, so that a team
// runs the SSO checks against its own service provider from its own `go test` (or
// `ginkgo`), next to its other specs.
//
// # Quick start
//
// Describe the SP in a target file (docs/targets.md is the manual; fixtures/targets/examples
// has complete ones), start the SP, and add a suite_test.go:
//
//	package crm_test
//
//	import (
//		"testing"
//
//		. "github.com/onsi/ginkgo/v2"
//		. "github.com/onsi/gomega"
//
//		"github.com/ssoharness/ssoharness/scenarios"
//		"github.com/ssoharness/ssoharness/scenarios/ginkgosuite"
//	)
//
//	func TestSSO(t *testing.T) {
//		RegisterFailHandler(Fail)
//		RunSpecs(t, "SSO conformance")
//	}
//
//	var _ = ginkgosuite.Describe("Contoso CRM SSO", ginkgosuite.Config{
//		TargetFile: "testdata/sso-target.yaml",
//		Options: scenarios.Options{
//			Skip:      []string{"saml.xsw.*"}, // IDs and globs, as `conformance run --skip`
//			ReportDir: "sso-report",           // screenshots + junit.xml, report.json, index.html
//		},
//	})
//
// Then:
//
//	go test ./...                                                # every selected check
//	ginkgo --label-filter='saml && reject' --json-report=r.json  # the SAML checks that must refuse
//	ginkgo --focus='oidc.id_token'                               # by entry name (the check key)
//
// # What the suite does
//
// [Describe] registers an Ordered, ContinueOnFailure container with one table entry per
// selected check, named by the check's key (the ID; "saml:config.redirect-uri" for the
// misconfiguration checks that exist once per protocol) and labelled with the protocol
// ("saml", "oidc"), the kind ("fault", "config"), the catalog's expected verdict ("accept",
// "reject", "warn", "configured") and the ID. BeforeAll starts the mock IdP for the target
// (or calls [Config].Env) and one headless Chromium; each entry runs one check in a fresh
// browser context; AfterAll closes everything and, with Options.ReportDir, writes the same
// JUnit, JSON and HTML reports as `conformance run`.
//
// Verdicts map to Ginkgo outcomes: pass passes; warn and waived pass with a report entry
// that is always printed (ssoharness.warning with the diagnosis and fix, ssoharness.waived
// with the target's reason); skip is Skip(reason), e.g. "the target declares no SAML
// sign-in with the HTTP-POST binding"; fail and error fail the spec with the check ID, the
// expected and observed outcome, the diagnosis and the fix. Every entry also carries a
// ssoharness.outcome report entry (shown on failure or with -v, and always in
// --json-report) whose JSON is
//
//	{"id", "protocol", "kind", "expected", "status", "observed", "diagnosis", "fix", "reason", "durationMs"}
//
// # Notes
//
//   - Chromium must be installed (scenarios.FindChromium; Options.Browser.Path or
//     Options.Browser.URL to choose one). Without it BeforeAll fails: the first entry
//     reports why and the others are skipped. A conformance suite that could not look is
//     not a passing one.
//   - The checks of one Describe run one after the other: Options.Parallel is ignored. With
//     `ginkgo -p`, different Describe containers (different SPs) run in different processes.
//   - Do not nest Describe in another Ordered container (ContinueOnFailure is only allowed on
//     the outermost one).
//   - With only Config.Env (e.g. the built-in reference SPs of scenarios.StartReferenceEnv),
//     the protocols are known only once the Env runs: the entries cover both protocols and
//     those the Env's target lacks are skipped.
package ginkgosuite
