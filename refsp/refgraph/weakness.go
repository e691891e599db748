package refgraph

import (
	"fmt"
	"slices"
)

// Weakness names one way the importer is weakened; "" is the strict importer. Like the
// sign-in reference SPs' weak variants (refsp/internal/weakness), each variant is a minimal
// change to one behaviour of the strict importer, and lists the graph.* checks it must fail:
// the oracle of those checks (refsp/oracle_graph_test.go).
type Weakness string

// The weak variants.
const (
	// Strict follows every page, honours Retry-After, retries 503, re-lists a listing that
	// ended short of its @odata.count, skips disabled users and reports a 403 to the admin.
	Strict Weakness = ""
	// FirstPageOnly imports the first page of /users and ignores @odata.nextLink.
	FirstPageOnly Weakness = "first-page-only"
	// IgnoreRetryAfter retries a 429 or 503 at once (after 50 ms) whatever Retry-After says.
	IgnoreRetryAfter Weakness = "ignore-retry-after"
	// NoRetry gives up on the first 429 or 503 and reports the error.
	NoRetry Weakness = "no-retry"
	// ImportDisabled imports users whose accountEnabled is false as active users.
	ImportDisabled Weakness = "import-disabled"
	// KeepDeleted adds each import's users to the previous ones and never removes any: a
	// user deleted in Entra since the last import stays in the app.
	KeepDeleted Weakness = "keep-deleted"
	// TrustShortPage imports what the listing returned even when it ended with fewer users
	// than its @odata.count announced.
	TrustShortPage Weakness = "trust-short-page"
	// SilentOn403 treats a 403 from Graph as an empty directory: the import "succeeds" with
	// no users and the admin is told nothing.
	SilentOn403 Weakness = "silent-on-403"
)

// Entry is one weak variant: its name, what it does differently, and the graph.* checks
// it fails (a fail or a warn: anything but pass).
type Entry struct {
	Weakness    Weakness
	Description string
	Checks      []string
}

// registry is the table of weak variants, in a stable order.
var registry = []Entry{
	{FirstPageOnly, "reads only the first page of /users (no @odata.nextLink)", []string{"graph.paging"}},
	{IgnoreRetryAfter, "retries 429 and 503 after 50 ms, ignoring Retry-After", []string{"graph.retry-after", "graph.unavailable"}},
	{NoRetry, "gives up on the first 429 or 503 (reports the error)", []string{"graph.retry-after", "graph.unavailable"}},
	{ImportDisabled, "imports users with accountEnabled false as active users", []string{"graph.disabled-users"}},
	{KeepDeleted, "adds each import's users to the previous ones, never removing a user deleted since", []string{"graph.deleted-users"}},
	{TrustShortPage, "imports a listing that ended before @odata.count users without noticing", []string{"graph.short-page"}},
	{SilentOn403, "answers Graph's 403 Authorization_RequestDenied with an empty, successful import", []string{"graph.consent.missing"}},
}

// Weaknesses returns every weak variant, in the table's order.
func Weaknesses() []Entry { return slices.Clone(registry) }

// Valid reports whether w is the strict importer or a known weak variant.
func Valid(w Weakness) bool {
	return w == Strict || slices.ContainsFunc(registry, func(e Entry) bool { return e.Weakness == w })
}

// ParseWeakness parses a weakness name ("" and "strict" are the strict importer).
func ParseWeakness(s string) (Weakness, error) {
	if s == "strict" {
		return Strict, nil
	}
	if w := Weakness(s); Valid(w) {
		return w, nil
	}
	return "", fmt.Errorf("refgraph: unknown weakness %q", s)
}
