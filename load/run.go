package load

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Run measures opts.Protocols one after the other against the server of opts.Server: it
// measures the cost of one RSA-2048 signature first (unless given), starts the server when
// opts.Server.Command is set (and stops it before returning, also when ctx is cancelled),
// then for each protocol runs opts.Concurrency virtual users for the warm-up and the
// measured window.
//
// The Result holds whatever was measured, also when an error is returned. The error is
// a *SignInError when sign-ins failed (the Result says how many and why), or the reason the
// run could not be made (bad options, server did not start, ctx cancelled).
func Run(ctx context.Context, opts Options) (Result, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Result{}, err
	}
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	res := Result{Flavor: o.Flavor.Name, ServerCommand: o.Server.Command, CPUs: runtime.NumCPU(), LoadAverage: loadAverage()}
	if o.SignatureCost > 0 {
		res.Signature = SignatureCost{PerSignature: o.SignatureCost, Given: true}
	} else {
		// Before the server starts and before the load: nothing competes with it.
		sc, err := MeasureSignatureCostWith(o.signer(), MinSignatures, MinSignatureTime)
		if err != nil {
			return res, fmt.Errorf("measuring the cost of an RSA-2048 signature: %w", err)
		}
		res.Signature = sc
		logf("RSA-2048 signature: %s CPU (%d signatures, %s)", fmtMs(sc.PerSignature), sc.Signatures, sc.Signer)
	}
	t, err := startTarget(ctx, o.Server, *o.Flavor, logf)
	defer t.stop()
	if t != nil {
		res.ServerPID = t.pid
		if t.url != nil {
			res.ServerURL = t.url.String()
		}
	}
	if err != nil {
		return res, err
	}
	for _, p := range o.Protocols {
		rr := runProtocol(ctx, o, t, p, res.Signature.PerSignature, logf)
		res.Runs = append(res.Runs, rr)
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if t.alive() != nil {
			break
		}
	}
	if !res.Signature.Given {
		t.stop() // the server is idle; stopped, it cannot compete either
		if sc, err := MeasureSignatureCostWith(o.signer(), MinSignatures, MinSignatureTime); err == nil {
			res.SignatureAfter = sc
		}
	}
	return res, res.Err()
}

// sample is one finished sign-in.
type sample struct {
	end  time.Time
	dur  time.Duration
	sigs int
	err  error
}

// runProtocol runs the warm-up and the measured window of one protocol.
func runProtocol(ctx context.Context, o Options, t *target, p Protocol, sigCost time.Duration, logf func(string, ...any)) RunResult {
	rr := RunResult{Protocol: p, Flavor: o.Flavor.Name, Concurrency: o.Concurrency, SignatureCost: sigCost}
	rr.Notes = append(rr.Notes, o.Flavor.Notes...)
	if t.pid == os.Getpid() {
		rr.Notes = append(rr.Notes, "the server runs inside the bench process: its CPU includes the client's")
	}
	logf("%s: %d virtual users, warm-up %v, measuring %v", p, o.Concurrency, o.Warmup, o.Duration)
	recs, c0, c1 := drive(ctx, o, t, p, &rr)

	var errs errorTally
	if err := t.alive(); err != nil {
		errs.add(err)
		rr.Errors++
	}
	durs, sigSum := rr.tally(recs, c0.at, c1.at, &errs)
	rr.ErrorSamples, rr.MoreErrorKinds = errs.top(5)
	rr.Window = c1.at.Sub(c0.at)
	rr.SignIns = len(durs)
	if rr.Window > 0 {
		rr.Rate = float64(rr.SignIns) / rr.Window.Seconds()
	}
	if n := len(durs); n > 0 {
		slices.Sort(durs)
		var sum time.Duration
		for _, d := range durs {
			sum += d
		}
		rr.Mean = sum / time.Duration(n)
		rr.P50, rr.P90, rr.P99, rr.Max = percentile(durs, 50), percentile(durs, 90), percentile(durs, 99), durs[n-1]
		rr.SignaturesPerSignIn = float64(sigSum) / float64(n)
		rr.ClientCPUPerSignIn = (c1.self - c0.self) / time.Duration(n)
	}
	rr.accountCPU(t, c0, c1, sigCost)
	logf("%s: done: %d sign-ins in %v, %d errors", p, rr.SignIns, rr.Window.Round(time.Millisecond), rr.Errors+rr.WarmupErrors)
	return rr
}

