package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// GraphEvidence is what a graph.* check is judged over: the importer's Graph requests from
// the mock's log, how the trigger ended, the read-back, and the directory's users.
type GraphEvidence struct {
	// Requests are the importer's Graph requests of this import, in order.
	Requests []GraphRequest `json:"requests"`
	// Trigger is how the import ended, as the admin sees it.
	Trigger TriggerResult `json:"trigger"`
	// Imported is the read-back; ReadBackError says why there is none.
	Imported      []ImportedUser `json:"imported"`
	ReadBackError string         `json:"readBackError,omitempty"`
	// Eligible are the UPNs of the live, enabled users; Disabled and Deleted the UPNs and
	// object IDs of the disabled and deleted users.
	Eligible, Disabled, Deleted []string
	// DeletedSince is the UPN of the user deleted in Entra after a first import
	// (graph.deleted-users); "" when none was.
	DeletedSince string
}

// GraphRequest is one graph-request event of the mock's log.
type GraphRequest struct {
	Time                time.Time
	Method, Path, Query string
	Status              int
	// Page, Count, Total and NextLink describe a collection page answered 200.
	Page, Count, Total int
	NextLink           bool
	// Fault is the Graph fault that answered (throttle, unavailable) or cut the page.
	Fault      string
	RetryAfter int
}

// TriggerResult is how a trigger (or read-back) ended: OK for a 2xx or exit status 0.
type TriggerResult struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status,omitempty"`
	Output string `json:"output,omitempty"`
}

// ImportedUser is one user of the read-back: its UPN (or ID), and whether the app holds it
// enabled.
type ImportedUser struct {
	Key, ID string
	Enabled bool
}

// JudgeGraph decides a graph.* check from its evidence. Like Judge, it is pure.
func JudgeGraph(id string, ev GraphEvidence) Verdict {
	var g *graphCheck
	for _, c := range graphChecks {
		if c.id == id {
			g = c
		}
	}
	if g == nil {
		return Verdict{Status: reports.StatusError, Diagnosis: "no graph check " + id}
	}
	j := graphJudging{g: g, ev: ev}
	switch id {
	case "graph.paging":
		return j.paging()
	case "graph.retry-after", "graph.unavailable":
		return j.retry()
	case "graph.short-page":
		return j.shortPage()
	case "graph.disabled-users":
		return j.imported(ev.Disabled, true)
	case "graph.deleted-users":
		return j.imported(ev.Deleted, false)
	case "graph.consent.missing":
		return j.consent()
	}
	return Verdict{Status: reports.StatusError, Diagnosis: "no judge for " + id}
}

// graphJudging is one judgement in progress.
type graphJudging struct {
	g  *graphCheck
	ev GraphEvidence
}

func (j graphJudging) fail(observed, diagnosis string) Verdict {
	return Verdict{Status: reports.StatusFail, Observed: observed, Diagnosis: "Weakness: " + j.g.weakness + ". " + diagnosis, Fix: j.g.fix}
}

// users are the importer's requests of the /users listing.
func (j graphJudging) users() []GraphRequest {
	var out []GraphRequest
	for _, r := range j.ev.Requests {
		if strings.TrimSuffix(r.Path, "/") == "/v1.0/users" {
			out = append(out, r)
		}
	}
	return out
}

// lastPage is the last page the listing reached (a 200 without nextLink that no
// short-page fault cut), or nil.
func lastPage(reqs []GraphRequest) *GraphRequest {
	for i := range reqs {
		if reqs[i].Status == 200 && !reqs[i].NextLink && reqs[i].Fault == "" {
			return &reqs[i]
		}
	}
	return nil
}

// triggerSaid is the trigger's outcome in the report's words.
func (j graphJudging) triggerSaid() string {
	out := strings.TrimSpace(j.ev.Trigger.Output)
	if len(out) > 300 {
		out = out[:300] + "…"
	}
	if j.ev.Trigger.OK {
		return fmt.Sprintf("the trigger reported success (%s)", out)
	}
	return fmt.Sprintf("the trigger reported an error (%s)", out)
}

