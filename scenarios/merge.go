package scenarios

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/reports"
)

// Merge combines the reports of the parts of a sharded run (`conformance run --shard i/n`,
// each a report.json with a shard header) into the run one machine would have made: every
// part's checks in catalog order, the findings judged over all of them, the header's times
// spanning the parts. It refuses parts that are not of one run: another target or IdP,
// another program version or catalog, another check selection, the same part twice, or a
// check in two parts. A part that is missing is not refused: each of its checks is an error
// result saying which part did not report, so the merged run fails as the run would have if
// those checks could not run.
func Merge(parts []*reports.Run) (*reports.Run, error) {
	if len(parts) == 0 {
		return nil, errors.New("no report to merge")
	}
	first := parts[0]
	seen := map[int]bool{}
	for i, p := range parts {
		if p.Shard == nil {
			return nil, fmt.Errorf("report %d is not a part of a sharded run (no shard header): run each part with --shard i/n", i+1)
		}
		if err := sameRun(first, p); err != nil {
			return nil, fmt.Errorf("part %d/%d is not of the same run as part %d/%d: %w", p.Shard.Index, p.Shard.Count, first.Shard.Index, first.Shard.Count, err)
		}
		if seen[p.Shard.Index] {
			return nil, fmt.Errorf("part %d/%d is given twice", p.Shard.Index, p.Shard.Count)
		}
		seen[p.Shard.Index] = true
	}
	if id := catalogID(first.Tool); id != first.Shard.Catalog {
		return nil, fmt.Errorf("the parts were planned from another catalog (%s) than this program's (%s, %s): merge with the conformance version that ran them", first.Shard.Catalog, id, first.Tool)
	}
	catalog := map[string]Check{}
	for _, c := range Catalog() {
		catalog[c.Key()] = c
	}
	var planned []Check
	for _, k := range first.Shard.Checks {
		c, ok := catalog[k]
		if !ok {
			return nil, fmt.Errorf("check %s of the parts is not in this program's catalog", k)
		}
		planned = append(planned, c)
	}
	got := map[string]reports.Check{}
	for _, p := range parts {
		for _, c := range p.Checks {
			k := resultKey(c)
			if _, dup := got[k]; dup {
				return nil, fmt.Errorf("check %s is in two parts", k)
			}
			if !slices.Contains(first.Shard.Checks, k) {
				return nil, fmt.Errorf("part %d/%d ran %s, which is not in the run's check list", p.Shard.Index, p.Shard.Count, k)
			}
			got[k] = c
		}
	}
	out := mergedHeader(parts)
	var done []reports.Check
	for k, c := range planned {
		if c.finding != nil {
			continue
		}
		res, ok := got[c.Key()]
		if !ok {
			part := Shard{Count: first.Shard.Count}.part(planned, k)
			res = resultOf(c, time.Now())
			res.Status = reports.StatusError
			res.Diagnosis = fmt.Sprintf("not run: the check belongs to part %d/%d of the sharded run, whose report was not among the merged ones (the part did not run or its report.json was lost)", part, first.Shard.Count)
			got[c.Key()] = res
		}
		done = append(done, res)
	}
	for _, c := range planned {
		if c.finding == nil {
			out.Checks = append(out.Checks, got[c.Key()])
			continue
		}
		res := resultOf(c, out.Finished)
		if why, ok := first.Shard.Waived[c.Key()]; ok {
			res.Status, res.Reason = reports.StatusSkip, "waived by the target: "+why
		} else {
			v := c.finding.judge(FindingInput{Protocol: c.Protocol, Results: done, SignsRequests: first.Shard.SignsRequests})
			if v.Expected == "" {
				v.Expected = c.Expected
			}
			v.apply(&res)
		}
		out.Checks = append(out.Checks, res)
	}
	out.Recount()
	return out, nil
}

// Missing lists the parts ("i/n") of a sharded run that are not among parts.
func Missing(parts []*reports.Run) []string {
	if len(parts) == 0 || parts[0].Shard == nil {
		return nil
	}
	var out []string
	n := parts[0].Shard.Count
	for i := 1; i <= n; i++ {
		if !slices.ContainsFunc(parts, func(p *reports.Run) bool { return p.Shard != nil && p.Shard.Index == i }) {
			out = append(out, Shard{Index: i, Count: n}.String())
		}
	}
	return out
}

