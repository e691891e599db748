package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/ssoharness/ssoharness/reports"
)

// Shard is one part of a run split over several machines or CI jobs: `conformance run
// --shard 2/3` runs the second of three parts. The zero Shard is the whole run.
//
// The partition is deterministic and needs no coordination between the parts: every part
// lists the run's applicable checks the same way (the catalog order, after --only/--skip and
// the target's protocols) and takes its share of them:
//
//   - the checks that may run in parallel are dealt round-robin over that list: the k-th
//     (from 0) goes to part k mod Count + 1, so the parts differ by one check at most;
//   - the exclusive checks (those that change state every browser context of the IdP sees,
//     such as its key set: oidc.key.rotation) all go to part 1, which runs them alone after its
//     other checks, as an unsharded run does; every part has its own mock IdP, so they never
//     change another part's IdP;
//   - the findings (sp.error-page, oidc.request.*) are judged over every other check's
//     evidence, so no part can judge them: each part lists them in its report's shard
//     header and the merge judges them over all the parts' results.
//
// No check needs another check's setup (each check arms its own fault in its own browser
// context), so no other check has to share a part.
type Shard struct {
	// Index is the part, 1 to Count.
	Index int
	// Count is the number of parts; 0 is the whole run.
	Count int
}

// ParseShard parses "i/n" (1 ≤ i ≤ n).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/3", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// part is the part (1 to s.Count) that runs checks[k] of the run's applicable checks; 0 for
// a finding, which the merge judges.
func (s Shard) part(checks []Check, k int) int {
	c := checks[k]
	switch {
	case c.finding != nil:
		return 0
	case c.Fault != nil && c.Fault.Exclusive:
		return 1
	}
	n := 0 // the position of c among the shared checks
	for _, o := range checks[:k] {
		if o.finding == nil && (o.Fault == nil || !o.Fault.Exclusive) {
			n++
		}
	}
	return n%s.Count + 1
}

// mine is the part's share of the run's applicable checks (all of them for the whole run).
func (s Shard) mine(checks []Check) []Check {
	if s.Count == 0 {
		return checks
	}
	var out []Check
	for k := range checks {
		if s.part(checks, k) == s.Index {
			out = append(out, checks[k])
		}
	}
	return out
}

// header is the part's report header: the whole run's check list and what the merge needs
// to judge the findings.
func (s Shard) header(env *Env, tool string, checks []Check) *reports.Shard {
	h := &reports.Shard{Index: s.Index, Count: s.Count, Catalog: catalogID(tool)}
	for _, c := range checks {
		h.Checks = append(h.Checks, c.Key())
		if c.finding == nil {
			continue
		}
		if ov := env.Target.override(c); ov != nil && ov.Expect == "skip" {
			if h.Waived == nil {
				h.Waived = map[string]string{}
			}
			h.Waived[c.Key()] = ov.Reason
		}
	}
	if t := env.Target.SAML; t != nil {
		h.SignsRequests = t.SignsRequests
	}
	return h
}

// catalogID identifies the program's catalog: a hash of the tool string (with its version)
// and every check's key, kind and expectation, in catalog order.
func catalogID(tool string) string {
	h := sha256.New()
	fmt.Fprintln(h, tool)
	for _, c := range Catalog() {
		fmt.Fprintln(h, c.Key(), c.Kind, c.Expected)
		if c.Fault != nil && c.Fault.Exclusive {
			fmt.Fprintln(h, "exclusive")
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
