package reports

import (
	"fmt"
	"time"
)

// Valid reports whether s is one of [Statuses].
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Tally counts checks by status.
func Tally(checks []Check) Summary {
	var s Summary
	for _, c := range checks {
		s.Add(c.Status)
	}
	return s
}

// Recount sets r.Summary from r.Checks, and r.DurationMS from Started and Finished when it
// is zero and both are set. Call it once the run is complete, before writing the reports.
func (r *Run) Recount() {
	r.Summary = Tally(r.Checks)
	if r.DurationMS == 0 && !r.Started.IsZero() && !r.Finished.IsZero() {
		r.DurationMS = r.Finished.Sub(r.Started).Milliseconds()
	}
}

// Duration is how long the run took: DurationMS, or Finished − Started when DurationMS is
// zero.
func (r *Run) Duration() time.Duration {
	if r.DurationMS != 0 || r.Started.IsZero() || r.Finished.IsZero() {
		return time.Duration(r.DurationMS) * time.Millisecond
	}
	return r.Finished.Sub(r.Started)
}

// Duration is how long the check took.
func (c Check) Duration() time.Duration { return time.Duration(c.DurationMS) * time.Millisecond }

// fmtDuration formats a duration the way every report shows it: "0.4s", "12.3s", "1m05s",
// "1h02m03s".
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	if h > 0 {
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}

// protocolsOf lists the protocols of a run in report order: the target's protocols first,
// then any other protocol its checks carry, in order of first appearance.
func protocolsOf(r *Run) []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range r.Target.Protocols {
		add(p)
	}
	for _, c := range r.Checks {
		add(c.Protocol)
	}
	return out
}