// drive runs o.Concurrency virtual users signing in with protocol p until the warm-up and
// the measured window have passed, or the run stops early (rr.StoppedEarly says why: too
// many errors, ctx cancelled, the server exited). It returns each user's samples and the
// CPU readings at the start and the end of the window; the users have stopped when it
// returns.
func drive(ctx context.Context, o Options, t *target, p Protocol, rr *RunResult) (recs [][]sample, c0, c1 cpuSample) {
	tr := newTransport(o.Concurrency)
	defer tr.CloseIdleConnections()
	d := newDriver(t.url, *o.Flavor, tr, o.RequestTimeout)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		stopOnce sync.Once
		stopped  = make(chan struct{})
		nerr     atomic.Int64
		wg       sync.WaitGroup
	)
	recs = make([][]sample, o.Concurrency)
	stop := func(reason string) {
		stopOnce.Do(func() {
			rr.StoppedEarly = reason
			close(stopped)
		})
	}
	for i := range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				start := time.Now()
				sigs, err := d.signIn(runCtx, p)
				end := time.Now()
				if err != nil && runCtx.Err() != nil {
					return // cut off by the end of the run, not a failure
				}
				recs[i] = append(recs[i], sample{end: end, dur: end.Sub(start), sigs: sigs, err: err})
				if err != nil {
					if n := nerr.Add(1); o.MaxErrors > 0 && n >= int64(o.MaxErrors) {
						stop(fmt.Sprintf("stopped after %d failed sign-ins (max errors)", n))
					}
				}
			}
		}()
	}
	var exited <-chan struct{}
	if t.child != nil {
		exited = t.child.exited
	}
	wait := func(d time.Duration) {
		if d <= 0 {
			return
		}
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-stopped:
		case <-ctx.Done():
			stop("interrupted")
		case <-exited:
			stop("the server exited")
		}
	}

	wait(o.Warmup)
	c0 = sampleCPU(t.pid)
	wait(o.Duration)
	c1 = sampleCPU(t.pid)
	cancel()
	wg.Wait()
	return recs, c0, c1
}

// cpuSample is one reading of the CPU times the result reports: the server's (err: why it
// could not be read), bench's own and the machine's (merr), at the time in between.
type cpuSample struct {
	at                    time.Time
	server, self, machine time.Duration
	err, merr             error
}

// sampleCPU reads the server's (pid, 0 for none), bench's and the machine's CPU times. The
// reading is dated halfway through, since the three reads take time.
func sampleCPU(pid int) cpuSample {
	var c cpuSample
	a := time.Now()
	if pid > 0 {
		c.server, c.err = processCPU(pid)
	}
	c.self, _ = selfCPU()
	c.machine, c.merr = machineBusy()
	b := time.Now()
	c.at = a.Add(b.Sub(a) / 2)
	return c
}

// tally sorts the samples by when they ended: before t0, the warm-up's; in [t0, t1] the
// measured sign-ins, whose durations and signature count it returns; errors count wherever
// they fall (errors after the window too: a failure is never left out), and go to errs.
func (rr *RunResult) tally(recs [][]sample, t0, t1 time.Time, errs *errorTally) (durs []time.Duration, sigSum int) {
	rr.SigsMin = -1
	for _, rec := range recs {
		for _, s := range rec {
			switch {
			case s.end.Before(t0):
				rr.WarmupSignIns++
				if s.err != nil {
					rr.WarmupErrors++
					errs.add(s.err)
				}
			case s.err != nil:
				rr.Errors++
				errs.add(s.err)
			case !s.end.After(t1):
				durs = append(durs, s.dur)
				sigSum += s.sigs
				if rr.SigsMin < 0 || s.sigs < rr.SigsMin {
					rr.SigsMin = s.sigs
				}
				rr.SigsMax = max(rr.SigsMax, s.sigs)
			}
		}
	}
	if rr.SigsMin < 0 {
		rr.SigsMin = 0
	}
	return durs, sigSum
}

// accountCPU fills in the CPU figures from the readings at the start (c0) and the end (c1)
// of the window: the server's CPU, per sign-in and against the cost of its signatures
// (sigCost each), and the CPUs everything else kept busy, which says whether the machine
// was quiet enough for the figures to mean something. rr.Window, SignIns and
// SignaturesPerSignIn must be set.
func (rr *RunResult) accountCPU(t *target, c0, c1 cpuSample, sigCost time.Duration) {
	rr.OtherCores = -1
	if c0.merr == nil && c1.merr == nil && rr.Window > 0 {
		other := c1.machine - c0.machine - (c1.self - c0.self)
		if t.pid != os.Getpid() && c0.err == nil && c1.err == nil && t.pid > 0 {
			other -= c1.server - c0.server
		}
		rr.OtherCores = max(other.Seconds()/rr.Window.Seconds(), 0)
	}
	switch {
	case t.pid == 0:
		rr.CPUNote = "server CPU not measured (no PID)"
	case c0.err != nil || c1.err != nil:
		rr.CPUNote = fmt.Sprintf("server CPU not measured: %v", firstErr(c0.err, c1.err))
	default:
		rr.CPUMeasured = true
		rr.ServerCPU = c1.server - c0.server
		if rr.Window > 0 {
			rr.ServerCores = rr.ServerCPU.Seconds() / rr.Window.Seconds()
		}
		if rr.SignIns > 0 {
			rr.ServerCPUPerSignIn = rr.ServerCPU / time.Duration(rr.SignIns)
			if rr.SignaturesPerSignIn > 0 && sigCost > 0 {
				rr.Overhead = rr.ServerCPUPerSignIn.Seconds() / (rr.SignaturesPerSignIn * sigCost.Seconds())
			}
		}
	}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, pct int) time.Duration {
	n := len(sorted)
	i := (pct*n + 99) / 100 // ceil(pct/100 × n)
	return sorted[max(i-1, 0)]
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
