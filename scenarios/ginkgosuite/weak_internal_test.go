package ginkgosuite

import (
	"context"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// The suite can fail: against a reference SP that does not check the Audience, the check
// saml.audience.wrong fails, and outcome turns that result into a Ginkgo failure that
// names the check, the expectation, what happened and the fix. (Running a nested Ginkgo
// suite to watch it fail is not possible in one process; this runs the same Session call
// an entry makes.)
func TestWeakReferenceFails(t *testing.T) {
	if _, err := scenarios.FindChromium(); err != nil {
		t.Skip(err)
	}
	t.Parallel() // with TestGinkgosuite: each has its own IdP, SPs and browser
	ctx := context.Background()
	env, _, err := scenarios.StartReferenceEnv(ctx, scenarios.ReferenceOptions{SAMLWeakness: refsaml.SkipAudience, Protocols: []string{"SAML"}, IdP: []idp.Option{idp.WithKeyGenerator(idptest.PooledKeys())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	sess, err := scenarios.NewSession(ctx, env, scenarios.Options{Screenshots: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	checks := scenarios.Select([]string{"saml.audience.wrong"}, nil)
	if len(checks) != 1 {
		t.Fatalf("selected %d checks", len(checks))
	}
	res := sess.Check(ctx, checks[0])
	if res.Status != reports.StatusFail {
		t.Fatalf("status %s (observed %q, diagnosis %q), want fail", res.Status, res.Observed, res.Diagnosis)
	}
	skip, fail, _ := outcome(res)
	if skip != "" || fail == "" {
		t.Fatalf("outcome: skip %q, fail %q; want a failure", skip, fail)
	}
	for _, want := range []string{"saml.audience.wrong failed", "expected:  reject", "observed:  accepted as", "diagnosis:", "fix:"} {
		if !strings.Contains(fail, want) {
			t.Errorf("failure message lacks %q:\n%s", want, fail)
		}
	}
	t.Logf("the Ginkgo failure message:\n%s", fail)
}
