package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteJUnit writes the run as JUnit XML, the format the test tabs of Jenkins (junit step),
// GitLab (artifacts:reports:junit) and GitHub actions that publish test results read.
//
// The document is one <testsuites> (name, tests, failures, errors, skipped, time) holding one
// <testsuite> per protocol ("SAML", "OIDC"; a check without protocol goes to "other") with
// <properties> naming the target and the IdP, and one <testcase> per check:
// classname "ssoharness.<protocol in lower case>", name the check ID, time in seconds.
// A check's status maps to JUnit like this:
//
//   - pass: a bare testcase.
//   - fail: <failure message="first line of the diagnosis" type="expected verdict"> with the
//     diagnosis, the fix, and what was expected and observed.
//   - error: <error message="…" type="error">, same body.
//   - skip: <skipped message="reason"/>.
//   - waived: <skipped message="waived: reason"/>. JUnit has no "waived" outcome, and a waived
//     check must neither fail the build nor count as a pass; skipped is the only outcome CI
//     tools show as neither, and the "waived:" prefix tells it apart from a real skip.
//   - warn: a passing testcase whose <system-out> starts with "warning:" — JUnit has no warning
//     outcome, and a warning must not fail the build.
//
// Timestamps are in UTC without a zone designator, as the JUnit XSD requires.
func WriteJUnit(w io.Writer, r *Run) error {
	doc := junitFromRun(r)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("reports: junit: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// JUnit XML elements (the subset of the Ant/Jenkins schema the CI tools read).
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Hostname   string          `xml:"hostname,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Skipped   *junitSkipped `xml:"skipped"`
		Error     *junitResult  `xml:"error"`
		Failure   *junitResult  `xml:"failure"`
		SystemOut *junitText    `xml:"system-out"`
	}
	junitResult struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",cdata"`
	}
	junitText struct {
		Text string `xml:",cdata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

func junitFromRun(r *Run) junitSuites {
	name := "ssoharness"
	if r.Target.Name != "" {
		name += " " + r.Target.Name
	}
	doc := junitSuites{Name: name, Time: seconds(r.Duration())}
	host, _ := os.Hostname()

	props := []junitProperty{{"target", r.Target.Name}}
	if r.Target.File != "" {
		props = append(props, junitProperty{"target.file", r.Target.File})
	}
	props = append(props, junitProperty{"idp.url", r.IdP.URL})
	if r.IdP.TenantID != "" {
		props = append(props, junitProperty{"idp.tenantId", r.IdP.TenantID})
	}
	if len(r.IdP.Apps) > 0 {
		props = append(props, junitProperty{"idp.apps", strings.Join(r.IdP.Apps, ", ")})
	}
	if r.Browser != "" {
		props = append(props, junitProperty{"browser", r.Browser})
	}
	if r.Tool != "" {
		props = append(props, junitProperty{"tool", r.Tool})
	}
	props = append(props, junitProperty{"parallel", strconv.Itoa(r.Parallel)})

	for _, proto := range protocolsOf(r) {
		suiteName := proto
		if suiteName == "" {
			suiteName = "other"
		}
		s := junitSuite{Name: suiteName, Hostname: host, Properties: props}
		var first, last time.Time
		for _, c := range r.Checks {
			if c.Protocol != proto {
				continue
			}
			tc := junitCase{
				Name:      c.ID,
				Classname: "ssoharness." + strings.ToLower(suiteName),
				Time:      seconds(c.Duration()),
			}
			switch c.Status {
			case StatusFail:
				tc.Failure = &junitResult{Message: headline(c), Type: orDefault(c.Expected, "fail"), Body: junitBody(c)}
				s.Failures++
			case StatusError:
				tc.Error = &junitResult{Message: headline(c), Type: "error", Body: junitBody(c)}
				s.Errors++
			case StatusSkip:
				tc.Skipped = &junitSkipped{Message: oneLine(c.Reason)}
				s.Skipped++
			case StatusWaived:
				tc.Skipped = &junitSkipped{Message: strings.TrimSpace("waived: " + oneLine(c.Reason))}
				s.Skipped++
			case StatusWarn:
				tc.SystemOut = &junitText{"warning: " + strings.TrimSpace(junitBody(c)) + "\n"}
			case StatusPass:
			default:
				// An unknown status is never a pass.
				tc.Error = &junitResult{Message: fmt.Sprintf("unknown status %q", c.Status), Type: "error", Body: junitBody(c)}
				s.Errors++
			}
			s.Tests++
			s.Cases = append(s.Cases, tc)
			if !c.Started.IsZero() {
				if first.IsZero() || c.Started.Before(first) {
					first = c.Started
				}
				if end := c.Started.Add(c.Duration()); end.After(last) {
					last = end
				}
			}
		}
		if s.Tests == 0 {
			continue
		}
		if first.IsZero() {
			first = r.Started
		}
		if !first.IsZero() {
			s.Timestamp = first.UTC().Format("2006-01-02T15:04:05")
		}
		s.Time = seconds(last.Sub(first))
		if last.IsZero() {
			s.Time = seconds(0)
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	return doc
}

// headline is the one-line message of a failure or error: the diagnosis's first line.
func headline(c Check) string {
	if d := strings.TrimSpace(c.Diagnosis); d != "" {
		first, _, _ := strings.Cut(d, "\n")
		return strings.TrimSpace(first)
	}
	if c.Observed != "" {
		return fmt.Sprintf("expected %s, observed %s", orDefault(c.Expected, "?"), oneLine(c.Observed))
	}
	return "check " + string(c.Status)
}

// junitBody is the text of a failure, error or warning: diagnosis, fix, expected and
// observed, the check's description and references. It is written as CDATA, so that it
// reads as plain text in the file too.
func junitBody(c Check) string {
	return xmlSafe(junitPlain(c))
}

func junitPlain(c Check) string {
	var b strings.Builder
	if c.Diagnosis != "" {
		b.WriteString(strings.TrimSpace(c.Diagnosis))
		b.WriteString("\n\n")
	}
	if c.Fix != "" {
		fmt.Fprintf(&b, "Fix: %s\n\n", strings.TrimSpace(c.Fix))
	}
	if c.Expected != "" {
		fmt.Fprintf(&b, "Expected: %s\n", c.Expected)
	}
	if c.Observed != "" {
		fmt.Fprintf(&b, "Observed: %s\n", c.Observed)
	}
	if c.Description != "" {
		fmt.Fprintf(&b, "Check: %s\n", c.Description)
	}
	for _, ref := range c.References {
		fmt.Fprintf(&b, "See: %s\n", ref)
	}
	return b.String()
}

// xmlSafe replaces the characters XML 1.0 cannot carry (most control characters, invalid
// UTF-8) with U+FFFD. encoding/xml does so for text and attributes, but not for CDATA.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == utf8.RuneError, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
