package ginkgosuite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// Config says what to test: the target (Target, TargetFile or Env) and the run's options.
type Config struct {
	// Target is the SP under test, built in Go. Describe validates it (which fills in its
	// defaults). When both Target and TargetFile are set, Target wins.
	Target *scenarios.Target
	// TargetFile is a target YAML or JSON file (see docs/targets.md), read with
	// scenarios.LoadTarget when Describe is called, so that the entries can be limited to the
	// protocols the target has. A file that cannot be read or is invalid gives one failing
	// spec naming the problem.
	TargetFile string
	// Options select and tune the checks: Only and Skip (IDs and globs, see
	// scenarios.Select), ReportDir (screenshots, idp-ca.pem when the IdP serves TLS, and the
	// JUnit/JSON/HTML reports written when the container finishes), Browser, PageTimeout, CheckTimeout,
	// Screenshots, Tool, OnStart and Progress. Parallel is ignored: the checks of one
	// Describe run one after the other in one browser (Ginkgo parallelism is per process,
	// and the container is Ordered).
	Options scenarios.Options
	// Env, when set, is used instead of starting one from the target (e.g. the built-in
	// reference SPs: scenarios.StartReferenceEnv). It is called from BeforeAll with a
	// context that lives until AfterAll; the suite closes the Env it returns. With Env and
	// no Target or TargetFile, the entries cover both protocols and those of a protocol the
	// Env's target lacks are skipped when they run.
	Env func(ctx context.Context) (*scenarios.Env, error)
}

// Describe registers, at the place it is called (at the top level of a test file, with
// var _ = ginkgosuite.Describe(...), or inside a Ginkgo container), an Ordered container
// named name with one table entry per selected check: Entry(check.Key(), ...) labelled with
// the protocol ("saml" or "oidc"), the kind ("fault" or "config"), the catalog's expected
// verdict ("accept", "reject", "warn" or "configured") and the check ID, so that
// --label-filter can pick checks (e.g. --label-filter='saml && reject').
//
// The entries are made when Describe is called, from scenarios.Select(Options.Only,
// Options.Skip) limited to the protocols of Target or TargetFile (both protocols when only
// Env is given). BeforeAll starts the Env (Config.Env, or scenarios.Start from the target)
// and a scenarios.Session (one headless Chromium); AfterAll closes both and, when
// Options.ReportDir is set, writes the JUnit, JSON and HTML reports of the checks that ran
// with reports.WriteAll.
//
// Each entry runs the check and adds a report entry "ssoharness.outcome" with its result
// (status, expected, observed, diagnosis, fix, reason), so that ginkgo --json-report
// carries it. Then a skip becomes Skip(reason); pass, warn and waived pass (warn adds a
// "ssoharness.warning" report entry with the diagnosis and fix, waived a
// "ssoharness.waived" entry with the reason); fail and error fail the spec with the check
// ID, the expected and observed outcome, the diagnosis and the fix.
//
// The container is decorated Ordered and ContinueOnFailure, so one failing check does not
// stop the others; it must therefore not be nested inside another Ordered container. A
// failure to start (no Chromium, an IdP config that does not load, an SP whose metadata
// cannot be fetched) fails BeforeAll: the first entry reports the failure and Ginkgo skips
// the others. Describe returns true, like ginkgo.Describe, so it can initialise a
// package-level variable.
func Describe(name string, cfg Config) bool {
	// Ginkgo then reports the container and its entries at the caller's line.
	ginkgo.GinkgoHelper()
	checks, target, err := plan(cfg)
	if err != nil {
		return ginkgo.Describe(name, func() {
			ginkgo.It("has a valid configuration", func() { ginkgo.Fail(err.Error()) })
		})
	}
	if len(checks) == 0 {
		return ginkgo.Describe(name, func() {
			ginkgo.It("selects at least one check", func() {
				ginkgo.Fail(fmt.Sprintf("ginkgosuite: no check selected (only %q, skip %q, protocols of the target); see `conformance list` for the IDs", cfg.Options.Only, cfg.Options.Skip))
			})
		})
	}
	s := &suite{cfg: cfg, target: target, checks: checks}
	table := []any{s.check}
	for _, c := range checks {
		table = append(table, ginkgo.Entry(c.Key(), c, ginkgo.Label(labels(c)...)))
	}
	return ginkgo.Describe(name, ginkgo.Ordered, ginkgo.ContinueOnFailure, func() {
		ginkgo.BeforeAll(s.start)
		ginkgo.AfterAll(s.finish)
		ginkgo.DescribeTable("check", table...)
	})
}

