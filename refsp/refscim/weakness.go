// Package refscim is the reference SCIM 2.0 service provider the scim.* checks are checked
// against: a small standard-library server over an in-memory store that takes every request
// Entra's provisioning service sends, in both of its PATCH dialects (capitalised ops and
// "True"/"False" strings by default; lower-case ops, booleans, bundled replacements and
// member removal by filter path with aadOptscim062020), and answers as RFC 7644 and
// Microsoft's SCIM tutorial say (201 on create, 409 uniqueness, 200 with an empty
// ListResponse for a filter that matches nothing, 204 on delete and group PATCH).
//
// Weak variants turn one behaviour off, each as a real SaaS SCIM endpoint gets it wrong; the
// table below lists, per variant, the checks it must fail (the oracle in refsp runs them:
// strict passes every scim.* check, each variant fails exactly its checks).
package refscim

import (
	"fmt"
	"slices"
)

// Weakness names a weak variant; "" is the strict server.
type Weakness string

// The weak variants.
const (
	NoAuth               Weakness = "no-auth"
	AnyToken             Weakness = "any-token"
	DuplicateOK          Weakness = "duplicate-ok"
	BooleanOnlyActive    Weakness = "boolean-only-active"
	LowercaseOpsOnly     Weakness = "lowercase-ops-only"
	NoFilter             Weakness = "no-filter"
	NotFound404          Weakness = "not-found-404"
	DeleteIsSoft         Weakness = "delete-is-soft"
	NoMemberRemoveFilter Weakness = "no-member-remove-filter"
	NoDottedBundle       Weakness = "no-dotted-bundle"
	NoPaging             Weakness = "no-paging"
	CaseExactUserName    Weakness = "case-exact-username"
)

// Entry is one weak variant: its name, what it does, and the scim.* checks that a run of
// Entra's default dialect (no aadOptscim062020) does not pass against it (fail, warn, or
// skip when a setup request it refuses is another check's failure).
type Entry struct {
	Weakness    Weakness
	Description string
	Checks      []string
}

// Weaknesses is the registry of weak variants, in a stable order.
var Weaknesses = []Entry{
	{NoAuth, "serves every request without looking at Authorization", []string{"scim.auth.missing", "scim.auth.wrong"}},
	{AnyToken, "accepts any bearer token, only a missing header is refused", []string{"scim.auth.wrong"}},
	{DuplicateOK, "creates a second user with an existing userName instead of 409 uniqueness", []string{"scim.user.create.duplicate"}},
	{BooleanOnlyActive, "takes active only as a JSON boolean: Entra's default \"False\" string is a 400", []string{"scim.user.patch.active-string", "scim.user.disable"}},
	{LowercaseOpsOnly, "takes PATCH op names only in lower case (\"replace\"), refusing Entra's default \"Replace\"/\"Add\"/\"Remove\"",
		[]string{"scim.user.patch.replace-capitalised", "scim.user.patch.add", "scim.user.patch.filtered-path", "scim.user.patch.active-string",
			"scim.user.disable", "scim.group.member.add", "scim.group.member.remove", "scim.group.member.remove-filter"}},
	{NoFilter, "ignores filter= and lists every user", []string{"scim.user.filter.found", "scim.user.filter.case", "scim.user.filter.not-found", "scim.user.filter.externalid"}},
	{NotFound404, "answers a filter that matches nothing with 404 instead of an empty ListResponse", []string{"scim.test-connection", "scim.user.filter.not-found"}},
	{DeleteIsSoft, "answers DELETE 204 but keeps serving the user", []string{"scim.user.delete"}},
	{NoMemberRemoveFilter, "refuses a members[value eq \"…\"] path (aadOptscim062020's member removal)", []string{"scim.group.member.remove-filter"}},
	{NoDottedBundle, "refuses a path-less replace whose value has dotted names (\"name.givenName\"), as aadOptscim062020 bundles them", []string{"scim.user.patch.bundled"}},
	{NoPaging, "ignores startIndex and count: every list is one page", []string{"scim.paging"}},
	{CaseExactUserName, "compares userName case-exactly in filters (uniqueness stays case-insensitive)", []string{"scim.user.filter.case"}},
}

// Lookup is the registry entry of w.
func Lookup(w Weakness) (Entry, error) {
	i := slices.IndexFunc(Weaknesses, func(e Entry) bool { return e.Weakness == w })
	if i < 0 {
		return Entry{}, fmt.Errorf("refscim: unknown weakness %q", w)
	}
	return Weaknesses[i], nil
}