// paging: every page followed, every eligible user imported.
func (j graphJudging) paging() Verdict {
	reqs := j.users()
	if len(reqs) == 0 {
		return j.fail("the import made no request to /v1.0/users; "+j.triggerSaid(), "The importer never listed the users.")
	}
	if reqs[0].Status == 200 && !reqs[0].NextLink && reqs[0].Page == 1 {
		return Verdict{Status: reports.StatusSkip, Reason: fmt.Sprintf("all %d users fit on one page (the importer's query %q); the check needs two pages or more: give the mock's directory more users than the importer's $top (Graph's default is 100)", reqs[0].Count, reqs[0].Query)}
	}
	pages := 0
	for _, r := range reqs {
		if r.Status == 200 {
			pages = max(pages, r.Page)
		}
	}
	if lastPage(reqs) == nil {
		return j.fail(fmt.Sprintf("the import read %d page(s) of /users and stopped while @odata.nextLink pointed at page %d; %s", pages, pages+1, j.triggerSaid()),
			"Users beyond the first pages are never imported, silently: on a directory larger than one page the import looks complete but is not.")
	}
	if j.ev.ReadBackError == "" && !strings.Contains(strings.ToLower(reqs[0].Query), "filter") {
		var missing []string
		for _, upn := range j.ev.Eligible {
			if !j.has(upn) {
				missing = append(missing, upn)
			}
		}
		if len(missing) > 0 {
			return j.fail(fmt.Sprintf("the import read all %d pages but %d of %d enabled users are not in the read-back (e.g. %s)", pages, len(missing), len(j.ev.Eligible), strings.Join(missing[:min(3, len(missing))], ", ")),
				"Users on the pages read were dropped.")
		}
	}
	return Verdict{Status: reports.StatusPass, Observed: fmt.Sprintf("followed @odata.nextLink through all %d pages of /users; %d users in the read-back", pages, len(j.ev.Imported))}
}

// retry: the faulted page retried no sooner than Retry-After, and the listing completed.
// A 503 the importer reports without retrying is a warn: the admin can rerun it.
func (j graphJudging) retry() Verdict {
	reqs := j.users()
	fi := slices.IndexFunc(reqs, func(r GraphRequest) bool { return r.Fault == j.g.fault.Kind && r.Status >= 429 })
	if fi < 0 {
		return Verdict{Status: reports.StatusError, Diagnosis: fmt.Sprintf("the armed %s fault answered none of the importer's %d /users requests; %s", j.g.fault.Kind, len(reqs), j.triggerSaid())}
	}
	f := reqs[fi]
	what := fmt.Sprintf("Graph answered %d with Retry-After: %d", f.Status, f.RetryAfter)
	ri := slices.IndexFunc(reqs[fi+1:], func(r GraphRequest) bool { return r.Query == f.Query })
	if ri < 0 {
		if j.g.id == "graph.unavailable" && !j.ev.Trigger.OK {
			return Verdict{Status: reports.StatusWarn, Observed: what + "; the importer did not retry; " + j.triggerSaid(),
				Diagnosis: "Weakness: " + j.g.weakness + ". The admin is told, but a transient outage fails the whole import.", Fix: j.g.fix}
		}
		return j.fail(what+"; the importer never retried the request; "+j.triggerSaid(), "The import stops (or silently ends short) at the first throttled or failed page.")
	}
	r := reqs[fi+1+ri]
	gap := r.Time.Sub(f.Time)
	if gap < time.Duration(f.RetryAfter)*time.Second-50*time.Millisecond {
		return j.fail(fmt.Sprintf("%s; the importer retried after %.2f s", what, gap.Seconds()),
			"Retrying before Retry-After keeps the app throttled and extends the throttling.")
	}
	// Completion is the retried page answered and the import ending without an error; whether
	// the importer then follows every page is graph.paging's business.
	if !slices.ContainsFunc(reqs[fi+1:], func(x GraphRequest) bool { return x.Query == f.Query && x.Status == 200 }) || !j.ev.Trigger.OK {
		return j.fail(fmt.Sprintf("%s; retried after %.2f s but the import did not complete; %s", what, gap.Seconds(), j.triggerSaid()), "The import did not complete after the retry.")
	}
	return Verdict{Status: reports.StatusPass, Observed: fmt.Sprintf("%s; the importer retried after %.2f s and the import completed", what, gap.Seconds())}
}

// has reports whether the read-back holds the user with this UPN or ID.
func (j graphJudging) has(key string) bool {
	_, ok := j.find(key)
	return ok
}

func (j graphJudging) find(key string) (ImportedUser, bool) {
	for _, u := range j.ev.Imported {
		if strings.EqualFold(u.Key, key) || (u.ID != "" && strings.EqualFold(u.ID, key)) {
			return u, true
		}
	}
	return ImportedUser{}, false
}