// plan is what Describe registers: the selected checks, limited to the protocols of the
// target when it is known (Target, or TargetFile read now), and that target.
func plan(cfg Config) ([]scenarios.Check, *scenarios.Target, error) {
	t := cfg.Target
	switch {
	case t != nil:
		if err := t.Validate(); err != nil {
			return nil, nil, fmt.Errorf("ginkgosuite: Config.Target: %w", err)
		}
	case cfg.TargetFile != "":
		var err error
		if t, err = scenarios.LoadTarget(cfg.TargetFile); err != nil {
			return nil, nil, fmt.Errorf("ginkgosuite: Config.TargetFile: %w", err)
		}
	case cfg.Env == nil:
		return nil, nil, errors.New("ginkgosuite: Config needs a Target, a TargetFile or an Env")
	}
	protocols := []string{"SAML", "OIDC"}
	if t != nil {
		protocols = t.Protocols()
	}
	var out []scenarios.Check
	for _, c := range scenarios.Select(cfg.Options.Only, cfg.Options.Skip) {
		if slices.Contains(protocols, c.Protocol) {
			out = append(out, c)
		}
	}
	return out, t, nil
}

// suite is the state of one Describe container while it runs.
type suite struct {
	cfg    Config
	target *scenarios.Target
	checks []scenarios.Check

	ctx    context.Context // lives from BeforeAll to AfterAll (the browser's lifetime)
	cancel context.CancelFunc
	env    *scenarios.Env
	sess   *scenarios.Session
	run    *reports.Run
	total  int // checks of the env's protocols

	mu      sync.Mutex
	results []reports.Check
}

// start is the BeforeAll node: the Env, the browser, the run header.
func (s *suite) start(sc ginkgo.SpecContext) {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// An interrupt while starting stops the start; afterwards the context outlives the node.
	stop := context.AfterFunc(sc, s.cancel)
	defer stop()
	var err error
	if s.cfg.Env != nil {
		s.env, err = s.cfg.Env(s.ctx)
		if err == nil && s.env == nil {
			err = errors.New("Config.Env returned no Env")
		}
	} else {
		s.env, err = scenarios.Start(s.ctx, s.target, scenarios.StartOptions{})
	}
	if err != nil {
		s.env = nil
		ginkgo.Fail("ginkgosuite: start the environment: " + err.Error())
	}
	if ca := s.env.CAPEM(); s.env.Target.IdP.TLS && len(ca) > 0 && s.cfg.Options.ReportDir != "" {
		// As `conformance run` does: the mock's CA (new every run), for an SP that calls the
		// IdP's back channel and must trust it.
		err := os.MkdirAll(s.cfg.Options.ReportDir, 0o755)
		if err == nil {
			err = os.WriteFile(filepath.Join(s.cfg.Options.ReportDir, "idp-ca.pem"), ca, 0o644)
		}
		if err != nil {
			ginkgo.Fail("ginkgosuite: write idp-ca.pem: " + err.Error())
		}
	}
	o := s.cfg.Options
	o.Parallel = 1
	if o.Tool == "" {
		o.Tool = "ssoharness ginkgosuite"
	}
	s.cfg.Options = o
	if s.sess, err = scenarios.NewSession(s.ctx, s.env, o); err != nil {
		s.sess = nil
		ginkgo.Fail("ginkgosuite: browser session: " + err.Error())
	}
	for _, c := range s.checks {
		if slices.Contains(s.env.Target.Protocols(), c.Protocol) {
			s.total++
		}
	}
	s.run = s.sess.RunHeader()
	if o.OnStart != nil {
		o.OnStart(s.run, s.total)
	}
}

// check is the table body: one check of the catalog.
func (s *suite) check(sc ginkgo.SpecContext, c scenarios.Check) {
	if s.sess == nil {
		ginkgo.Fail("ginkgosuite: the environment did not start")
	}
	if !slices.Contains(s.env.Target.Protocols(), c.Protocol) {
		ginkgo.Skip(fmt.Sprintf("the target has no %s section", c.Protocol))
	}
	res := s.sess.Check(sc, c)
	s.mu.Lock()
	s.results = append(s.results, res)
	done := len(s.results)
	s.mu.Unlock()
	if s.cfg.Options.Progress != nil {
		s.cfg.Options.Progress(res, done, s.total)
	}
	skip, fail, entries := outcome(res)
	for _, e := range entries {
		ginkgo.AddReportEntry(e.name, e.value, e.visibility)
	}
	if skip != "" {
		ginkgo.Skip(skip)
	}
	if fail != "" {
		ginkgo.Fail(fail)
	}
}

// finish is the AfterAll node: the reports, then the browser and the Env are closed.
func (s *suite) finish() {
	defer func() {
		if s.sess != nil {
			s.sess.Close()
		}
		if s.env != nil {
			s.env.Close()
		}
		if s.cancel != nil {
			s.cancel()
		}
	}()
	if s.run == nil || s.cfg.Options.ReportDir == "" {
		return
	}
	s.mu.Lock()
	run := *s.run
	run.Checks = slices.Clone(s.results)
	s.mu.Unlock()
	run.Finished = time.Now()
	run.Recount()
	paths, err := reports.WriteAll(s.cfg.Options.ReportDir, &run)
	if err != nil {
		ginkgo.Fail("ginkgosuite: write the reports: " + err.Error())
	}
	fmt.Fprintf(ginkgo.GinkgoWriter, "ssoharness reports: %v\n", paths.List())
}
