package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/cli"
	"github.com/ssoharness/ssoharness/reports"
)

// Options tune a run.
type Options struct {
	// Only and Skip select checks by ID or glob (see Select).
	Only, Skip []string
	// Parallel is how many checks run at once (default 1). Checks that change state every
	// browser context sees (key rotation) run alone whatever the setting.
	Parallel int
	// ReportDir receives screenshots (and, from the caller, the reports). Empty: no
	// screenshots.
	ReportDir string
	// Browser says which browser to use; the run adds the target's host mappings and the
	// IdP's CA.
	Browser BrowserOptions
	// Reuse is a browser launched before (LaunchBrowser), e.g. one per test process, that
	// the run uses instead of launching its own when it maps exactly the run's host names and
	// trusts every certificate the run needs (see Browser.serves); otherwise the run
	// launches its own as usual. The run does not close it. Each check still gets a fresh
	// browser context (its own cookies, storage, cache and connections).
	Reuse *Browser
	// PageTimeout bounds each page wait of a check: from an action (open a URL, submit a
	// form) until the page is at rest (default 30 s).
	PageTimeout time.Duration
	// CheckTimeout bounds a whole check, every browser context and sign-in of it (default
	// 2 min). A check that runs out of time is an error, whatever it saw until then: a
	// refusal cannot be told from a hang, so it is never counted as a pass.
	CheckTimeout time.Duration
	// Screenshots says when to take them: "key" (default: the IdP's page and the outcome),
	// "all" (every step) or "none".
	Screenshots string
	// KeyRefetchWait is how long oidc.key.rotation waits between its first sign-in and the
	// one signed with a new key: past the refetch limit an RP may put on its key set (many
	// allow one refetch a minute), so that such an RP is not failed for it. Default 61 s;
	// negative: no wait (for RPs known to refetch at once).
	KeyRefetchWait time.Duration
	// OnStart is called once the browser runs, with the run header and the number of checks.
	OnStart func(r *reports.Run, total int)
	// Progress is called after each check (from several goroutines with Parallel > 1).
	Progress func(c reports.Check, done, total int)
	// Tool names the program in the report.
	Tool string
	// Shard runs one part of the run (see Shard); the zero value runs it all.
	Shard Shard
	// BrowserURLs are remote browsers' DevTools URLs: the run's browser pool, used instead of
	// Browser.URL and of a local browser. The shared checks are spread over the pool, each
	// browser running Parallel/len(BrowserURLs) of them at once (at least one); a browser
	// that is lost fails only the checks it was running (errors saying so), and the checks
	// not yet started go to the others. Each browser must resolve the target's and the IdP's
	// host names itself (Chromium's --host-resolver-rules, a grid's DNS).
	BrowserURLs []string
}

// Run runs the selected checks of the catalog against the environment's target, in a
// real browser, and returns the result every report is made from. An error means the run
// could not start (no browser, ...); checks that could not run are results with status
// error.
func Run(ctx context.Context, env *Env, o Options) (*reports.Run, error) {
	o.defaults()
	if o.Tool == "" {
		o.Tool = "ssoharness conformance " + cli.Version()
	}
	var all []Check
	for _, c := range Select(o.Only, o.Skip) {
		if slices.Contains(env.Target.Protocols(), c.Protocol) {
			all = append(all, c)
		}
	}
	if len(all) == 0 {
		return nil, errors.New("no check selected (see `conformance list`; --only/--skip take IDs and globs)")
	}
	checks := o.Shard.mine(all)
	if !slices.ContainsFunc(checks, func(c Check) bool { return c.scim == nil }) {
		return runSCIMOnly(ctx, env, o, checks, all), nil
	}
	if len(o.BrowserURLs) > 0 {
		o.Browser.URL = o.BrowserURLs[0]
	}
	sess, err := NewSession(ctx, env, o)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	pool, err := launchPool(ctx, sess.br, sess.bo, o.BrowserURLs)
	if err != nil {
		return nil, err
	}
	for _, p := range pool[1:] {
		defer p.br.Close()
	}
	o = sess.r.o
	run := sess.RunHeader()
	run.Browser = poolVersions(pool)
	if o.Shard.Count > 0 {
		run.Shard = o.Shard.header(env, o.Tool, all)
	}
	if o.OnStart != nil {
		o.OnStart(run, len(checks))
	}
	r := sess.r
	results := make([]reports.Check, len(checks))
	var mu sync.Mutex
	done := 0
	finish := func(i int, res reports.Check) {
		mu.Lock()
		results[i] = res
		done++
		n := done
		mu.Unlock()
		if o.Progress != nil {
			o.Progress(res, n, len(checks))
		}
	}
	// Shared checks first, in parallel over the pool; then the exclusive ones, one at a time;
	// then the findings, which read the others' evidence.
	var shared, exclusive, last []int
	for i, c := range checks {
		switch {
		case c.finding != nil:
			last = append(last, i)
		case c.Fault != nil && c.Fault.Exclusive, c.graph != nil:
			// Graph checks change state every check sees (armed Graph faults, admin consent).
			exclusive = append(exclusive, i)
		default:
			shared = append(shared, i)
		}
	}
	longestFirst(env.Target, checks, shared)
	r.schedule(ctx, pool, max(o.Parallel/len(pool), 1), checks, shared, finish)
	for _, i := range append(exclusive, last...) {
		p := alive(pool)
		if p == nil {
			res := resultOf(checks[i], time.Now())
			lostResult(&res, "not run: every browser of the pool was lost before the check could start")
			finish(i, res)
			continue
		}
		finish(i, r.runOnPool(ctx, p, checks[i]))
	}
	run.Checks = results
	run.Finished = time.Now()
	run.Recount()
	return run, nil
}

