package load

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"time"
)

// Result is what Run measured.
type Result struct {
	// Flavor is the server's flavor name.
	Flavor string
	// ServerURL and ServerPID are the server measured (PID 0: its CPU was not measured).
	ServerURL string
	ServerPID int
	// ServerCommand is the command Run started the server with (nil: already running).
	ServerCommand []string
	// Signature is the cost of one RSA-2048 signature on this machine, measured before the
	// load (the Overhead figures use it). SignatureAfter is the same measured again after
	// the runs: a check that the machine did not change speed meanwhile.
	Signature, SignatureAfter SignatureCost
	// CPUs is the number of CPUs this process may use, and LoadAverage the 1-minute load
	// average before the runs (Linux; -1 unknown): other work on the machine makes every
	// figure noisier.
	CPUs        int
	LoadAverage float64
	// Runs has one entry per protocol, in order.
	Runs []RunResult
}

// RunResult is one protocol's measured window.
type RunResult struct {
	// Protocol and Flavor say what was run against what; Concurrency is the number of
	// virtual users.
	Protocol    Protocol
	Flavor      string
	Concurrency int
	// Window is the measured time; SignIns the sign-ins completed in it, Rate per second.
	Window  time.Duration
	SignIns int
	Rate    float64
	// Latency of a whole sign-in (successful ones in the window): nearest-rank percentiles.
	P50, P90, P99, Max, Mean time.Duration
	// Errors are the sign-ins that failed in (or after) the window; WarmupErrors those that
	// failed during the warm-up, of WarmupSignIns.
	Errors, WarmupErrors, WarmupSignIns int
	// ErrorSamples are the most frequent distinct error messages; MoreErrorKinds counts the
	// distinct messages left out.
	ErrorSamples   []ErrorSample
	MoreErrorKinds int
	// StoppedEarly says why the run ended before its time ("" when it did not).
	StoppedEarly string
	// CPUMeasured says whether ServerCPU is known; CPUNote says why not.
	CPUMeasured bool
	CPUNote     string
	// ServerCPU is the server's CPU time in the window, ServerCPUPerSignIn per sign-in, and
	// ServerCores the CPUs it kept busy on average.
	ServerCPU          time.Duration
	ServerCPUPerSignIn time.Duration
	ServerCores        float64
	// ClientCPUPerSignIn is bench's own CPU time per sign-in (it shares the machine).
	ClientCPUPerSignIn time.Duration
	// OtherCores is the CPUs kept busy in the window by everything but the server and bench
	// (other processes, the kernel's interrupts); -1 unknown. More than a few tenths means
	// the figures were measured on a shared machine.
	OtherCores float64
	// SignaturesPerSignIn is the mean number of signatures per sign-in (ds:Signature
	// elements of the SAML Response; signed JWTs of the OIDC flow), SigsMin..SigsMax their
	// range.
	SignaturesPerSignIn float64
	SigsMin, SigsMax    int
	// SignatureCost is the CPU cost of one RSA-2048 signature used for Overhead.
	SignatureCost time.Duration
	// Overhead is ServerCPUPerSignIn ÷ (SignaturesPerSignIn × SignatureCost); 0 when it
	// cannot be computed (CPU not measured, no sign-in, no signature).
	Overhead float64
	// Notes are the flavor's limitations and remarks on the measurement.
	Notes []string
}

// ErrorSample is a distinct error message and how many sign-ins failed with it.
type ErrorSample struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
}

// Failed is the number of failed sign-ins, warm-up included.
func (r RunResult) Failed() int { return r.Errors + r.WarmupErrors }

// Err is a *SignInError when any sign-in of any run failed, else nil.
func (r Result) Err() error {
	var e SignInError
	for _, rr := range r.Runs {
		if rr.Failed() == 0 {
			continue
		}
		e.Failed += rr.Failed()
		if e.First == "" && len(rr.ErrorSamples) > 0 {
			e.First = string(rr.Protocol) + ": " + rr.ErrorSamples[0].Message
		}
	}
	for _, rr := range r.Runs {
		e.Total += rr.SignIns + rr.Errors + rr.WarmupSignIns
	}
	if e.Failed == 0 {
		return nil
	}
	return &e
}