// sameRun says how two parts differ in what makes a run: its program, target, IdP, parts and
// check list (nil when they agree).
func sameRun(a, b *reports.Run) error {
	switch {
	case a.Tool != b.Tool:
		return fmt.Errorf("program %q, not %q", b.Tool, a.Tool)
	case a.Target.Name != b.Target.Name || !slices.Equal(a.Target.Protocols, b.Target.Protocols):
		return fmt.Errorf("target %q (%s), not %q (%s)", b.Target.Name, strings.Join(b.Target.Protocols, ", "), a.Target.Name, strings.Join(a.Target.Protocols, ", "))
	case !maps.EqualFunc(a.Target.URLs, b.Target.URLs, func(x, y string) bool { return portless(x) == portless(y) }):
		return fmt.Errorf("target %q with other sign-in URLs", b.Target.Name)
	case portless(a.IdP.URL) != portless(b.IdP.URL) || a.IdP.TenantID != b.IdP.TenantID:
		return fmt.Errorf("IdP %s (tenant %s), not %s (tenant %s)", b.IdP.URL, b.IdP.TenantID, a.IdP.URL, a.IdP.TenantID)
	case a.Shard.Count != b.Shard.Count:
		return fmt.Errorf("split into %d parts, not %d", b.Shard.Count, a.Shard.Count)
	case a.Shard.Catalog != b.Shard.Catalog:
		return fmt.Errorf("catalog %s, not %s (another conformance version)", b.Shard.Catalog, a.Shard.Catalog)
	case !slices.Equal(a.Shard.Checks, b.Shard.Checks):
		return fmt.Errorf("another check list (%d checks, not %d: different --only/--skip or target)", len(b.Shard.Checks), len(a.Shard.Checks))
	}
	return nil
}

// portless is a URL without its port: each part of a run may listen on ports of its own
// (the built-in reference SPs and an IdP whose listen address is :0 take free ones).
func portless(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Host = u.Hostname()
	return u.String()
}

// mergedHeader is the merged run's header: the first part's target and IdP, the parts'
// browsers, their parallelism added up, and the times spanning them all.
func mergedHeader(parts []*reports.Run) *reports.Run {
	out := &reports.Run{Tool: parts[0].Tool, Target: parts[0].Target, IdP: parts[0].IdP, Checks: []reports.Check{}}
	var browsers []string
	for _, p := range parts {
		if p.Browser != "" && !slices.Contains(browsers, p.Browser) {
			browsers = append(browsers, p.Browser)
		}
		out.Parallel += p.Parallel
		if out.Started.IsZero() || p.Started.Before(out.Started) {
			out.Started = p.Started
		}
		if p.Finished.After(out.Finished) {
			out.Finished = p.Finished
		}
	}
	out.Browser = strings.Join(browsers, ", ")
	return out
}

// resultKey is a result's check key (as Check.Key).
func resultKey(c reports.Check) string {
	return Check{ID: c.ID, Protocol: c.Protocol, Kind: c.Kind}.Key()
}

// resultOf is a check's result before it is judged.
func resultOf(c Check, at time.Time) reports.Check {
	return reports.Check{ID: c.ID, Protocol: c.Protocol, Kind: c.Kind, Description: c.Description, Expected: c.Expected,
		References: c.References, Started: at}
}

// MergeDirs reads the report.json of each part's report directory, merges them (see
// Merge), copies the parts' screenshots into out and writes the merged reports there
// (junit.xml, report.json and index.html with the screenshots inlined). The run is returned
// with the reports written even when parts are missing (their checks are errors); missing
// lists those parts.
func MergeDirs(dirs []string, out string) (run *reports.Run, paths reports.Paths, missing []string, err error) {
	var parts []*reports.Run
	for _, d := range dirs {
		f, err := os.Open(filepath.Join(d, reports.JSONFile))
		if err != nil {
			return nil, paths, nil, fmt.Errorf("%w", err)
		}
		r, err := reports.ReadJSON(f)
		f.Close()
		if err != nil {
			return nil, paths, nil, fmt.Errorf("%s: %w", d, err)
		}
		parts = append(parts, r)
	}
	if run, err = Merge(parts); err != nil {
		return nil, paths, nil, err
	}
	for i, p := range parts {
		for _, c := range p.Checks {
			for _, s := range c.Steps {
				if s.Screenshot == "" || filepath.Clean(dirs[i]) == filepath.Clean(out) {
					continue
				}
				if err := copyShot(dirs[i], out, s.Screenshot); err != nil {
					return nil, paths, nil, fmt.Errorf("screenshot of %s: %w", c.ID, err)
				}
			}
		}
	}
	paths, err = reports.WriteAll(out, run)
	return run, paths, Missing(parts), err
}

// copyShot copies a screenshot (rel is relative to the report directory, slash-separated and
// kept inside it) from one report directory to another. A screenshot the part lost is left
// out: the HTML report shows it as missing.
func copyShot(from, to, rel string) error {
	p := filepath.FromSlash(rel)
	if !filepath.IsLocal(p) {
		return fmt.Errorf("path %q is outside the report directory", rel)
	}
	src, err := os.Open(filepath.Join(from, p))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer src.Close()
	dst := filepath.Join(to, p)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
