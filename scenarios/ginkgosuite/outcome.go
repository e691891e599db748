package ginkgosuite

import (
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// Names of the report entries an entry adds.
const (
	entryOutcome = "ssoharness.outcome" // every check: its result (result below)
	entryWarning = "ssoharness.warning" // a warn: the diagnosis and the fix
	entryWaived  = "ssoharness.waived"  // a waived check: the target's reason
)

// reportEntry is one ginkgo.AddReportEntry call.
type reportEntry struct {
	name       string
	value      any
	visibility ginkgo.ReportEntryVisibility
}

// result is the value of the ssoharness.outcome report entry: the verdict of a check
// without its timeline and payloads (those are in the HTML and JSON reports of ReportDir).
type result struct {
	ID         string         `json:"id"`
	Protocol   string         `json:"protocol"`
	Kind       string         `json:"kind"`
	Expected   string         `json:"expected"`
	Status     reports.Status `json:"status"`
	Observed   string         `json:"observed,omitempty"`
	Diagnosis  string         `json:"diagnosis,omitempty"`
	Fix        string         `json:"fix,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	DurationMS int64          `json:"durationMs"`
}

// String is the console form of the entry.
func (r result) String() string {
	s := fmt.Sprintf("%s (expected %s)", r.Status, r.Expected)
	if r.Observed != "" {
		s += ": " + r.Observed
	}
	return s
}

// outcome maps the result of a check to what its Ginkgo entry does: skip with a reason,
// fail with a message, or pass ("" for both); and the report entries to add first.
func outcome(res reports.Check) (skip, fail string, entries []reportEntry) {
	entries = append(entries, reportEntry{entryOutcome, result{ID: res.ID, Protocol: res.Protocol, Kind: res.Kind,
		Expected: res.Expected, Status: res.Status, Observed: res.Observed, Diagnosis: res.Diagnosis, Fix: res.Fix,
		Reason: res.Reason, DurationMS: res.DurationMS}, ginkgo.ReportEntryVisibilityFailureOrVerbose})
	switch res.Status {
	case reports.StatusPass:
	case reports.StatusSkip:
		skip = res.Reason
		if skip == "" {
			skip = "skipped by the harness"
		}
	case reports.StatusWarn:
		w := res.Diagnosis
		if res.Fix != "" {
			w += "\nfix: " + res.Fix
		}
		entries = append(entries, reportEntry{entryWarning, w, ginkgo.ReportEntryVisibilityAlways})
	case reports.StatusWaived:
		entries = append(entries, reportEntry{entryWaived, res.Reason, ginkgo.ReportEntryVisibilityAlways})
	default: // fail, error, and a status this version does not know (never a pass)
		fail = failure(res)
	}
	return skip, fail, entries
}

// failure is the message of a failed (or errored) check.
func failure(res reports.Check) string {
	var b strings.Builder
	key := res.ID
	if res.Kind == scenarios.KindConfig {
		key = strings.ToLower(res.Protocol) + ":" + res.ID
	}
	switch res.Status {
	case reports.StatusFail:
		fmt.Fprintf(&b, "%s failed (%s %s check)\n", key, res.Protocol, res.Kind)
	case reports.StatusError:
		fmt.Fprintf(&b, "%s could not run (error; an error is never a pass)\n", key)
	default:
		fmt.Fprintf(&b, "%s ended with status %q\n", key, res.Status)
	}
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-10s %s\n", k+":", v)
		}
	}
	line("expected", res.Expected)
	observed := res.Observed
	if observed == "" {
		observed = "(nothing)"
	}
	line("observed", observed)
	line("diagnosis", res.Diagnosis)
	line("fix", res.Fix)
	line("reason", res.Reason)
	return strings.TrimSuffix(b.String(), "\n")
}

// labels are the Ginkgo labels of a check's entry: protocol, kind, expected verdict, ID.
func labels(c scenarios.Check) []string {
	return []string{strings.ToLower(c.Protocol), c.Kind, c.Expected, c.ID}
}