// SignInError reports that sign-ins failed during a run.
type SignInError struct {
	// Failed of Total sign-ins (warm-up included) failed; First is the most frequent message
	// of the first failing run.
	Failed, Total int
	First         string
}

// Error says how many sign-ins failed and the first reason.
func (e *SignInError) Error() string {
	return fmt.Sprintf("%d of %d sign-ins failed; %s", e.Failed, e.Total, e.First)
}

// Format writes the human-readable report: the server, the signature cost, and an aligned
// block per run (a line of figures, then details, errors and notes).
func (r Result) Format(w io.Writer) {
	who := r.Flavor
	if r.ServerURL != "" {
		who += " at " + r.ServerURL
	}
	switch {
	case r.ServerPID > 0 && len(r.ServerCommand) > 0:
		who += fmt.Sprintf(" (PID %d, started by bench)", r.ServerPID)
	case r.ServerPID > 0:
		who += fmt.Sprintf(" (PID %d)", r.ServerPID)
	default:
		who += " (PID unknown: server CPU not measured)"
	}
	fmt.Fprintf(w, "server  %s\n", who)
	if r.CPUs > 0 {
		fmt.Fprintf(w, "machine %d CPUs", r.CPUs)
		if r.LoadAverage >= 0 {
			fmt.Fprintf(w, ", load average %.2f before the runs", r.LoadAverage)
			if r.LoadAverage > 0.5 {
				fmt.Fprint(w, " (other work is running: figures are noisier)")
			}
		}
		fmt.Fprintln(w)
	}
	if r.Signature.Given {
		fmt.Fprintf(w, "RSA-2048 PKCS#1 v1.5 SHA-256 signature: %s CPU (given)\n", fmtMs(r.Signature.PerSignature))
	} else if r.Signature.Signatures > 0 {
		fmt.Fprintf(w, "RSA-2048 PKCS#1 v1.5 SHA-256 signature: %s CPU (signer %s, %d signatures, %.2f s CPU on one thread)\n",
			fmtMs(r.Signature.PerSignature), r.Signature.Signer, r.Signature.Signatures, r.Signature.CPU.Seconds())
		if a := r.SignatureAfter; a.Signatures > 0 {
			change := a.PerSignature.Seconds()/r.Signature.PerSignature.Seconds() - 1
			fmt.Fprintf(w, "        measured again after the runs: %s (%+.0f%%)", fmtMs(a.PerSignature), 100*change)
			if math.Abs(change) > 0.15 {
				fmt.Fprint(w, " — WARNING: the machine's speed changed during the run; overhead figures are unreliable")
			}
			fmt.Fprintln(w)
		}
	}
	for _, rr := range r.Runs {
		rr.Format(w)
	}
}

// String is Format's output.
func (r Result) String() string {
	var b strings.Builder
	r.Format(&b)
	return b.String()
}

// Line is the run's one-line summary, in fixed-width columns so that runs align.
func (r RunResult) Line() string {
	cpu, overhead := "n/a", "n/a"
	if r.CPUMeasured && r.SignIns > 0 {
		cpu = fmt.Sprintf("%.2f", ms(r.ServerCPUPerSignIn))
	}
	if r.Overhead > 0 {
		overhead = fmt.Sprintf("%.2f×", r.Overhead)
	}
	sigs := fmt.Sprintf("%.3g", r.SignaturesPerSignIn)
	if r.SigsMin != r.SigsMax {
		sigs += fmt.Sprintf(" (%d-%d)", r.SigsMin, r.SigsMax)
	}
	p50, p99 := fmtMs(r.P50), fmtMs(r.P99)
	if r.SignIns == 0 {
		p50, p99, sigs = "-", "-", "-"
	}
	return fmt.Sprintf("%-18s %-4s c=%-3d %5.1fs %7d sign-ins %8.1f/s  p50 %8s  p99 %8s  errors %d  server CPU %s ms/sign-in  sigs/sign-in %s  RSA-2048 sign %.3f ms  overhead %s",
		r.Flavor, r.Protocol, r.Concurrency, r.Window.Seconds(), r.SignIns, r.Rate, p50, p99,
		r.Failed(), cpu, sigs, ms(r.SignatureCost), overhead)
}

