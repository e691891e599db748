package reports

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"
)

// Console prints a run as it happens: a header ([Console.Start]), one line per finished check
// ([Console.Progress]) and a summary table ([Console.Summary]). Its methods may be called from
// several goroutines; the lines they print never interleave. A Console must not be copied
// after first use.
type Console struct {
	// W is where the console writes.
	W io.Writer
	// Color turns on ANSI colours (status words, counts).
	Color bool
	// Verbose also prints, for every check, its description, and for a check that did not
	// pass, its timeline (steps) and references.
	Verbose bool

	mu sync.Mutex
}

// NewConsole returns a Console writing to w, with colours when w is a terminal (an *os.File
// whose mode is a character device) and neither NO_COLOR (https://no-color.org) is set to a
// non-empty value nor TERM is "dumb".
func NewConsole(w io.Writer) *Console {
	return &Console{W: w, Color: colorFor(w)}
}

func colorFor(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}

// ANSI SGR sequences.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiDim     = "\x1b[2m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiCyan    = "\x1b[36m"
)

// statusStyle is the colour of each status word.
var statusStyle = map[Status]string{
	StatusPass:   ansiGreen,
	StatusFail:   ansiBold + ansiRed,
	StatusWarn:   ansiYellow,
	StatusWaived: ansiCyan,
	StatusSkip:   ansiDim,
	StatusError:  ansiBold + ansiMagenta,
}

// paint wraps s in style when colours are on.
func (c *Console) paint(style, s string) string {
	if !c.Color || style == "" || s == "" {
		return s
	}
	return style + s + ansiReset
}

// word is the status in capitals, padded to the widest status ("WAIVED") before colouring,
// so that columns line up with and without colours.
func (c *Console) word(st Status) string {
	w := strings.ToUpper(string(st))
	if w == "" {
		w = "?"
	}
	return c.paint(statusStyle[st], fmt.Sprintf("%-6s", w))
}

// Start prints the header of a run: tool, target, protocols, IdP URL and tenant, how many
// checks will run (total) and how many at once.
func (c *Console) Start(r *Run, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	tool := r.Tool
	if tool == "" {
		tool = "ssoharness"
	}
	fmt.Fprintf(&b, "%s: target %s", c.paint(ansiBold, tool), c.paint(ansiBold, quoteName(r.Target.Name)))
	if len(r.Target.Protocols) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(r.Target.Protocols, ", "))
	}
	if r.Target.File != "" {
		fmt.Fprintf(&b, " from %s", r.Target.File)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  mock Entra ID at %s", orDash(r.IdP.URL))
	if r.IdP.TenantID != "" {
		fmt.Fprintf(&b, ", tenant %s", r.IdP.TenantID)
	}
	b.WriteString("\n")
	par := r.Parallel
	if par < 1 {
		par = 1
	}
	fmt.Fprintf(&b, "  %d %s, %d in parallel", total, plural(total, "check", "checks"), par)
	if r.Browser != "" {
		fmt.Fprintf(&b, ", %s", r.Browser)
	}
	b.WriteString("\n\n")
	io.WriteString(c.W, b.String())
}

// Progress prints the line of a finished check, done of total, e.g.
//
//	[12/75] FAIL   saml.audience.wrong  accepted as B.Simon@contoso.com (0.4s)
//
// followed, for fail, warn and error, by the indented diagnosis and fix. A skipped or waived
// check shows its reason where the others show what was observed. It is safe to call from
// several goroutines.
func (c *Console) Progress(ch Check, done, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.W, c.progressLine(ch, done, total))
}

