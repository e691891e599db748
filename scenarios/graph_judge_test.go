package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// The graph.* judges over hand-made evidence: the rules the oracle (refsp/oracle_graph_test.go)
// exercises end to end, here one edge at a time.

func graphPage(t time.Time, q string, page int, next bool) scenarios.GraphRequest {
	return scenarios.GraphRequest{Time: t, Method: "GET", Path: "/v1.0/users", Query: q, Status: 200, Page: page, Count: 10, Total: 25, NextLink: next}
}

func TestJudgeGraphPaging(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	all := []scenarios.ImportedUser{{Key: "a@x", Enabled: true}, {Key: "b@x", Enabled: true}}
	ev := scenarios.GraphEvidence{Trigger: scenarios.TriggerResult{OK: true}, Imported: all, Eligible: []string{"a@x", "b@x"},
		Requests: []scenarios.GraphRequest{graphPage(t0, "$top=10", 1, true), graphPage(t0, "$top=10&$skiptoken=x", 2, true), graphPage(t0, "$top=10&$skiptoken=y", 3, false)}}
	if v := scenarios.JudgeGraph("graph.paging", ev); v.Status != reports.StatusPass {
		t.Errorf("all pages: %s %s", v.Status, v.Diagnosis)
	}
	short := ev
	short.Requests = ev.Requests[:1]
	if v := scenarios.JudgeGraph("graph.paging", short); v.Status != reports.StatusFail || !strings.Contains(v.Observed, "stopped") {
		t.Errorf("first page only: %s %q", v.Status, v.Observed)
	}
	missing := ev
	missing.Imported = all[:1]
	if v := scenarios.JudgeGraph("graph.paging", missing); v.Status != reports.StatusFail || !strings.Contains(v.Observed, "b@x") {
		t.Errorf("a user dropped: %s %q", v.Status, v.Observed)
	}
	one := ev
	one.Requests = []scenarios.GraphRequest{graphPage(t0, "", 1, false)}
	if v := scenarios.JudgeGraph("graph.paging", one); v.Status != reports.StatusSkip {
		t.Errorf("one page: %s, want skip", v.Status)
	}
}

func TestJudgeGraphRetry(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	throttled := scenarios.GraphRequest{Time: t0, Method: "GET", Path: "/v1.0/users", Query: "$top=10", Status: 429, Fault: "throttle", RetryAfter: 2}
	for _, tc := range []struct {
		name    string
		after   time.Duration
		retried bool
		ok      bool
		want    reports.Status
	}{
		{"waited", 2 * time.Second, true, true, reports.StatusPass},
		{"too soon", 100 * time.Millisecond, true, true, reports.StatusFail},
		{"gave up", 0, false, false, reports.StatusFail},
	} {
		ev := scenarios.GraphEvidence{Trigger: scenarios.TriggerResult{OK: tc.ok}, Requests: []scenarios.GraphRequest{throttled}}
		if tc.retried {
			ev.Requests = append(ev.Requests, graphPage(t0.Add(tc.after), "$top=10", 1, false))
		}
		if v := scenarios.JudgeGraph("graph.retry-after", ev); v.Status != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, v.Status, v.Observed, tc.want)
		}
	}
	// A 503 the importer reports without retrying: the admin knows, so warn.
	ev := scenarios.GraphEvidence{Trigger: scenarios.TriggerResult{OK: false, Output: "503"},
		Requests: []scenarios.GraphRequest{{Time: t0, Path: "/v1.0/users", Status: 503, Fault: "unavailable", RetryAfter: 2}}}
	if v := scenarios.JudgeGraph("graph.unavailable", ev); v.Status != reports.StatusWarn {
		t.Errorf("503 reported: %s, want warn", v.Status)
	}
	ev.Trigger.OK = true
	if v := scenarios.JudgeGraph("graph.unavailable", ev); v.Status != reports.StatusFail {
		t.Errorf("503 swallowed: %s, want fail", v.Status)
	}
}