// defaults fills in the options left zero.
func (o *Options) defaults() {
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if o.PageTimeout == 0 {
		o.PageTimeout = 30 * time.Second
	}
	if o.CheckTimeout == 0 {
		o.CheckTimeout = 2 * time.Minute
	}
	if o.Screenshots == "" {
		o.Screenshots = "key"
	}
	if o.KeyRefetchWait == 0 {
		o.KeyRefetchWait = 61 * time.Second
	}
}

// errCheckTimeout is the cause of a check's context when its CheckTimeout ran out.
var errCheckTimeout = errors.New("check timeout")

// Session is a browser launched for an environment, running single checks: the API a test
// framework (see scenarios/ginkgosuite) uses to run the catalog one check at a time.
type Session struct {
	br *Browser
	bo BrowserOptions // what br was launched with (the target's hosts and CA added)
	r  *runner
	// reused: br is Options.Reuse, which Close leaves running.
	reused bool
}

// NewSession launches the browser for env (with the target's host mappings and the IdP's
// CA). Close it when done.
func NewSession(ctx context.Context, env *Env, o Options) (*Session, error) {
	o.defaults()
	bo := o.Browser
	// Copies: the caller's map and slice stay as they were.
	bo.Hosts = maps.Clone(bo.Hosts)
	if bo.Hosts == nil {
		bo.Hosts = map[string]string{}
	}
	bo.TrustCertificates = slices.Clone(bo.TrustCertificates)
	for h, ip := range env.Hosts {
		if _, ok := bo.Hosts[h]; !ok {
			bo.Hosts[h] = ip
		}
	}
	bo.TrustCertificates = append(bo.TrustCertificates, env.Trust...)
	// Certificates the SAML faults sign with are made (and published in the app's metadata)
	// now, for SPs that read the metadata once.
	var ids []idp.FaultID
	for _, f := range idp.Faults() {
		if f.Protocol == idp.ProtocolSAML {
			ids = append(ids, f.ID)
		}
	}
	if env.App != nil {
		if err := env.Server.PrepareFaults(ids...); err != nil {
			return nil, err
		}
	}
	if o.Reuse.serves(bo) {
		return &Session{br: o.Reuse, bo: bo, r: &runner{env: env, o: o}, reused: true}, nil
	}
	br, err := LaunchBrowser(ctx, bo)
	if err != nil {
		return nil, err
	}
	return &Session{br: br, bo: bo, r: &runner{env: env, o: o}}, nil
}

// Check runs one check and returns its result (it never panics; a check that cannot run
// is a result with status error).
func (s *Session) Check(ctx context.Context, c Check) reports.Check { return s.r.runOn(ctx, s.br, c) }

// Browser is the browser's product string.
func (s *Session) Browser() string { return s.br.Version() }

// Close stops the browser (unless it is Options.Reuse, which its owner closes).
func (s *Session) Close() {
	if !s.reused {
		s.br.Close()
	}
}