// Format writes the run's block: Line, then details, errors and notes, indented.
func (r RunResult) Format(w io.Writer) {
	fmt.Fprintln(w, r.Line())
	const ind = "    "
	details := ""
	if r.SignIns > 0 {
		details = fmt.Sprintf("mean %s  p90 %s  max %s  client CPU %.2f ms/sign-in  ", fmtMs(r.Mean), fmtMs(r.P90), fmtMs(r.Max), ms(r.ClientCPUPerSignIn))
	}
	if r.CPUMeasured {
		details += fmt.Sprintf("server busy %.2f CPUs (%.2f s CPU)  ", r.ServerCores, r.ServerCPU.Seconds())
	}
	if r.OtherCores >= 0 {
		details += fmt.Sprintf("others busy %.2f CPUs  ", r.OtherCores)
	}
	details += fmt.Sprintf("warm-up %d sign-ins", r.WarmupSignIns)
	fmt.Fprintln(w, ind+details)
	if r.CPUNote != "" {
		fmt.Fprintln(w, ind+"note: "+r.CPUNote)
	}
	if r.StoppedEarly != "" {
		fmt.Fprintln(w, ind+"STOPPED EARLY: "+r.StoppedEarly)
	}
	if r.Failed() > 0 {
		fmt.Fprintf(w, "%sERRORS: %d failed sign-ins (%d in the warm-up)\n", ind, r.Failed(), r.WarmupErrors)
		for _, e := range r.ErrorSamples {
			fmt.Fprintf(w, "%s  %6d × %s\n", ind, e.Count, e.Message)
		}
		if r.MoreErrorKinds > 0 {
			fmt.Fprintf(w, "%s  … and %d other distinct messages\n", ind, r.MoreErrorKinds)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, ind+"note: "+n)
	}
}

// MarshalJSON writes durations as milliseconds.
func (r RunResult) MarshalJSON() ([]byte, error) {
	type out struct {
		Protocol             Protocol      `json:"protocol"`
		Flavor               string        `json:"flavor"`
		Concurrency          int           `json:"concurrency"`
		WindowSeconds        float64       `json:"windowSeconds"`
		SignIns              int           `json:"signIns"`
		SignInsPerSecond     float64       `json:"signInsPerSecond"`
		P50Ms                float64       `json:"p50Ms"`
		P90Ms                float64       `json:"p90Ms"`
		P99Ms                float64       `json:"p99Ms"`
		MaxMs                float64       `json:"maxMs"`
		MeanMs               float64       `json:"meanMs"`
		Errors               int           `json:"errors"`
		WarmupErrors         int           `json:"warmupErrors"`
		WarmupSignIns        int           `json:"warmupSignIns"`
		ErrorSamples         []ErrorSample `json:"errorSamples,omitempty"`
		MoreErrorKinds       int           `json:"moreErrorKinds,omitempty"`
		StoppedEarly         string        `json:"stoppedEarly,omitempty"`
		CPUMeasured          bool          `json:"serverCpuMeasured"`
		CPUNote              string        `json:"serverCpuNote,omitempty"`
		ServerCPUSeconds     float64       `json:"serverCpuSeconds"`
		ServerCPUMsPerSignIn float64       `json:"serverCpuMsPerSignIn"`
		ServerCores          float64       `json:"serverCores"`
		ClientCPUMsPerSignIn float64       `json:"clientCpuMsPerSignIn"`
		OtherCores           float64       `json:"otherCores"`
		SignaturesPerSignIn  float64       `json:"signaturesPerSignIn"`
		SigsMin              int           `json:"signaturesMin"`
		SigsMax              int           `json:"signaturesMax"`
		SignatureCostMs      float64       `json:"signatureCostMs"`
		Overhead             float64       `json:"overhead"`
		Notes                []string      `json:"notes,omitempty"`
	}
	return json.Marshal(out{
		r.Protocol, r.Flavor, r.Concurrency, r.Window.Seconds(), r.SignIns, round(r.Rate, 2),
		ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), ms(r.Mean),
		r.Errors, r.WarmupErrors, r.WarmupSignIns, r.ErrorSamples, r.MoreErrorKinds, r.StoppedEarly,
		r.CPUMeasured, r.CPUNote, r.ServerCPU.Seconds(), ms(r.ServerCPUPerSignIn), round(r.ServerCores, 3),
		ms(r.ClientCPUPerSignIn), round(r.OtherCores, 3), r.SignaturesPerSignIn, r.SigsMin, r.SigsMax, ms(r.SignatureCost),
		round(r.Overhead, 3), r.Notes,
	})
}

