package scenarios

import (
	"context"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/reports"
)

// TestShardPartition: every applicable check is in exactly one part, findings in none, the
// exclusive checks in part 1, and the shared checks dealt round-robin.
func TestShardPartition(t *testing.T) {
	all := Catalog()
	for n := 1; n <= 5; n++ {
		seen := map[string]int{}
		sizes := make([]int, n+1)
		for i := 1; i <= n; i++ {
			for _, c := range (Shard{Index: i, Count: n}).mine(all) {
				seen[c.Key()]++
				if c.Fault != nil && c.Fault.Exclusive && i != 1 {
					t.Errorf("%d parts: exclusive %s in part %d", n, c.ID, i)
				}
				if c.Fault == nil || !c.Fault.Exclusive {
					sizes[i]++
				}
			}
		}
		for _, c := range all {
			want := 1
			if c.finding != nil {
				want = 0
			}
			if seen[c.Key()] != want {
				t.Errorf("%d parts: %s in %d parts, want %d", n, c.Key(), seen[c.Key()], want)
			}
		}
		for i := 2; i <= n; i++ {
			if d := sizes[1] - sizes[i]; d < 0 || d > 1 {
				t.Errorf("%d parts: shared checks per part %v: not round-robin", n, sizes[1:])
			}
		}
	}
}

// TestShardMergeVerdicts runs a few checks against the reference SPs with a target that
// makes one check fail (an override expecting the SP to accept a wrong audience) and waives
// one finding, once whole and once in three parts, and merges the parts: the same verdict
// for every check and the same exit code (1) as the whole run.
func TestShardMergeVerdicts(t *testing.T) {
	if _, err := FindChromium(); err != nil {
		t.Skipf("%v — `make test` installs it", err)
	}
	ctx := context.Background()
	env, _, err := StartReferenceEnv(ctx, ReferenceOptions{IdP: []idp.Option{idp.WithKeyGenerator(idptest.PooledKeys())}}, func(tg *Target) {
		tg.Expectations = append(tg.Expectations,
			Override{Check: "saml.audience.wrong", Expect: "accept", Reason: "shard test: a failing verdict"},
			Override{Check: "oidc:sp.error-page", Expect: "skip", Reason: "shard test: a waived finding"})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	o := Options{Only: []string{"saml.sp.post,saml.audience.wrong,saml.sig.none,saml:sp.error-page,oidc.code.query,oidc.nonce.wrong,oidc:sp.error-page,oidc.request.state"},
		Parallel: 2, KeyRefetchWait: -1, Screenshots: "none"}
	whole, err := Run(ctx, env, o)
	if err != nil {
		t.Fatal(err)
	}
	var parts []*reports.Run
	for i := 1; i <= 3; i++ {
		o.Shard = Shard{Index: i, Count: 3}
		p, err := Run(ctx, env, o)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	merged, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if whole.ExitCode() != 1 || merged.ExitCode() != whole.ExitCode() {
		t.Errorf("exit code: whole %d, merged %d, want 1 both", whole.ExitCode(), merged.ExitCode())
	}
	if len(merged.Checks) != len(whole.Checks) {
		t.Fatalf("merged %d checks, whole %d", len(merged.Checks), len(whole.Checks))
	}
	for i, w := range whole.Checks {
		m := merged.Checks[i]
		if m.ID != w.ID || m.Protocol != w.Protocol || m.Status != w.Status {
			t.Errorf("check %d: merged %s %s %s, whole %s %s %s", i, m.Protocol, m.ID, m.Status, w.Protocol, w.ID, w.Status)
		}
	}
	t.Logf("whole %+v, merged %+v", whole.Summary, merged.Summary)
}