// Reused reports whether the session runs in Options.Reuse rather than a browser of its own.
func (s *Session) Reused() bool { return s.reused }

// urls lists the target's entry points for the report.
func (t *Target) urls() map[string]string {
	m := map[string]string{}
	if s := t.SAML; s != nil {
		for i, si := range s.SignIn {
			m[fmt.Sprintf("saml.signIn[%d] (%s)", i, si.Binding)] = si.URL
		}
	}
	if o := t.OIDC; o != nil {
		for i, si := range o.SignIn {
			m[fmt.Sprintf("oidc.signIn[%d] (%s)", i, si.ResponseMode)] = si.URL
		}
	}
	if t.SCIM != nil {
		m["scim.baseUrl"] = t.SCIM.BaseURL
	}
	return m
}

// runner runs single checks.
type runner struct {
	env *Env
	o   Options

	mu   sync.Mutex
	done []reports.Check // the results so far, for the findings
}

// checkRun is one check in progress: its result, its browser contexts and their tokens.
type checkRun struct {
	r      *runner
	br     *Browser // the browser the check runs in (one of the run's pool)
	check  Check
	res    *reports.Check
	tokens []string // the browser contexts' cookie tokens (their sign-ins in the IdP log)
	w      *walker  // the current browser context
	tabs   []*tab
	shots  string
}

// runOn runs one check in the browser br and never panics: a panic is an error result.
func (r *runner) runOn(ctx context.Context, br *Browser, c Check) (res reports.Check) {
	res = resultOf(c, time.Now())
	cr := &checkRun{r: r, br: br, check: c, res: &res}
	defer func() {
		if v := recover(); v != nil {
			res.Status, res.Diagnosis = reports.StatusError, fmt.Sprintf("internal error: %v", v)
		}
		for _, t := range cr.tabs {
			t.close()
		}
		res.SignInLog = cr.signInLog()
		res.IdPRequests = cr.idpRequests(cr.events())
		res.DurationMS = time.Since(res.Started).Milliseconds()
		if c.finding == nil {
			r.mu.Lock()
			r.done = append(r.done, res)
			r.mu.Unlock()
		}
	}()
	if ov := r.env.Target.override(c); ov != nil && ov.Expect == "skip" {
		res.Status, res.Reason = reports.StatusSkip, "waived by the target: "+ov.Reason
		return res
	}
	cctx, cancel := context.WithTimeoutCause(ctx, r.o.CheckTimeout, errCheckTimeout)
	defer cancel()
	switch {
	case c.finding != nil:
		r.mu.Lock()
		done := slices.Clone(r.done)
		r.mu.Unlock()
		// In catalog order, whatever order they ran in (longestFirst, parallel workers).
		slices.SortStableFunc(done, func(a, b reports.Check) int { return catalogPos(a) - catalogPos(b) })
		in := FindingInput{Protocol: c.Protocol, Results: done}
		if t := r.env.Target.SAML; t != nil {
			in.SignsRequests = t.SignsRequests
		}
		v := c.finding.judge(in)
		if v.Expected == "" {
			v.Expected = c.Expected
		}
		v.apply(&res)
		return res
	case c.config != nil:
		c.config.run(cr, cctx)
	case c.scim != nil:
		cr.runSCIM(cctx)
	case c.graph != nil:
		cr.runGraph(cctx)
	default:
		cr.runFault(cctx)
	}
	if context.Cause(cctx) == errCheckTimeout {
		// Whatever the check concluded from pages cut short, it did not finish.
		last := ""
		if cr.w != nil {
			tr := cr.w.tab.trace()
			for i := len(tr) - 1; i >= 0; i-- {
				if tr[i].MainFrame {
					last = fmt.Sprintf(" (last at %s %s)", tr[i].Method, tr[i].URL)
					break
				}
			}
		}
		res.Status, res.Observed = reports.StatusError, ""
		res.Diagnosis = fmt.Sprintf("the check did not finish within %s (per-check timeout)%s", r.o.CheckTimeout, last)
		res.Fix = ""
	}
	return res
}

