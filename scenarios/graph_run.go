package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// GraphEnv is what a graph.* check needs: the mock (its Graph, its log), the tenant the
// importer reads, and the target's graph section. No browser.
type GraphEnv struct {
	Server *idp.Server
	Tenant *idp.Tenant
	Target *GraphTarget
	// Dir is where commands run (the target file's directory; "" the current one).
	Dir string
	// HTTP calls the trigger and read-back URLs (default http.DefaultClient).
	HTTP *http.Client
	// Keep are users (UPNs) graph.deleted-users must not delete: the ones the sign-in
	// checks sign in as.
	Keep []string
}

// targetDir is the directory of the target's file ("" for a target built in Go).
func targetDir(t *Target) string {
	if t.file == "" {
		return ""
	}
	return filepath.Dir(t.file)
}

// RunGraphCheck sets up a graph.* check's condition, triggers an import, reads back who was
// imported, restores the mock, and judges (JudgeGraph). It never panics; a check that cannot
// run is an error verdict.
func RunGraphCheck(ctx context.Context, ge GraphEnv, c Check) Verdict {
	g := c.graph
	if g == nil || ge.Target == nil || ge.Server == nil || ge.Tenant == nil {
		return Verdict{Status: reports.StatusSkip, Reason: "not a graph check, or the target has no graph section", Expected: c.Expected}
	}
	if ge.HTTP == nil {
		ge.HTTP = http.DefaultClient
	}
	srv := ge.Server
	srv.DisarmGraphFaults()
	defer srv.DisarmGraphFaults()
	if g.noConsent {
		was, ok := srv.AdminConsentGranted(ge.Target.AppID)
		if !ok {
			return Verdict{Status: reports.StatusError, Diagnosis: fmt.Sprintf("graph.appId %q is not an app registration of the mock's directory", ge.Target.AppID), Expected: c.Expected}
		}
		if err := srv.SetAdminConsent(ge.Target.AppID, false); err != nil {
			return Verdict{Status: reports.StatusError, Diagnosis: err.Error(), Expected: c.Expected}
		}
		defer func() { _ = srv.SetAdminConsent(ge.Target.AppID, was) }()
	}
	if g.fault != nil {
		if err := srv.ArmGraphFault(*g.fault); err != nil {
			return Verdict{Status: reports.StatusError, Diagnosis: err.Error(), Expected: c.Expected}
		}
	}
	var victim string
	if g.deleteBetween {
		var err error
		if victim, err = ge.deleteOne(ctx); err != nil {
			return Verdict{Status: reports.StatusError, Diagnosis: err.Error(), Expected: c.Expected}
		}
	}
	before := map[string]bool{}
	for _, e := range srv.Events() {
		before[e.ID] = true
	}
	ev := GraphEvidence{Trigger: ge.call(ctx, ge.Target.Trigger, http.MethodPost)}
	srv.DisarmGraphFaults()
	for _, e := range srv.Events() {
		if e.Protocol == idp.ProtocolGraph && !before[e.ID] && (ge.Target.AppID == "" || strings.EqualFold(e.AppID, ge.Target.AppID)) {
			ev.Requests = append(ev.Requests, graphRequestOf(e))
		}
	}
	rb := ge.call(ctx, ge.Target.Imported, http.MethodGet)
	if !rb.OK {
		ev.ReadBackError = rb.Output
	} else if ev.Imported, ev.ReadBackError = parseImported(rb.Output); ev.ReadBackError != "" {
		ev.ReadBackError = "the read-back is not a list of users: " + ev.ReadBackError
	}
	for _, u := range ge.Tenant.Users {
		switch {
		case u.DeletedDateTime != "":
			ev.Deleted = append(ev.Deleted, u.UserPrincipalName, u.ID)
		case u.AccountEnabled != nil && !*u.AccountEnabled:
			ev.Disabled = append(ev.Disabled, u.UserPrincipalName, u.ID)
		default:
			ev.Eligible = append(ev.Eligible, u.UserPrincipalName)
		}
	}
	for _, d := range srv.DeletedUsers() {
		if strings.EqualFold(d.TenantID, ge.Tenant.ID) && !slices.Contains(ev.Deleted, d.ID) {
			ev.Deleted = append(ev.Deleted, d.UserPrincipalName, d.ID)
		}
	}
	ev.DeletedSince = victim
	v := JudgeGraph(c.ID, ev)
	if v.Expected == "" {
		v.Expected = c.Expected
	}
	return v
}

