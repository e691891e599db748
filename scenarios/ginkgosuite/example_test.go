package ginkgosuite_test

import (
	"time"

	"github.com/ssoharness/ssoharness/scenarios"
	"github.com/ssoharness/ssoharness/scenarios/ginkgosuite"
)

// A team's suite_test.go, next to the code of their SP (the SP must be running, e.g.
// started by a BeforeSuite or by CI, at the URLs of the target file):
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
//		RunSpecs(t, "Contoso CRM SSO")
//	}
//
//	var _ = ginkgosuite.Describe("Contoso CRM", ginkgosuite.Config{
//		TargetFile: "testdata/sso-target.yaml",
//		Options: scenarios.Options{
//			Skip:         []string{"saml.xsw.*", "oidc:config.samesite"},
//			ReportDir:    "sso-report",
//			PageTimeout: 20 * time.Second,
//		},
//	})
//
// The same call, compiled with the package's tests (an example without output is not run:
// Describe must be called while Ginkgo builds the tree, not from a running test):
func Example() {
	cfg := ginkgosuite.Config{
		// The SP as docs/targets.md describes it; read when Describe is called.
		TargetFile: "testdata/sso-target.yaml",
		Options: scenarios.Options{
			// IDs and globs, as `conformance run --only/--skip`.
			Skip: []string{"saml.xsw.*", "oidc:config.samesite"},
			// Screenshots, and junit.xml, report.json and index.html after the last check.
			ReportDir:   "sso-report",
			PageTimeout: 20 * time.Second,
		},
	}
	// In the suite file: var _ = ginkgosuite.Describe(...) at the top level, or a call inside
	// a Ginkgo container.
	_ = ginkgosuite.Describe("Contoso CRM", cfg)
}
