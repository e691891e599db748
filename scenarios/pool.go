package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// pooled is one browser of the run's pool: the local browser, or one of the remote browsers
// of Options.BrowserURLs (a browser grid's sessions, browserless, Chromium started with
// --remote-debugging-port).
type pooled struct {
	br   *Browser
	name string          // how the reports name it: its DevTools URL, or "the local browser"
	lost <-chan struct{} // closed when the DevTools connection to it drops
}

// errBrowserLost is the cause of a check's context when its browser was lost.
var errBrowserLost = errors.New("browser lost")

// newPooled wraps a launched browser.
func newPooled(br *Browser, name string) *pooled {
	p := &pooled{br: br, name: name}
	if c := chromedp.FromContext(br.ctx); c != nil && c.Browser != nil {
		p.lost = c.Browser.LostConnection
	} else {
		p.lost = make(chan struct{})
	}
	return p
}

// isLost reports whether the connection to the browser has dropped.
func (p *pooled) isLost() bool {
	select {
	case <-p.lost:
		return true
	default:
		return false
	}
}

// launchPool connects to the remote browsers after the session's first one (urls[0] is the
// session's). Any browser that cannot be reached stops the run from starting: a pool smaller
// than asked for is a configuration mistake to fix, not to run around.
func launchPool(ctx context.Context, first *Browser, bo BrowserOptions, urls []string) ([]*pooled, error) {
	name := "the local browser"
	if len(urls) > 0 {
		name = "the browser " + urls[0]
	}
	pool := []*pooled{newPooled(first, name)}
	for _, u := range urls[min(1, len(urls)):] {
		o := bo
		o.URL = u
		br, err := LaunchBrowser(ctx, o)
		if err != nil {
			for _, p := range pool[1:] {
				p.br.Close()
			}
			return nil, fmt.Errorf("remote browser %s: %w", u, err)
		}
		pool = append(pool, newPooled(br, "the browser "+u))
	}
	return pool, nil
}

// poolVersions is the browsers' product strings, each once.
func poolVersions(pool []*pooled) string {
	var vs []string
	for _, p := range pool {
		if v := p.br.Version(); !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	return strings.Join(vs, ", ")
}

// runOnPool runs one check on a browser of the pool. The check's context ends when the
// browser is lost, and a check whose browser was lost while it ran is an error saying so,
// whatever it had seen: it did not finish.
func (r *runner) runOnPool(ctx context.Context, p *pooled, c Check) reports.Check {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-p.lost:
			cancel(errBrowserLost)
		case <-cctx.Done():
		}
	}()
	res := r.runOn(cctx, p.br, c)
	if p.isLost() && c.finding == nil {
		lostResult(&res, fmt.Sprintf("%s was lost while the check ran (its DevTools connection closed): the check did not finish; the run went on with the other browsers of the pool", p.name))
	}
	return res
}

// lostResult makes res an error result for why.
func lostResult(res *reports.Check, why string) {
	res.Status, res.Observed, res.Diagnosis, res.Fix, res.Reason = reports.StatusError, "", why, "", ""
}

// schedule runs the shared checks on the pool, per workers at once on each browser, from one
// queue: a browser's workers take the next check when they are free, and stop when their
// browser is lost, so the checks still queued go to the browsers left. Checks left when every
// browser is lost are errors.
func (r *runner) schedule(ctx context.Context, pool []*pooled, per int, checks []Check, idx []int, finish func(int, reports.Check)) {
	var mu sync.Mutex
	next := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= len(idx) {
			return 0, false
		}
		next++
		return idx[next-1], true
	}
	var wg sync.WaitGroup
	for _, p := range pool {
		for range min(per, max(len(idx), 1)) {
			wg.Go(func() {
				for !p.isLost() {
					i, ok := take()
					if !ok {
						return
					}
					finish(i, r.runOnPool(ctx, p, checks[i]))
				}
			})
		}
	}
	wg.Wait()
	for {
		i, ok := take()
		if !ok {
			return
		}
		res := resultOf(checks[i], time.Now())
		lostResult(&res, "not run: every browser of the pool was lost before the check could start")
		finish(i, res)
	}
}

// alive is the first browser of the pool not lost, or nil.
func alive(pool []*pooled) *pooled {
	for _, p := range pool {
		if !p.isLost() {
			return p
		}
	}
	return nil
}

// longestFirst orders the shared checks (indexes into checks) by the sign-ins they make,
// most first, keeping the catalog order among equals. The workers take checks in this
// order: a config check signs in once per sign-in URL of the target (four for the reference
// RPs) and takes as long as four single sign-ins, so started last — they come last in the
// catalog — the run ended with one worker still busy on them and the others idle. Only the
// order the checks start in changes: the report keeps the catalog order.
func longestFirst(t *Target, checks []Check, idx []int) {
	slices.SortStableFunc(idx, func(a, b int) int { return signInsOf(t, checks[b]) - signInsOf(t, checks[a]) })
}

// signInsOf is how many sign-ins a check makes, as far as the catalog says.
func signInsOf(t *Target, c Check) int {
	switch {
	case c.config != nil:
		n := 1
		if c.Protocol == string(idp.ProtocolSAML) && t.SAML != nil {
			n = len(t.SAML.SignIn)
		}
		if c.Protocol == string(idp.ProtocolOIDC) && t.OIDC != nil {
			n = len(t.OIDC.SignIn)
		}
		return max(n, 1)
	case c.Fault != nil:
		return max(c.Fault.SignIns, 1)
	}
	return 1
}

// catalogPos is a result's place in the catalog (past the end when it is not in it).
func catalogPos(c reports.Check) int {
	catalogIndex.once.Do(func() {
		catalogIndex.m = map[string]int{}
		for i, k := range Catalog() {
			catalogIndex.m[k.Protocol+"\x00"+k.ID] = i
		}
	})
	if i, ok := catalogIndex.m[c.Protocol+"\x00"+c.ID]; ok {
		return i
	}
	return len(catalogIndex.m)
}

// catalogIndex maps protocol and ID to the catalog position, made once.
var catalogIndex struct {
	once sync.Once
	m    map[string]int
}
