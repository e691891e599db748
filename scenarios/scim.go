package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/provision"
	"github.com/ssoharness/ssoharness/reports"
)

// KindSCIM: a check of the target's SCIM endpoint, sending the requests Entra's provisioning
// service sends (package provision builds them) and judging the recorded exchanges. No
// browser is involved.
const KindSCIM = "scim"

// ProtocolSCIM is the protocol of the scim.* checks.
const ProtocolSCIM = "SCIM"

// SCIMTarget is the SCIM side of a target: the Tenant URL and Secret Token an admin enters
// under the enterprise app's Provisioning (Admin Credentials).
type SCIMTarget struct {
	// BaseURL is the SCIM base URL (Entra's Tenant URL) without Entra's query flags, e.g.
	// https://app.example.test/scim/v2.
	BaseURL string `json:"baseUrl"`
	// Token is the Secret Token Entra sends as Authorization: Bearer.
	Token string `json:"token"`
	// AADOptSCIM062020 says the Tenant URL carries ?aadOptscim062020: Entra then sends the
	// compliant PATCH shapes (lower-case ops, boolean active, member removal by filter path).
	// The checks of the other dialect's shapes then warn instead of failing.
	AADOptSCIM062020 bool `json:"aadOptscim062020,omitempty"`
}

// SCIMStep is one recorded exchange of a SCIM check: its role in the check and the request
// and response as Entra's provisioning log shows them.
type SCIMStep struct {
	// Name is the step's role ("create", "query", "patch", "read back", ...).
	Name string `json:"name"`
	provision.Exchange
}

// SCIMEvidence is what a SCIM check is judged from: the dialect the target runs in and
// every exchange, in order. Judging it again gives the same verdict.
type SCIMEvidence struct {
	// Compliant is the target's aadOptscim062020.
	Compliant bool `json:"aadOptscim062020"`
	// Want are the values the probe set and expects to read back (e.g. the new
	// displayName), so that the judge needs nothing but the evidence.
	Want  map[string]string `json:"want,omitempty"`
	Steps []SCIMStep        `json:"steps"`
}

// step is the last exchange named name, or nil.
func (e SCIMEvidence) step(name string) *SCIMStep {
	for i := len(e.Steps) - 1; i >= 0; i-- {
		if e.Steps[i].Name == name {
			return &e.Steps[i]
		}
	}
	return nil
}

// body decodes the step's JSON response body (nil when there is none).
func (s *SCIMStep) body() map[string]any {
	if s == nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(s.ResponseBody, &m)
	return m
}

// ok says the step got a 2xx answer.
func (s *SCIMStep) ok() bool { return s != nil && s.Status >= 200 && s.Status < 300 }

// line is the step as "PATCH /Users/x → 400".
func (s *SCIMStep) line() string {
	if s == nil {
		return "(not sent)"
	}
	if s.Status == 0 {
		return fmt.Sprintf("%s %s → no response (%s)", s.Method, s.Path, s.Error)
	}
	return fmt.Sprintf("%s %s → %d", s.Method, s.Path, s.Status)
}

// scimVerdict is a SCIM judge's conclusion.
type scimVerdict struct {
	Status                      reports.Status
	Observed, Diagnosis, Fix, R string // R: the reason of a skip
}

// scimCheck is one scim.* check: the requests (probe) and the pure judge over their
// exchanges.
type scimCheck struct {
	id, description string
	references      []string
	// dialect is the PATCH dialect whose shape the check sends: "" the target's, "default"
	// or "compliant". A check of the other dialect than the target's warns instead of
	// failing: Entra does not send that shape to this target, but would after a switch.
	dialect string
	probe   func(p *scimProbe)
	judge   func(e SCIMEvidence) scimVerdict
}

// scimProbe sends a check's requests and records them.
type scimProbe struct {
	ctx     context.Context
	client  *provision.Client
	d       provision.Dialect
	ev      *SCIMEvidence
	cleanup []provision.Request
	tag     string
}

// do sends req as step name and returns the decoded response.
func (p *scimProbe) do(name string, req provision.Request) map[string]any {
	return p.doWith(p.client, name, req)
}

func (p *scimProbe) doWith(c *provision.Client, name string, req provision.Request) map[string]any {
	ex, body := c.Do(p.ctx, req)
	p.ev.Steps = append(p.ev.Steps, SCIMStep{Name: name, Exchange: ex})
	return body
}

// user is a test user's mapped values, unique per probe and n.
func (p *scimProbe) user(n int) provision.Values {
	alias := fmt.Sprintf("ssoh-%s-%d", p.tag, n)
	return provision.Values{
		"userName":                     alias + "@contoso.example",
		"active":                       "True",
		"displayName":                  "SSO Harness " + alias,
		"name.givenName":               "SSO",
		"name.familyName":              "Harness " + alias,
		`emails[type eq "work"].value`: alias + "@contoso.example",
		"externalId":                   alias,
	}
}

// createUser creates test user n (step "create") and returns its SCIM id ("" when the SP
// did not create it); the user is deleted when the check ends.
func (p *scimProbe) createUser(n int, step string) string {
	b := p.do(step, p.d.CreateUser(p.user(n)))
	id, _ := b["id"].(string)
	if id != "" {
		p.cleanup = append(p.cleanup, p.d.DeleteUser(id))
	}
	return id
}

