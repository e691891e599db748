package scenarios

import (
	"time"

	"github.com/ssoharness/ssoharness/reports"
)

// RunHeader is the header of the report of a run in this session, as Run makes it: the tool
// and parallelism of the session's options, the browser, the target and its sign-in URLs,
// the IdP and its apps; Started is now. Once the checks have run, set Checks and Finished
// and call Recount.
func (s *Session) RunHeader() *reports.Run { return runHeader(s.r.env, s.r.o, s.br.Version()) }

// runHeader is RunHeader for a browser (version ""; none for a SCIM-only run).
func runHeader(env *Env, o Options, browser string) *reports.Run {
	r := &reports.Run{Tool: o.Tool, Browser: browser, Parallel: o.Parallel, Started: time.Now(),
		Target: reports.Target{Name: env.Target.Name, File: env.Target.File(), Protocols: env.Target.Protocols(), URLs: env.Target.urls()},
		IdP:    reports.IdP{URL: env.Server.URL, TenantID: env.Tenant.ID}}
	if env.App != nil {
		r.IdP.Apps = append(r.IdP.Apps, env.App.DisplayName)
	}
	if env.Registration != nil {
		r.IdP.Apps = append(r.IdP.Apps, env.Registration.DisplayName)
	}
	return r
}