// newContext opens a fresh browser context whose IdP requests carry a token of their own
// (armed with a fault, or just a marker), so the IdP's log can be read per check.
func (cr *checkRun) newContext(ctx context.Context, token string) (*walker, error) {
	if token == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		token = "ctx-" + hex.EncodeToString(b)
	}
	t, err := cr.br.newTab(ctx)
	if err != nil {
		return nil, err
	}
	cr.tabs = append(cr.tabs, t)
	if err := t.setCookie(cr.r.env.Server.URL, idp.FaultCookie, token); err != nil {
		return nil, fmt.Errorf("set the context cookie: %w", err)
	}
	cr.tokens = append(cr.tokens, token)
	w := &walker{tab: t, idpHost: cr.r.env.idpHost, timeout: cr.r.o.PageTimeout, all: cr.r.o.Screenshots == "all"}
	if cr.r.o.ReportDir != "" && cr.r.o.Screenshots != "none" {
		w.shotDir = cr.r.o.ReportDir
		w.shotBase = "screenshots/" + strings.NewReplacer(":", "-", "/", "-").Replace(cr.check.Key())
		if len(cr.tabs) > 1 {
			w.shotBase += fmt.Sprintf("-ctx%d", len(cr.tabs))
		}
		if len(cr.tabs) == 1 {
			// A rerun into the same directory must not mix old screenshots in.
			old, _ := filepath.Glob(filepath.Join(w.shotDir, filepath.FromSlash(w.shotBase)) + "*.png")
			for _, f := range old {
				_ = os.Remove(f)
			}
		}
	}
	if cr.w != nil {
		w.steps = cr.w.steps
	}
	cr.w = w
	return w, nil
}

// steps are the steps of every context of the check.
func (cr *checkRun) finishSteps() {
	if cr.w != nil {
		cr.res.Steps = cr.w.steps
	}
}

// events are the IdP's log entries of this check's contexts: their browser requests, and
// the back-channel requests (token, userinfo) of the same sign-ins.
func (cr *checkRun) events() []idp.Event {
	all := cr.r.env.Events()
	corr := map[string]bool{}
	for _, e := range all {
		if e.Context != "" && slices.Contains(cr.tokens, e.Context) {
			corr[e.CorrelationID] = true
		}
		if e.Fault != nil && slices.Contains(cr.tokens, e.Fault.Token) {
			corr[e.CorrelationID] = true
		}
	}
	var out []idp.Event
	for _, e := range all {
		if (e.Context != "" && slices.Contains(cr.tokens, e.Context)) || (e.CorrelationID != "" && corr[e.CorrelationID]) {
			out = append(out, e)
		}
	}
	return out
}

// signInLog converts the check's IdP events for the report.
func (cr *checkRun) signInLog() []reports.SignInEvent {
	var out []reports.SignInEvent
	var replicaOf map[string]string
	if len(cr.r.env.Replicas) > 1 {
		_, replicaOf = cr.r.env.replicaEvents()
	}
	for _, e := range cr.events() {
		se := reports.SignInEvent{Time: e.Time, Kind: string(e.Kind), Binding: e.Binding, Status: e.Status, ErrorCode: e.ErrorCode,
			FailureReason: e.FailureReason, User: e.UserPrincipalName, Replica: replicaOf[e.ID]}
		if len(e.Request) > 0 {
			se.Request = map[string]string{}
			for k, v := range e.Request {
				if k == "XML" {
					continue // shown decoded among the payloads
				}
				se.Request[k] = v
			}
		}
		if e.Fault != nil {
			se.Fault, se.Changed = string(e.Fault.ID), e.Fault.Changed
		}
		out = append(out, se)
	}
	return out
}

// idpRefusal is the first failure the IdP itself answered in this check (not a fault it
// minted on purpose), or nil.
func (cr *checkRun) idpRefusal() *idp.Event {
	for _, e := range cr.events() {
		if e.Status == idp.StatusFailure && e.ErrorCode != 0 && e.Fault == nil {
			return &e
		}
	}
	return nil
}

// minted is the fault minted in this check's sign-ins, if any.
func (cr *checkRun) minted() []*idp.MintedFault {
	var out []*idp.MintedFault
	for _, e := range cr.events() {
		if e.Fault != nil {
			out = append(out, e.Fault)
		}
	}
	return out
}

func (cr *checkRun) errorf(format string, args ...any) {
	cr.res.Status = reports.StatusError
	cr.res.Diagnosis = fmt.Sprintf(format, args...)
}

func (cr *checkRun) skip(reason string) {
	cr.res.Status, cr.res.Reason = reports.StatusSkip, reason
}

// hostOf is the host[:port] of a URL.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
