package scenarios_test

import (
	"fmt"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ssoharness/ssoharness/fixtures/lb/haproxy"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// The whole catalog against the built-in reference SPs with the mock IdP as two replicas
// behind a round-robin HAProxy (idp.replicas: 2): every verdict is the one of the single-IdP
// run, and every check that made three or more requests to the IdP had them served by both
// replicas (HAProxy balances each request on its own). One check at a time, so that the
// round robin alternates within a check rather than between two checks in lockstep.
//
// Run alone: go test ./scenarios -run '^TestE2E$' -ginkgo.label-filter=replicas -v
// replicasUnavailable says why the replicas run cannot be made here (no HAProxy): a skip
// reason, or under CI=true an error (the run must not be skipped there).
func replicasUnavailable() (skip string, err error) {
	if _, err := haproxy.Binary(); err != nil {
		if os.Getenv("CI") == "true" {
			return "", err
		}
		return err.Error(), nil
	}
	return "", nil
}

var _ = Describe("the built-in reference SPs through two IdP replicas behind HAProxy", Ordered, Label("e2e", "replicas"), afterForeground, func() {
	var run *reports.Run
	BeforeAll(func() {
		// Made in the background (bgReplicas), in an environment and a browser of its own,
		// while other specs run: its HAProxy serves this run alone, so its round robin
		// still alternates within one check at a time.
		run = bgReplicas.result()
	})

	It("pass the whole catalog with the verdicts of one IdP", func() {
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
	})

	It("spread every sign-in over both replicas, as HAProxy's log shows", func() {
		signIns := 0
		var one []string
		for _, c := range run.Checks {
			if len(c.IdPRequests) < 3 {
				continue
			}
			signIns++
			seen := map[string]int{}
			for _, r := range c.IdPRequests {
				seen[r.Replica]++
			}
			if seen["r0"] == 0 || seen["r1"] == 0 {
				one = append(one, fmt.Sprintf("%s %s: %v", c.Protocol, c.ID, seen))
			}
			for _, e := range c.SignInLog {
				Expect(e.Replica).To(BeElementOf("r0", "r1"), "%s: a sign-in log event without its replica", c.ID)
			}
		}
		total := map[string]int{}
		requests := 0
		for _, c := range run.Checks {
			for _, r := range c.IdPRequests {
				total[r.Replica]++
				requests++
			}
		}
		fmt.Fprintf(GinkgoWriter, "%d checks with 3+ IdP requests; %d IdP requests of checks, per replica %v\n", signIns, requests, total)
		Expect(signIns).To(BeNumerically(">", len(run.Checks)/2), "most checks sign in")
		Expect(one).To(BeEmpty(), "checks whose requests all went to one replica:\n%s", strings.Join(one, "\n"))
	})
})