// deleteOne runs a first import, then soft-deletes in Entra a user it imported (the last
// enabled member the read-back holds, not one of Keep), as an admin does between two imports.
func (ge GraphEnv) deleteOne(ctx context.Context) (string, error) {
	if r := ge.call(ctx, ge.Target.Trigger, http.MethodPost); !r.OK {
		return "", fmt.Errorf("the first import (before a user is deleted) failed: %s", r.Output)
	}
	rb := ge.call(ctx, ge.Target.Imported, http.MethodGet)
	imported, perr := parseImported(rb.Output)
	if !rb.OK || perr != "" {
		return "", fmt.Errorf("no read-back after the first import: %s%s", rb.Output, perr)
	}
	for i := len(ge.Tenant.Users) - 1; i >= 0; i-- {
		u := ge.Tenant.Users[i]
		if u.Deleted() || (u.AccountEnabled != nil && !*u.AccountEnabled) || strings.EqualFold(u.UserType, "Guest") ||
			slices.ContainsFunc(ge.Keep, func(k string) bool { return strings.EqualFold(k, u.UserPrincipalName) }) {
			continue
		}
		if slices.ContainsFunc(imported, func(iu ImportedUser) bool {
			return strings.EqualFold(iu.Key, u.UserPrincipalName) || strings.EqualFold(iu.Key, u.ID) || strings.EqualFold(iu.ID, u.ID)
		}) {
			return u.UserPrincipalName, ge.Server.DeleteUser(u.UserPrincipalName)
		}
	}
	return "", nil // nothing imported to delete: the check judges the config's deleted users only
}

// graphRequestOf reads a graph-request event.
func graphRequestOf(e idp.Event) GraphRequest {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	return GraphRequest{Time: e.Time, Method: e.Request["method"], Path: e.Request["path"], Query: e.Request["query"],
		Status: atoi(e.Response["status"]), Page: atoi(e.Response["page"]), Count: atoi(e.Response["count"]), Total: atoi(e.Response["total"]),
		NextLink: e.Response["nextLink"] == "true", Fault: e.Response["fault"], RetryAfter: atoi(e.Response["retryAfter"])}
}

// call runs an endpoint: a URL (POST for the trigger, GET for the read-back) or a command.
func (ge GraphEnv) call(ctx context.Context, ep Endpoint, method string) TriggerResult {
	ctx, cancel := context.WithTimeout(ctx, graphWait)
	defer cancel()
	if ep.Command != "" {
		cmd := exec.CommandContext(ctx, "sh", "-c", ep.Command)
		cmd.Dir = ge.Dir
		out, err := cmd.CombinedOutput()
		r := TriggerResult{OK: err == nil, Output: truncateOutput(string(out))}
		if err != nil {
			r.Output = strings.TrimSpace(r.Output + "\n(" + err.Error() + ")")
		}
		return r
	}
	req, err := http.NewRequestWithContext(ctx, method, ep.URL, nil)
	if err != nil {
		return TriggerResult{Output: err.Error()}
	}
	resp, err := ge.HTTP.Do(req)
	if err != nil {
		return TriggerResult{Output: err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	out := string(body)
	if method == http.MethodPost {
		out = truncateOutput(out)
	}
	return TriggerResult{OK: resp.StatusCode/100 == 2, Status: resp.StatusCode, Output: out}
}

// truncateOutput keeps what the admin sees short in reports.
func truncateOutput(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// parseImported reads a read-back: JSON (a list of strings or of user objects, or an object
// holding one under value or users), else one UPN per line.
func parseImported(s string) ([]ImportedUser, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ""
	}
	if s[0] != '[' && s[0] != '{' {
		var out []ImportedUser
		sc := bufio.NewScanner(strings.NewReader(s))
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" {
				out = append(out, ImportedUser{Key: l, Enabled: true})
			}
		}
		return out, ""
	}
	var raw json.RawMessage = []byte(s)
	if s[0] == '{' {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, err.Error()
		}
		if raw = o["value"]; raw == nil {
			raw = o["users"]
		}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, "want a JSON list"
	}
	var out []ImportedUser
	for _, item := range list {
		var str string
		if json.Unmarshal(item, &str) == nil {
			out = append(out, ImportedUser{Key: str, Enabled: true})
			continue
		}
		var u struct {
			ID             string `json:"id"`
			UPN            string `json:"userPrincipalName"`
			AccountEnabled *bool  `json:"accountEnabled"`
			Active         *bool  `json:"active"`
		}
		d := json.NewDecoder(bytes.NewReader(item))
		if err := d.Decode(&u); err != nil {
			return nil, err.Error()
		}
		iu := ImportedUser{Key: u.UPN, ID: u.ID, Enabled: true}
		if iu.Key == "" {
			iu.Key = u.ID
		}
		for _, b := range []*bool{u.AccountEnabled, u.Active} {
			if b != nil && !*b {
				iu.Enabled = false
			}
		}
		out = append(out, iu)
	}
	return out, ""
}
