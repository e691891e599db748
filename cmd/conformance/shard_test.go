package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// shardOnly is the subset of the catalog the shard test runs: 23 checks of both protocols,
// with the two exclusive checks (oidc.kid.absent-single, oidc.key.rotation), config checks
// and the findings, which only the merge can judge.
const shardOnly = "saml.sp.*,saml.xsw.1,saml.xsw.2,saml.audience.*,saml.sig.none,saml:config.method,saml:sp.error-page,saml.request.id," +
	"oidc.code.*,oidc.key.rotation,oidc.kid.absent-single,oidc.id_token.alg-none,oidc.id_token.wrong-aud,oidc.nonce.*," +
	"oidc:config.redirect-uri,oidc:sp.error-page,oidc.request.nonce,oidc.request.state"

// readReport reads and validates dir/report.json.
func readReport(t *testing.T, dir string) *reports.Run {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, reports.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := reports.ValidateJSON(b); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	r, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// verdicts is check key → status.
func verdicts(r *reports.Run) map[string]reports.Status {
	m := map[string]reports.Status{}
	for _, c := range r.Checks {
		m[c.Protocol+" "+c.ID] = c.Status
	}
	return m
}

// TestShardMerge runs a part of the catalog against the built-in reference SPs once whole
// and once in three shards at the same time, merges the shards, and compares: the same
// verdict for every check, the same exit status, and reports a single run would write
// (valid report.json, JUnit, self-contained HTML with the screenshots). Then the merge's
// refusals: a missing shard's checks are errors (exit 1), and parts of different runs are
// refused.
func TestShardMerge(t *testing.T) {
	if _, err := scenarios.FindChromium(); err != nil {
		t.Skip(err)
	}
	root := t.TempDir()
	dir := func(name string) string { return filepath.Join(root, name) }
	type result struct {
		code           int
		stdout, stderr string
	}
	results := make([]result, 4)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			args := []string{"run", "--only", shardOnly, "--parallel", "1"}
			if i == 0 {
				args = append(args, "--report-dir", dir("whole"))
			} else {
				args = append(args, "--report-dir", dir(fmt.Sprintf("shard%d", i)), "--shard", fmt.Sprintf("%d/3", i))
			}
			code, out, errb := runCLI(t, args...)
			results[i] = result{code, out, errb}
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 && r.code != exitFailure {
			t.Fatalf("run %d: exit %d\n%s\n%s", i, r.code, r.stdout, r.stderr)
		}
	}
	whole := readReport(t, dir("whole"))
	seen := map[string]int{}
	for i := 1; i <= 3; i++ {
		p := readReport(t, dir(fmt.Sprintf("shard%d", i)))
		if p.Shard == nil || p.Shard.Index != i || p.Shard.Count != 3 || len(p.Shard.Checks) != len(whole.Checks) {
			t.Fatalf("shard %d: header %+v", i, p.Shard)
		}
		for _, c := range p.Checks {
			seen[c.Protocol+" "+c.ID]++
			if c.Kind == scenarios.KindFinding {
				t.Errorf("shard %d judged the finding %s: only the merge can", i, c.ID)
			}
		}
		t.Logf("shard %d/3: %d checks, exit %d", i, len(p.Checks), results[i].code)
	}
	code, out, stderr := runCLI(t, "merge", "--report-dir", dir("merged"), dir("shard1"), dir("shard2"), dir("shard3"))
	if code != results[0].code {
		t.Errorf("merge: exit %d, the whole run's was %d\n%s\n%s", code, results[0].code, out, stderr)
	}
	merged := readReport(t, dir("merged"))
	if merged.Shard != nil {
		t.Error("the merged report still has a shard header")
	}
	want, got := verdicts(whole), verdicts(merged)
	if len(want) != 23 || len(got) != len(want) {
		t.Errorf("whole run %d checks, merged %d, want 23", len(want), len(got))
	}
	for k, st := range want {
		if got[k] != st {
			t.Errorf("%s: merged %q, whole run %q", k, got[k], st)
		}
	}
	findings := 0
	for _, c := range whole.Checks {
		if c.Kind == scenarios.KindFinding {
			findings++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s ran in %d shards", k, n)
		}
	}
	if len(seen)+findings != len(whole.Checks) {
		t.Errorf("the shards ran %d checks and left %d findings to the merge, the whole run has %d", len(seen), findings, len(whole.Checks))
	}
	for i, c := range merged.Checks {
		if c.ID != whole.Checks[i].ID || c.Protocol != whole.Checks[i].Protocol {
			t.Fatalf("merged check %d is %s, the whole run's %s: not in catalog order", i, c.ID, whole.Checks[i].ID)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir("merged"), reports.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(html, []byte("data:image/png;base64,")); n == 0 || bytes.Contains(html, []byte("screenshot missing")) {
		t.Errorf("merged HTML: %d inlined screenshots, missing ones: %v", n, bytes.Contains(html, []byte("screenshot missing")))
	}
	junit, err := os.ReadFile(filepath.Join(dir("merged"), reports.JUnitFile))
	if err != nil || bytes.Count(junit, []byte("<testcase ")) != 23 {
		t.Errorf("merged JUnit: %v, %d test cases", err, bytes.Count(junit, []byte("<testcase ")))
	}
	t.Logf("whole run: %+v exit %d; merged: %+v exit %d", whole.Summary, results[0].code, merged.Summary, code)

	// A shard that did not run: its checks are errors, and the merge fails.
	code, _, stderr = runCLI(t, "merge", "--report-dir", dir("partial"), dir("shard1"), dir("shard3"))
	partial := readReport(t, dir("partial"))
	if code != exitFailure || !strings.Contains(stderr, "no report of part 2/3") || partial.Summary.Error != len(readReport(t, dir("shard2")).Checks) {
		t.Errorf("merge without shard 2: exit %d, %+v\n%s", code, partial.Summary, stderr)
	}
	// Parts of different runs, or one part twice: refused, nothing written.
	b, _ := os.ReadFile(filepath.Join(dir("shard2"), reports.JSONFile))
	other := filepath.Join(root, "other")
	_ = os.MkdirAll(other, 0o755)
	_ = os.WriteFile(filepath.Join(other, reports.JSONFile), bytes.Replace(b, []byte(`"name": "`), []byte(`"name": "another `), 1), 0o644)
	for _, tc := range []struct {
		dirs []string
		want string
	}{
		{[]string{dir("shard1"), other, dir("shard3")}, "not of the same run"},
		{[]string{dir("shard1"), dir("shard1")}, "given twice"},
		{[]string{dir("shard1"), dir("whole")}, "not a part of a sharded run"},
	} {
		code, _, stderr := runCLI(t, append([]string{"merge", "--report-dir", dir("refused")}, tc.dirs...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("merge %v: exit %d, stderr %q, want it to say %q", tc.dirs, code, stderr, tc.want)
		}
	}
	if _, err := os.Stat(dir("refused")); err == nil {
		t.Error("a refused merge wrote reports")
	}
}

// TestShardUsage: a bad --shard or a merge without directories is the caller's mistake.
func TestShardUsage(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--shard", "4/3"}, {"run", "--shard", "0/3"}, {"run", "--shard", "1"}, {"run", "--shard", "a/b"},
		{"merge"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, args[len(args)-1]) && !strings.Contains(stderr, "merge needs") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}
