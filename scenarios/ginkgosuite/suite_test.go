package ginkgosuite_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// reportDir and progress are set and read by TestGinkgosuite around RunSpecs; the containers
// of the spec tree read reportDir when RunSpecs builds the tree.
var (
	reportDir string
	progress  struct {
		sync.Mutex
		checks []reports.Check
	}
)

func TestGinkgosuite(t *testing.T) {
	if _, err := scenarios.FindChromium(); err != nil {
		t.Skip(err)
	}
	t.Parallel() // with TestWeakReferenceFails: each has its own IdP, SPs and browser
	reportDir = t.TempDir()
	gomega.RegisterFailHandler(ginkgo.Fail)
	if !ginkgo.RunSpecs(t, "ginkgosuite") {
		return
	}
	// The specs passed; make sure the checks really ran (a skipped check passes the suite
	// too) and that AfterAll wrote the reports.
	progress.Lock()
	defer progress.Unlock()
	if len(progress.checks) != len(referenceChecks) {
		t.Fatalf("Progress saw %d checks, want %d", len(progress.checks), len(referenceChecks))
	}
	for _, c := range progress.checks {
		if c.Status != reports.StatusPass {
			t.Errorf("%s: status %s (%s), want pass", c.ID, c.Status, c.Observed)
		}
	}
	b, err := os.ReadFile(filepath.Join(reportDir, reports.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var run reports.Run
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	if run.Summary.Total != len(referenceChecks) || run.Summary.Pass != len(referenceChecks) {
		t.Errorf("report.json summary %+v, want %d passes", run.Summary, len(referenceChecks))
	}
	for _, f := range []string{reports.JUnitFile, reports.HTMLFile} {
		if _, err := os.Stat(filepath.Join(reportDir, f)); err != nil {
			t.Error(err)
		}
	}
	// What Ginkgo recorded (and --json-report writes): labels, the outcome entries, and the
	// run-time skip of the OIDC-only env.
	seen := 0
	for _, sr := range suiteReport.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt || len(sr.ContainerHierarchyTexts) < 2 {
			continue
		}
		switch sr.ContainerHierarchyTexts[1] {
		case "built-in reference SPs":
			seen++
			if sr.State != types.SpecStatePassed {
				t.Errorf("%s: %s", sr.FullText(), sr.State)
			}
			if ls := sr.Labels(); len(ls) != 4 {
				t.Errorf("%s: labels %v", sr.FullText(), ls)
			}
			if len(sr.ReportEntries) == 0 || sr.ReportEntries[0].Name != "ssoharness.outcome" ||
				!strings.Contains(sr.ReportEntries[0].StringRepresentation(), "pass (expected ") {
				t.Errorf("%s: report entries %v", sr.FullText(), sr.ReportEntries)
			}
		case "OIDC-only env":
			seen++
			if sr.State != types.SpecStateSkipped || sr.Failure.Message != "the target has no SAML section" {
				t.Errorf("%s: %s %q, want skipped: the target has no SAML section", sr.FullText(), sr.State, sr.Failure.Message)
			}
		}
	}
	if seen != len(referenceChecks)+1 {
		t.Errorf("the report has %d entries of the two containers, want %d", seen, len(referenceChecks)+1)
	}
}
