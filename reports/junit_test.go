package reports_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/reports"
)

// The JUnit document as a CI tool reads it.
type jSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     float64  `xml:"time,attr"`
	Suites   []jSuite `xml:"testsuite"`
}

type jSuite struct {
	Name       string  `xml:"name,attr"`
	Tests      int     `xml:"tests,attr"`
	Failures   int     `xml:"failures,attr"`
	Errors     int     `xml:"errors,attr"`
	Skipped    int     `xml:"skipped,attr"`
	Time       float64 `xml:"time,attr"`
	Timestamp  string  `xml:"timestamp,attr"`
	Properties []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
	Cases []jCase `xml:"testcase"`
}

type jCase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      float64  `xml:"time,attr"`
	Failure   *jResult `xml:"failure"`
	Error     *jResult `xml:"error"`
	Skipped   *jResult `xml:"skipped"`
	SystemOut string   `xml:"system-out"`
}

type jResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func parseJUnit(t *testing.T, r *reports.Run) (jSuites, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc jSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, buf.String())
	}
	return doc, buf.String()
}

func TestJUnitCounts(t *testing.T) {
	run, _ := fixture(t)
	doc, raw := parseJUnit(t, run)
	if !strings.HasPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %.60q", raw)
	}
	want := fixtureCounts
	if doc.Tests != len(run.Checks) || doc.Failures != want[reports.StatusFail] ||
		doc.Errors != want[reports.StatusError] || doc.Skipped != want[reports.StatusSkip]+want[reports.StatusWaived] {
		t.Errorf("testsuites counts: tests=%d failures=%d errors=%d skipped=%d", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	if doc.Time != 31.2 {
		t.Errorf("testsuites time = %v, want 31.2", doc.Time)
	}
	if !strings.Contains(doc.Name, "Contoso Expenses") {
		t.Errorf("testsuites name = %q", doc.Name)
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "SAML" || doc.Suites[1].Name != "OIDC" {
		t.Fatalf("suites: %+v", doc.Suites)
	}

	cases := map[string]jCase{}
	sumTests, sumFail, sumErr, sumSkip := 0, 0, 0, 0
	for _, s := range doc.Suites {
		sumTests += s.Tests
		sumFail += s.Failures
		sumErr += s.Errors
		sumSkip += s.Skipped
		if len(s.Cases) != s.Tests {
			t.Errorf("suite %s: tests=%d but %d testcases", s.Name, s.Tests, len(s.Cases))
		}
		if s.Timestamp == "" || strings.ContainsAny(s.Timestamp, "Z+") {
			t.Errorf("suite %s: timestamp %q, want XSD dateTime without zone", s.Name, s.Timestamp)
		}
		props := map[string]string{}
		for _, p := range s.Properties {
			props[p.Name] = p.Value
		}
		if props["target"] != "Contoso Expenses" || props["idp.url"] != "http://127.0.0.1:7443" {
			t.Errorf("suite %s: properties %v", s.Name, props)
		}
		for _, c := range s.Cases {
			if _, dup := cases[c.Name]; dup {
				t.Errorf("testcase %s twice", c.Name)
			}
			if want := "ssoharness." + strings.ToLower(s.Name); c.Classname != want {
				t.Errorf("%s: classname %q, want %q", c.Name, c.Classname, want)
			}
			cases[c.Name] = c
		}
	}
	if sumTests != doc.Tests || sumFail != doc.Failures || sumErr != doc.Errors || sumSkip != doc.Skipped {
		t.Errorf("suite counts do not add up to the testsuites counts")
	}
	if len(cases) != len(run.Checks) {
		t.Errorf("%d testcases, want one per check (%d)", len(cases), len(run.Checks))
	}

	for _, ch := range run.Checks {
		c, ok := cases[ch.ID]
		if !ok {
			t.Errorf("no testcase for %s", ch.ID)
			continue
		}
		if got, want := c.Time, float64(ch.DurationMS)/1000; got != want {
			t.Errorf("%s: time %v, want %v", ch.ID, got, want)
		}
		outcomes := 0
		for _, r := range []*jResult{c.Failure, c.Error, c.Skipped} {
			if r != nil {
				outcomes++
			}
		}
		switch ch.Status {
		case reports.StatusPass, reports.StatusWarn:
			if outcomes != 0 {
				t.Errorf("%s (%s): has an outcome element", ch.ID, ch.Status)
			}
		default:
			if outcomes != 1 {
				t.Errorf("%s (%s): %d outcome elements, want 1", ch.ID, ch.Status, outcomes)
			}
		}
		switch ch.Status {
		case reports.StatusFail:
			firstLine := strings.SplitN(ch.Diagnosis, "\n", 2)[0]
			if c.Failure == nil || c.Failure.Message != firstLine || c.Failure.Type != ch.Expected {
				t.Errorf("%s: failure %+v", ch.ID, c.Failure)
				continue
			}
			for _, part := range []string{ch.Diagnosis, ch.Fix, ch.Observed} {
				if !strings.Contains(c.Failure.Body, part) {
					t.Errorf("%s: failure body lacks %q", ch.ID, part)
				}
			}
		case reports.StatusError:
			if c.Error == nil || c.Error.Message != ch.Diagnosis || !strings.Contains(c.Error.Body, ch.Fix) {
				t.Errorf("%s: error %+v", ch.ID, c.Error)
			}
		case reports.StatusSkip:
			if c.Skipped == nil || c.Skipped.Message != ch.Reason {
				t.Errorf("%s: skipped %+v", ch.ID, c.Skipped)
			}
		case reports.StatusWaived:
			if c.Skipped == nil || c.Skipped.Message != "waived: "+ch.Reason {
				t.Errorf("%s: skipped %+v", ch.ID, c.Skipped)
			}
		case reports.StatusWarn:
			if !strings.HasPrefix(c.SystemOut, "warning: "+ch.Diagnosis) {
				t.Errorf("%s: system-out %q", ch.ID, c.SystemOut)
			}
		}
	}
}

// TestJUnitHostileText checks that text XML cannot carry (a CDATA end, control characters,
// invalid UTF-8) still yields a document that parses, with the rest of the text intact.
func TestJUnitHostileText(t *testing.T) {
	diag := "first ]]> <b>&amp;\x00 \x1b[31mred\x1b[0m \xff end"
	run := &reports.Run{
		Target: reports.Target{Name: "x\x01y", Protocols: []string{"SAML"}},
		Checks: []reports.Check{
			{ID: "a", Protocol: "SAML", Status: reports.StatusFail, Expected: "reject", Diagnosis: diag},
			{ID: "b", Protocol: "SAML", Status: reports.StatusWarn, Diagnosis: diag},
			{ID: "c", Protocol: "SAML", Status: reports.StatusError, Diagnosis: diag},
		},
	}
	doc, _ := parseJUnit(t, run)
	c := doc.Suites[0].Cases
	for _, text := range []string{c[0].Failure.Body, c[0].Failure.Message, c[1].SystemOut, c[2].Error.Body} {
		if !strings.Contains(text, "first ]]> <b>&amp;") || !strings.Contains(text, "red") || !strings.Contains(text, " end") {
			t.Errorf("text mangled: %q", text)
		}
	}
}

func TestJUnitEmptyRun(t *testing.T) {
	doc, _ := parseJUnit(t, &reports.Run{Target: reports.Target{Name: "empty"}})
	if doc.Tests != 0 || len(doc.Suites) != 0 {
		t.Errorf("empty run: %+v", doc)
	}
}