// MarshalJSON writes the result with durations in milliseconds.
func (r Result) MarshalJSON() ([]byte, error) {
	type sig struct {
		Ms         float64 `json:"ms"`
		Signatures int     `json:"signatures,omitempty"`
		CPUSeconds float64 `json:"cpuSeconds,omitempty"`
		Given      bool    `json:"given,omitempty"`
		Signer     string  `json:"signer,omitempty"`
	}
	type out struct {
		Flavor        string      `json:"flavor"`
		ServerURL     string      `json:"serverUrl"`
		ServerPID     int         `json:"serverPid"`
		ServerCommand []string    `json:"serverCommand,omitempty"`
		Signature     sig         `json:"rsa2048Signature"`
		SigAfter      *sig        `json:"rsa2048SignatureAfter,omitempty"`
		CPUs          int         `json:"cpus"`
		LoadAverage   float64     `json:"loadAverage"`
		Runs          []RunResult `json:"runs"`
		Failed        bool        `json:"failed"`
	}
	var after *sig
	if a := r.SignatureAfter; a.Signatures > 0 {
		after = &sig{ms(a.PerSignature), a.Signatures, a.CPU.Seconds(), false, a.Signer}
	}
	return json.Marshal(out{
		r.Flavor, r.ServerURL, r.ServerPID, r.ServerCommand,
		sig{ms(r.Signature.PerSignature), r.Signature.Signatures, r.Signature.CPU.Seconds(), r.Signature.Given, r.Signature.Signer},
		after, r.CPUs, r.LoadAverage, r.Runs, r.Err() != nil,
	})
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

// fmtMs formats d as milliseconds with 3 significant digits or so.
func fmtMs(d time.Duration) string {
	m := float64(d) / float64(time.Millisecond)
	switch {
	case m >= 100:
		return fmt.Sprintf("%.0fms", m)
	case m >= 10:
		return fmt.Sprintf("%.1fms", m)
	default:
		return fmt.Sprintf("%.2fms", m)
	}
}

// errorTally counts errors by their message with the variable parts (IDs, times, tokens)
// masked, keeping the first message of each kind as it was.
type errorTally struct {
	order  []string
	counts map[string]*ErrorSample
}

// Masks of the variable parts of error messages.
var (
	maskGUID  = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	maskTime  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?`)
	maskToken = regexp.MustCompile(`[A-Za-z0-9_\-]{20,}`)
	maskPort  = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

func (t *errorTally) add(err error) {
	msg := err.Error()
	key := maskGUID.ReplaceAllString(msg, "<id>")
	key = maskTime.ReplaceAllString(key, "<time>")
	key = maskToken.ReplaceAllString(key, "<tok>")
	key = maskPort.ReplaceAllString(key, "127.0.0.1:<port>")
	if t.counts == nil {
		t.counts = map[string]*ErrorSample{}
	}
	if s, ok := t.counts[key]; ok {
		s.Count++
		return
	}
	t.counts[key] = &ErrorSample{Message: msg, Count: 1}
	t.order = append(t.order, key)
}

// top returns the n most frequent kinds (first seen first among equals) and how many kinds
// were left out.
func (t *errorTally) top(n int) ([]ErrorSample, int) {
	out := make([]ErrorSample, 0, len(t.order))
	for _, k := range t.order {
		out = append(out, *t.counts[k])
	}
	// Stable insertion sort by count, descending: few kinds.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Count > out[j-1].Count; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	if len(out) > n {
		return out[:n], len(out) - n
	}
	return out, 0
}