// imported: none of users (disabled or deleted ones) is in the read-back; a disabled user
// may be there when the app holds it disabled (okDisabled).
func (j graphJudging) imported(users []string, okDisabled bool) Verdict {
	kind := "deleted"
	if okDisabled {
		kind = "disabled"
	}
	if len(users) == 0 {
		return Verdict{Status: reports.StatusSkip, Reason: "the mock's directory has no " + kind + " user; add one (accountEnabled: false / deletedDateTime) to the config"}
	}
	if j.ev.ReadBackError != "" {
		return Verdict{Status: reports.StatusError, Diagnosis: "no read-back of the imported users: " + j.ev.ReadBackError}
	}
	if lastPage(j.users()) == nil {
		// Nothing shows what it would do with the users on the pages it never read.
		return Verdict{Status: reports.StatusSkip, Reason: "the import did not read /users to its last page, so it may never have seen the " + kind + " users (see graph.paging); " + j.triggerSaid()}
	}
	var bad, asDisabled []string
	for i := 0; i < len(users); i += 2 {
		u, ok := j.find(users[i])
		if !ok {
			u, ok = j.find(users[i+1])
		}
		switch {
		case !ok:
		case okDisabled && !u.Enabled:
			asDisabled = append(asDisabled, users[i])
		default:
			bad = append(bad, users[i])
		}
	}
	if len(bad) > 0 {
		what := fmt.Sprintf("%s users imported as active: %s", kind, strings.Join(bad, ", "))
		if !okDisabled {
			what = "deleted users in the app: " + strings.Join(bad, ", ")
		}
		if j.ev.DeletedSince != "" && slices.Contains(bad, j.ev.DeletedSince) {
			what += fmt.Sprintf(" (%s was deleted in Entra after a first import and is still in the app after the next)", j.ev.DeletedSince)
		}
		why := "An account the admin switched off in Entra gets a working seat in the app: Entra blocks its Microsoft sign-in (" + idp.ErrUserDisabled.Name() + "), but not what the app grants without it (a phone extension, device or API credentials), and Entra's own provisioning sends such users as active=false."
		if !okDisabled {
			why = "An account deleted in Entra keeps a working seat in the app; an import the admin runs as a sync (bvoip's \"Sync User\") must remove or disable it."
		}
		return j.fail(what, why)
	}
	obs := fmt.Sprintf("none of the %d %s users is in the app", len(users)/2, kind)
	if j.ev.DeletedSince != "" {
		obs += fmt.Sprintf(" (%s deleted in Entra after a first import is gone after the next)", j.ev.DeletedSince)
	}
	if len(asDisabled) > 0 {
		obs = fmt.Sprintf("%s users imported as disabled: %s", kind, strings.Join(asDisabled, ", "))
	}
	return Verdict{Status: reports.StatusPass, Observed: obs}
}

// consent: with consent revoked, Graph's 403 must reach the admin.
func (j graphJudging) consent() Verdict {
	reqs := j.ev.Requests
	fi := slices.IndexFunc(reqs, func(r GraphRequest) bool { return r.Status == 403 })
	if fi < 0 {
		if len(reqs) > 0 && lastPage(j.users()) != nil {
			return Verdict{Status: reports.StatusSkip, Reason: "Graph answered the import 200: the importer used a token minted before admin consent was revoked (cached); rerun after its token expires, or restart the importer"}
		}
		if !j.ev.Trigger.OK {
			return Verdict{Status: reports.StatusPass, Observed: "the import made no Graph request and " + j.triggerSaid()}
		}
		return j.fail(fmt.Sprintf("the import made %d Graph requests, none answered 403, and %s", len(reqs), j.triggerSaid()), "The importer did not list the users.")
	}
	what := fmt.Sprintf("without admin consent Graph answered %s %s 403 Authorization_RequestDenied", reqs[fi].Method, reqs[fi].Path)
	if !j.ev.Trigger.OK {
		return Verdict{Status: reports.StatusPass, Observed: what + "; " + j.triggerSaid()}
	}
	return j.fail(what+"; "+j.triggerSaid(), "The admin sees an import that succeeded with no (or old) users and never learns that consent is missing.")
}

// shortPage: a listing cut short (no nextLink on page 2 while users remain) must not pass
// for the whole directory: the importer lists again to a real last page, or reports it.
func (j graphJudging) shortPage() Verdict {
	reqs := j.users()
	ci := slices.IndexFunc(reqs, func(r GraphRequest) bool { return r.Fault == "short-page" })
	if ci < 0 {
		if len(reqs) <= 1 {
			return Verdict{Status: reports.StatusSkip, Reason: "the importer never asked for a second page of /users (see graph.paging), so no page could end early"}
		}
		return Verdict{Status: reports.StatusError, Diagnosis: fmt.Sprintf("the armed short-page fault cut none of the importer's %d /users requests", len(reqs))}
	}
	c := reqs[ci]
	what := fmt.Sprintf("page %d of /users came without @odata.nextLink with %d of %d users left", c.Page, c.Total-(c.Page-1)*pageSize(reqs)-c.Count, c.Total)
	if lastPage(reqs[ci+1:]) != nil {
		return Verdict{Status: reports.StatusPass, Observed: what + "; the importer listed again to the real last page"}
	}
	if !j.ev.Trigger.OK {
		return Verdict{Status: reports.StatusPass, Observed: what + "; " + j.triggerSaid()}
	}
	return Verdict{Status: reports.StatusWarn, Observed: what + "; " + j.triggerSaid(),
		Diagnosis: "Weakness: " + j.g.weakness + ". Graph ending a listing early is rare, but the import then silently misses every later user.", Fix: j.g.fix}
}

// pageSize is the listing's page size (the first full page's count).
func pageSize(reqs []GraphRequest) int {
	for _, r := range reqs {
		if r.Status == 200 && r.NextLink {
			return r.Count
		}
	}
	return 0
}