func (c *Console) progressLine(ch Check, done, total int) string {
	var b strings.Builder
	width := len(fmt.Sprint(total))
	fmt.Fprintf(&b, "[%*d/%d] %s %s", width, done, total, c.word(ch.Status), ch.ID)
	what := ch.Observed
	if ch.Status == StatusSkip || ch.Status == StatusWaived {
		if ch.Reason != "" {
			what = ch.Reason
		}
	}
	if what != "" {
		b.WriteString("  ")
		// A long URL (a Response by HTTP-Redirect) would fill the terminal: the report has it all.
		b.WriteString(c.paint(dimFor(ch.Status), truncate(oneLine(what), 160)))
	}
	fmt.Fprintf(&b, " %s\n", c.paint(ansiDim, "("+fmtDuration(ch.Duration())+")"))
	indent := strings.Repeat(" ", width*2+4)
	if c.Verbose && ch.Description != "" {
		writeIndented(&b, indent, "", ch.Description)
	}
	switch ch.Status {
	case StatusFail, StatusWarn, StatusError:
		if ch.Diagnosis != "" {
			writeIndented(&b, indent, c.paint(statusStyle[ch.Status], "why:")+" ", ch.Diagnosis)
		}
		if ch.Fix != "" {
			writeIndented(&b, indent, c.paint(ansiBold, "fix:")+" ", ch.Fix)
		}
		if c.Verbose {
			for _, s := range ch.Steps {
				line := "+" + fmtDuration(s.Time.Sub(ch.Started)) + " " + s.Name
				if s.Status != 0 {
					line += fmt.Sprintf(" [%d]", s.Status)
				}
				if s.URL != "" {
					line += " " + s.URL
				}
				if s.Note != "" {
					line += " — " + s.Note
				}
				writeIndented(&b, indent, c.paint(ansiDim, "step:")+" ", line)
			}
			for _, ref := range ch.References {
				writeIndented(&b, indent, c.paint(ansiDim, "see:")+" ", ref)
			}
		}
	}
	return b.String()
}

// dimFor is the style of the observed text of a check: dim for the quiet statuses.
func dimFor(st Status) string {
	if st == StatusSkip || st == StatusWaived {
		return ansiDim
	}
	return ""
}

// writeIndented writes text under indent, the first line after label and the next ones
// aligned with it.
func writeIndented(b *strings.Builder, indent, label, text string) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	cont := indent + strings.Repeat(" ", visibleLen(label))
	for i, l := range lines {
		if i == 0 {
			b.WriteString(indent + label + l + "\n")
		} else {
			b.WriteString(cont + l + "\n")
		}
	}
}

// Summary prints, once the run is over, a table of every check that did not pass (ID,
// status, what was observed, the diagnosis or reason truncated to one line), the count of
// checks per status with the run's duration, the verdict and, when paths are given, one
// line saying where the reports were written.
func (c *Console) Summary(r *Run, paths ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	sum := Tally(r.Checks)

	type row struct{ id, observed, why string }
	var rows []row
	var sts []Status
	for _, ch := range r.Checks {
		if ch.Status == StatusPass {
			continue
		}
		why := ch.Diagnosis
		if why == "" {
			why = ch.Reason
		}
		rows = append(rows, row{ch.ID, oneLine(ch.Observed), oneLine(why)})
		sts = append(sts, ch.Status)
	}
	b.WriteString("\n")
	if len(rows) > 0 {
		idW, obsW := len("CHECK"), len("OBSERVED")
		for _, r := range rows {
			idW = max(idW, utf8.RuneCountInString(r.id))
			obsW = max(obsW, min(utf8.RuneCountInString(r.observed), 50))
		}
		fmt.Fprintf(&b, "%s  %-6s  %s  %s\n", padRight("CHECK", idW), "STATUS", padRight("OBSERVED", obsW), "DIAGNOSIS")
		for i, r := range rows {
			fmt.Fprintf(&b, "%s  %s  %s  %s\n", padRight(r.id, idW), c.word(sts[i]),
				padRight(truncate(r.observed, 50), obsW), truncate(r.why, 80))
		}
		b.WriteString("\n")
	}

	var parts []string
	for _, st := range Statuses {
		n := sum.Count(st)
		s := fmt.Sprintf("%d %s", n, st)
		if n > 0 {
			s = c.paint(statusStyle[st], s)
		}
		parts = append(parts, s)
	}
	fmt.Fprintf(&b, "%d %s: %s in %s\n", sum.Total, plural(sum.Total, "check", "checks"),
		strings.Join(parts, ", "), fmtDuration(r.Duration()))
	if sum.Fail > 0 || sum.Error > 0 {
		fmt.Fprintf(&b, "%s: %d failed, %d could not run\n", c.paint(ansiBold+ansiRed, "FAIL"), sum.Fail, sum.Error)
	} else {
		fmt.Fprintf(&b, "%s\n", c.paint(ansiBold+ansiGreen, "PASS"))
	}
	if len(paths) > 0 {
		fmt.Fprintf(&b, "reports: %s\n", strings.Join(paths, "  "))
	}
	io.WriteString(c.W, b.String())
}

// oneLine is the first line of s, marked with "…" when more lines follow.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i]) + " …"
	}
	return s
}

// truncate cuts s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

func padRight(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// visibleLen is the width of s on a terminal, colour sequences excluded.
func visibleLen(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case esc:
			if r == 'm' {
				esc = false
			}
		case r == '\x1b':
			esc = true
		default:
			n++
		}
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func quoteName(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