// createGroup creates a test group (step "create group") and returns its id.
func (p *scimProbe) createGroup(step string) string {
	b := p.do(step, p.d.CreateGroup("ssoh-"+p.tag+"-group", "SSO Harness group "+p.tag))
	id, _ := b["id"].(string)
	if id != "" {
		p.cleanup = append(p.cleanup, p.d.DeleteGroup(id))
	}
	return id
}

// RunSCIMCheck runs one scim.* check against a SCIM endpoint, without a browser or an IdP:
// the API the oracle tests and the real-server tests use. hc may be nil.
func RunSCIMCheck(ctx context.Context, c Check, t SCIMTarget, hc *http.Client) reports.Check {
	res := resultOf(c, time.Now())
	if c.scim == nil {
		res.Status, res.Diagnosis = reports.StatusError, c.ID+" is not a SCIM check"
		return res
	}
	runSCIM(ctx, c.scim, t, hc, &res)
	return res
}

// runSCIM probes, judges and fills res (status, steps, evidence).
func runSCIM(ctx context.Context, sc *scimCheck, t SCIMTarget, hc *http.Client, res *reports.Check) {
	tag := make([]byte, 5)
	_, _ = rand.Read(tag)
	p := &scimProbe{ctx: ctx, client: &provision.Client{BaseURL: t.BaseURL, Token: t.Token, HTTP: hc},
		d: provision.Dialect{Compliant: t.AADOptSCIM062020}, ev: &SCIMEvidence{Compliant: t.AADOptSCIM062020, Want: map[string]string{}}, tag: hex.EncodeToString(tag)}
	started := time.Now()
	sc.probe(p)
	for i := len(p.cleanup) - 1; i >= 0; i-- {
		_, _ = p.client.Do(ctx, p.cleanup[i]) // not evidence: tidying up the SP
	}
	v := judgeSCIM(sc, *p.ev)
	res.Status, res.Observed, res.Diagnosis, res.Fix, res.Reason = v.Status, v.Observed, v.Diagnosis, v.Fix, v.R
	for _, s := range p.ev.Steps {
		res.Steps = append(res.Steps, reports.Step{Time: started, Name: s.Name, URL: strings.TrimSuffix(t.BaseURL, "/") + s.Path,
			Status: s.Status, Note: s.Method})
	}
	res.Evidence, _ = json.Marshal(p.ev)
	res.DurationMS = time.Since(started).Milliseconds()
}

// judgeSCIM applies the check's judge and the dialect rule: a failure on a shape Entra
// does not send to this target is a warning.
func judgeSCIM(sc *scimCheck, e SCIMEvidence) scimVerdict {
	v := sc.judge(e)
	if v.Status == reports.StatusFail && sc.dialect != "" && (sc.dialect == "compliant") != e.Compliant {
		v.Status = reports.StatusWarn
		if e.Compliant {
			v.Diagnosis += " (Entra sends this shape without aadOptscim062020; this target's Tenant URL has it, so only a switch back would break provisioning)"
		} else {
			v.Diagnosis += " (Entra sends this shape only with aadOptscim062020 on the Tenant URL, which this target does not set: provisioning breaks once it is set)"
		}
	}
	return v
}

// JudgeSCIM replays a SCIM check's evidence (a report's Evidence) through its judge.
func JudgeSCIM(c Check, evidence []byte) (reports.Status, string, error) {
	if c.scim == nil {
		return "", "", fmt.Errorf("%s is not a SCIM check", c.ID)
	}
	var e SCIMEvidence
	if err := json.Unmarshal(evidence, &e); err != nil {
		return "", "", err
	}
	v := judgeSCIM(c.scim, e)
	return v.Status, v.Observed, nil
}

// runSCIM runs a SCIM check of the run's target.
func (cr *checkRun) runSCIM(ctx context.Context) {
	t := cr.r.env.Target.SCIM
	if t == nil {
		cr.skip("the target has no scim section")
		return
	}
	runSCIM(ctx, cr.check.scim, *t, hostsClient(cr.r.env.Target.Hosts), cr.res)
	// An override (accept, reject or warn: any but skip, which never runs the check) says
	// the SP owner knows and accepts the deviation: a fail or warn is waived, with the reason.
	if ov := cr.r.env.Target.override(cr.check); ov != nil && (cr.res.Status == reports.StatusFail || cr.res.Status == reports.StatusWarn) {
		cr.res.Status = reports.StatusWaived
		cr.res.Reason = fmt.Sprintf("expectation overridden by the target (%s): %s", ov.Expect, ov.Reason)
	}
}

// runSCIMOnly runs a selection of scim.* checks only: no browser is launched.
func runSCIMOnly(ctx context.Context, env *Env, o Options, checks, all []Check) *reports.Run {
	run := runHeader(env, o, "")
	if o.Shard.Count > 0 {
		run.Shard = o.Shard.header(env, o.Tool, all)
	}
	if o.OnStart != nil {
		o.OnStart(run, len(checks))
	}
	r := &runner{env: env, o: o}
	for i, c := range checks {
		res := r.runOn(ctx, nil, c)
		run.Checks = append(run.Checks, res)
		if o.Progress != nil {
			o.Progress(res, i+1, len(checks))
		}
	}
	run.Finished = time.Now()
	run.Recount()
	return run
}