func TestJudgeGraphUsersAndConsent(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	done := []scenarios.GraphRequest{graphPage(t0, "", 1, false)}
	ev := scenarios.GraphEvidence{Trigger: scenarios.TriggerResult{OK: true}, Requests: done, Disabled: []string{"off@x", "id-off"},
		Imported: []scenarios.ImportedUser{{Key: "off@x", Enabled: false}}}
	if v := scenarios.JudgeGraph("graph.disabled-users", ev); v.Status != reports.StatusPass {
		t.Errorf("imported as disabled: %s", v.Status)
	}
	ev.Imported[0].Enabled = true
	if v := scenarios.JudgeGraph("graph.disabled-users", ev); v.Status != reports.StatusFail {
		t.Errorf("imported as active: %s", v.Status)
	}
	del := scenarios.GraphEvidence{Trigger: scenarios.TriggerResult{OK: true}, Requests: done, Deleted: []string{"gone@x", "id-gone"},
		Imported: []scenarios.ImportedUser{{Key: "other@x", ID: "id-gone", Enabled: false}}}
	if v := scenarios.JudgeGraph("graph.deleted-users", del); v.Status != reports.StatusFail {
		t.Errorf("a deleted user kept (by ID), even disabled: %s", v.Status)
	}
	denied := []scenarios.GraphRequest{{Time: t0, Method: "GET", Path: "/v1.0/users", Status: 403}}
	c := scenarios.GraphEvidence{Requests: denied, Trigger: scenarios.TriggerResult{OK: false, Output: "grant admin consent"}}
	if v := scenarios.JudgeGraph("graph.consent.missing", c); v.Status != reports.StatusPass {
		t.Errorf("403 reported: %s", v.Status)
	}
	c.Trigger.OK = true
	if v := scenarios.JudgeGraph("graph.consent.missing", c); v.Status != reports.StatusFail {
		t.Errorf("403 swallowed: %s", v.Status)
	}
	c.Requests = done
	if v := scenarios.JudgeGraph("graph.consent.missing", c); v.Status != reports.StatusSkip {
		t.Errorf("cached token: %s, want skip", v.Status)
	}
}

func TestTargetGraphSection(t *testing.T) {
	base := "name: Importer\noidc: {signIn: [{url: 'https://app.example.test/login', redirectUri: 'https://app.example.test/cb'}]}\n"
	good := base + "graph: {appId: 6b2e8d4f-3c0e-4f69-b1d5-2e8f0a4c6b31, trigger: {url: 'https://app.example.test/import'}, imported: {command: 'cat users.txt'}}\n"
	tg, err := scenarios.ParseTarget([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if p := tg.Protocols(); len(p) != 2 || p[1] != scenarios.ProtocolGraph {
		t.Errorf("protocols %v", p)
	}
	for _, bad := range []string{
		"graph: {trigger: {url: 'https://a.test/i'}, imported: {url: 'https://a.test/u'}}",         // no appId
		"graph: {appId: x, trigger: {}, imported: {url: 'https://a.test/u'}}",                      // no trigger
		"graph: {appId: x, trigger: {url: 'a.test/i', command: 'true'}, imported: {command: 'x'}}", // both
		"graph: {appId: x, trigger: {url: 'ftp://a.test/i'}, imported: {command: 'x'}}",            // not http
	} {
		if _, err := scenarios.ParseTarget([]byte(base + bad + "\n")); err == nil || !strings.Contains(err.Error(), "graph.") {
			t.Errorf("%s: err %v, want a graph.* field error", bad, err)
		}
	}
}

func TestJudgeGraphShortPage(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	cut := graphPage(t0, "$top=10&$skiptoken=x", 2, false)
	cut.Fault = "short-page"
	ev := scenarios.GraphEvidence{Trigger: scenarios.TriggerResult{OK: true}, Requests: []scenarios.GraphRequest{graphPage(t0, "$top=10", 1, true), cut}}
	if v := scenarios.JudgeGraph("graph.short-page", ev); v.Status != reports.StatusWarn || !strings.Contains(v.Observed, "5 of 25 users left") {
		t.Errorf("short list imported: %s %q, want warn", v.Status, v.Observed)
	}
	if v := scenarios.JudgeGraph("graph.paging", ev); v.Status != reports.StatusFail {
		t.Errorf("paging over a cut listing: %s, want fail (a cut page is no last page)", v.Status)
	}
	again := ev
	again.Requests = append(again.Requests, graphPage(t0, "$top=10", 1, true), graphPage(t0, "$top=10&$skiptoken=x", 2, true), graphPage(t0, "$top=10&$skiptoken=y", 3, false))
	if v := scenarios.JudgeGraph("graph.short-page", again); v.Status != reports.StatusPass {
		t.Errorf("listed again: %s", v.Status)
	}
}
