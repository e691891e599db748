package scenarios

import (
	"context"
	"time"

	"github.com/ssoharness/ssoharness/idp"
)

// KindGraph: a check of an app that imports users through Microsoft Graph. It needs no
// browser: the mock's Graph is put in a condition, the target's import is triggered, and a
// pure judge (JudgeGraph) reads the mock's log of Graph requests and the read-back.
const KindGraph = "graph"

// ProtocolGraph is the Protocol of the graph.* checks (a target with a graph section).
const ProtocolGraph = "Graph"

// graphCheck is one graph.* check: the condition it sets up, and the weakness and fix its
// failure names.
type graphCheck struct {
	id, description, expected string
	references                []string
	// fault is the Graph fault armed before the import (nil: none).
	fault *idp.GraphFault
	// noConsent revokes the app's admin consent for the import.
	noConsent bool
	// deleteBetween runs a first import, deletes one of the users it imported in Entra, and
	// judges the second import: an import must not keep users deleted since the last one.
	deleteBetween bool
	// weakness is the missing behaviour a failure means, in one line; fix what the app must do.
	weakness, fix string
}

// References of the graph.* checks.
const (
	refGraphPaging     = "https://learn.microsoft.com/en-us/graph/paging (Graph keeps returning @odata.nextLink with each response until there are no more pages; GET /users returns 100 per page by default)"
	refGraphThrottling = "https://learn.microsoft.com/en-us/graph/throttling#best-practices-to-handle-throttling (wait the number of seconds in Retry-After and retry; without Retry-After, back off exponentially)"
	refGraphErrors     = "https://learn.microsoft.com/en-us/graph/errors (503 Service Unavailable: temporarily unavailable for maintenance or overloaded; the request may be repeated after a delay, whose length may be given in Retry-After)"
	refGraphCount      = "https://learn.microsoft.com/en-us/graph/query-parameters#count-parameter ($count=true returns @odata.count; on directory objects it needs ConsistencyLevel: eventual, https://learn.microsoft.com/en-us/graph/aad-advanced-queries)"
	refGraphUser       = "https://learn.microsoft.com/en-us/graph/api/resources/user (accountEnabled: \"true if the account is enabled; otherwise, false\")"
	refGraphDeleted    = "https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-list (deleted users are in directory/deletedItems, not /users)"
	refGraphConsent    = "https://learn.microsoft.com/en-us/graph/auth-v2-service (application permissions need admin consent; without it the token has no roles and Graph answers 403 Authorization_RequestDenied)"
	refGraphPerms      = "https://learn.microsoft.com/en-us/graph/permissions-reference#userreadall (User.Read.All, application)"
)

// graphRetryAfter is the Retry-After (seconds) of the armed throttle and outage.
const graphRetryAfter = 2

var graphChecks = []*graphCheck{
	{id: "graph.paging", expected: verdictRequired, references: []string{refGraphPaging},
		description: "the import follows @odata.nextLink to the last page of /users and imports every enabled user",
		weakness:    "the importer reads the first page of /users only (ignores @odata.nextLink)",
		fix:         "Loop: GET the @odata.nextLink URL exactly as returned until a page has none (or use the Graph SDK's PageIterator); never build $skip yourself."},
	{id: "graph.retry-after", expected: verdictRequired, references: []string{refGraphThrottling},
		fault:       &idp.GraphFault{Kind: idp.GraphFaultThrottle, RetryAfter: graphRetryAfter},
		description: "a 429 TooManyRequests with Retry-After: the importer waits as long as Retry-After says, retries the page, and completes",
		weakness:    "the importer ignores Retry-After on 429 (retries at once) or gives up on throttling",
		fix:         "On 429, wait the Retry-After seconds (back off exponentially when absent) and retry the same request; Graph's SDKs do this in their retry handler."},
	{id: "graph.unavailable", expected: verdictRequired, references: []string{refGraphErrors, refGraphThrottling},
		fault:       &idp.GraphFault{Kind: idp.GraphFaultUnavailable, RetryAfter: graphRetryAfter},
		description: "a 503 serviceNotAvailable once: the importer retries after Retry-After and completes (warn when it only reports the error)",
		weakness:    "the importer does not retry a transient 503 (or retries before Retry-After)",
		fix:         "Treat 503 (and 504) as transient: wait Retry-After (or back off) and retry a few times before reporting the failure to the admin."},
	{id: "graph.short-page", expected: verdictWarnText, references: []string{refGraphPaging, refGraphCount},
		fault:       &idp.GraphFault{Kind: idp.GraphFaultShortPage, After: 1},
		description: "the second page of /users comes without @odata.nextLink although users remain: the importer notices (its @odata.count) and lists again or reports it (warn when it imports the short list as complete)",
		weakness:    "the importer takes a listing that ended early for the whole directory",
		fix:         "Ask for $count=true (with ConsistencyLevel: eventual) and compare the users received with @odata.count; when short, list again, then report the shortfall instead of importing a partial directory."},
	{id: "graph.disabled-users", expected: verdictRequired, references: []string{refGraphUser, refGraphPerms},
		description: "users whose accountEnabled is false are not imported, or imported as disabled",
		weakness:    "the importer gives disabled accounts an active seat in the app",
		fix:         "Select accountEnabled and skip users where it is false (or import them disabled, and return accountEnabled: false from the read-back)."},
	{id: "graph.deleted-users", expected: verdictRequired, references: []string{refGraphDeleted},
		deleteBetween: true,
		description:   "deleted users (in Entra's Deleted users, deletedDateTime set), including one deleted after a first import, are not in the app after the next import",
		weakness:      "the importer keeps (or imports) users that are deleted in Entra: each import only adds",
		fix:           "Import from /users only (deleted users are not in it), and remove or disable the app's users that are no longer in it (or are in /directory/deletedItems) at each import."},
	{id: "graph.consent.missing", expected: verdictRequired, references: []string{refGraphConsent, refGraphPerms},
		noConsent:   true,
		description: "without admin consent Graph answers 403 Authorization_RequestDenied: the import reports it to the admin, not an empty successful import",
		weakness:    "the importer treats Graph's 403 as an empty directory and reports success",
		fix:         "On 403 Authorization_RequestDenied, fail the import with a message telling the admin to grant admin consent for User.Read.All (API permissions → Grant admin consent)."},
}

// graphCatalog is the graph.* checks as catalog entries.
func graphCatalog() []Check {
	var out []Check
	for _, g := range graphChecks {
		out = append(out, Check{ID: g.id, Protocol: ProtocolGraph, Kind: KindGraph, Description: g.description,
			Expected: g.expected, References: g.references, graph: g})
	}
	return out
}

// runGraph runs a graph.* check of a run.
func (cr *checkRun) runGraph(ctx context.Context) {
	env := cr.r.env
	ge := GraphEnv{Server: env.Server, Tenant: env.Tenant, Target: env.Target.Graph, Dir: targetDir(env.Target), Keep: env.Target.Rollout}
	ge.HTTP = hostsClient(env.Hosts)
	ge.HTTP.Timeout = graphWait
	if env.User != nil {
		ge.Keep = append(ge.Keep, env.User.UserPrincipalName)
	}
	v := RunGraphCheck(ctx, ge, cr.check)
	v.apply(cr.res)
}

// graphWait bounds one trigger or read-back.
const graphWait = 90 * time.Second
