package scenarios_test

import (
	"context"
	"fmt"
	"os"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// The suite's whole-catalog runs (the strict SPs, the weakened SPs at --parallel 4, the two
// IdP replicas) take most of its time, mostly waiting on pages one or two checks at
// a time. They start together when the suite starts, two at a time, each in an environment
// (IdP, SPs, HAProxy) and a browser of its own — they share no mutable state with each
// other or with the specs — and the containers that judge them wait for their results
// while the other specs run. Each run is exactly the run its container made before.

// bgRun is a whole-catalog run started at suite start (or by the first spec that needs
// it, when the suite runs only some specs).
type bgRun struct {
	f    func() (*reports.Run, string, error)
	once sync.Once
	done chan struct{}
	run  *reports.Run
	err  error
	skip string // why the run could not be made here (e.g. no HAProxy), for Skip
}

// afterForeground decorates the containers that judge a background run: they run after every
// other spec (Ginkgo runs higher priorities first, default 0), so that a spec waiting for its
// run does not hold up the specs that could run meanwhile. With Ginkgo's random order the
// replicas' container often came first and the suite waited minutes on it doing nothing else.
var afterForeground = SpecPriority(-1)

// bgSlots bounds how many background runs go at once.
var bgSlots = make(chan struct{}, 2)

// start starts the run once a slot is free (once).
func (b *bgRun) start() {
	b.once.Do(func() {
		b.done = make(chan struct{})
		go func() {
			defer close(b.done)
			bgSlots <- struct{}{}
			defer func() { <-bgSlots }()
			defer func() {
				if r := recover(); r != nil {
					b.err = fmt.Errorf("background run panicked: %v", r)
				}
			}()
			b.run, b.skip, b.err = b.f()
		}()
	})
}

// result starts the run if no one has and waits for it (failing, or skipping, the spec as
// it would have when the spec made the run itself).
func (b *bgRun) result() *reports.Run {
	GinkgoHelper()
	b.start()
	<-b.done
	if b.skip != "" {
		Skip(b.skip)
	}
	Expect(b.err).NotTo(HaveOccurred())
	return b.run
}

// refRun is runRef for a background run: no Gomega (it runs outside any spec), a browser
// of its own (the shared one runs the specs' checks, in one renderer).
func refRun(o scenarios.ReferenceOptions, adjust func(*scenarios.Target), ro scenarios.Options) (*reports.Run, string, error) {
	ctx := context.Background()
	o.IdP = append(o.IdP, idp.WithKeyGenerator(idptest.PooledKeys()))
	env, _, err := scenarios.StartReferenceEnv(ctx, o, adjust)
	if err != nil {
		return nil, "", err
	}
	defer env.Close()
	if ro.KeyRefetchWait == 0 {
		ro.KeyRefetchWait = -1 // the reference RPs refetch on an unknown kid at once
	}
	run, err := scenarios.Run(ctx, env, ro)
	return run, "", err
}

// strictDir receives the strict run's screenshots and reports (removed after the suite).
var strictDir = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp("", "ssoharness-e2e-strict-")
	if err != nil {
		panic(err)
	}
	return dir
})

// The background runs, in the order the suite starts them: the runs that wait on pages one
// check at a time first.
var (
	bgReplicas = &bgRun{f: func() (*reports.Run, string, error) {
		if skip, err := replicasUnavailable(); skip != "" || err != nil {
			return nil, skip, err
		}
		return refRun(scenarios.ReferenceOptions{}, func(t *scenarios.Target) { t.IdP.Replicas = 2 },
			scenarios.Options{Parallel: 1, Screenshots: "none"})
	}}
	bgStrict = &bgRun{f: func() (*reports.Run, string, error) {
		return refRun(scenarios.ReferenceOptions{}, nil, scenarios.Options{Parallel: 2, ReportDir: strictDir()})
	}}
	bgWeakP4 = &bgRun{f: func() (*reports.Run, string, error) {
		return refRun(weakFull, nil, scenarios.Options{Parallel: 4, Screenshots: "none"})
	}}
)

// startBackground starts every background run when the suite runs every spec (the
// BeforeSuite calls it); a focused or filtered run starts only those its specs ask for.
func startBackground() {
	c, _ := GinkgoConfiguration()
	if len(c.FocusStrings) > 0 || len(c.SkipStrings) > 0 || c.LabelFilter != "" || len(c.FocusFiles) > 0 || len(c.SkipFiles) > 0 {
		return
	}
	for _, b := range []*bgRun{bgReplicas, bgStrict, bgWeakP4} {
		b.start()
	}
}
