package scenarios

import (
	"fmt"
	"strings"

	"github.com/ssoharness/ssoharness/provision"
	"github.com/ssoharness/ssoharness/reports"
)

// References of the scim.* checks.
const (
	refSCIMTutorial = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"
	refSCIMKnown    = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility"
	refSCIMLogs     = "https://learn.microsoft.com/en-us/entra/identity/monitoring-health/concept-provisioning-logs"
	refRFC7644      = "https://www.rfc-editor.org/rfc/rfc7644"
	refRFC7643      = "https://www.rfc-editor.org/rfc/rfc7643"
)

func rfc7644(sec string) string { return refRFC7644 + "#section-" + sec }

func rfc7643(sec string) string { return refRFC7643 + "#section-" + sec }

var scimChecks = []*scimCheck{
	{id: "scim.test-connection", description: "Test Connection: GET /Users?filter=userName eq \"<random GUID>\" with the Secret Token answers 200 and an empty ListResponse",
		references: []string{refSCIMTutorial, rfc7644("3.4.2.2")}, probe: probeTestConnection, judge: judgeEmptyList("query", "Test Connection")},
	{id: "scim.auth.missing", description: "a request without Authorization is refused with 401 (RFC 7644 §2)",
		references: []string{rfc7644("2"), rfc7644("3.12"), refSCIMTutorial}, probe: probeAuth(""), judge: judgeAuth},
	{id: "scim.auth.wrong", description: "a request with a wrong bearer token is refused with 401",
		references: []string{rfc7644("2"), rfc7644("3.12"), refSCIMTutorial}, probe: probeAuth("wrong"), judge: judgeAuth},
	{id: "scim.user.create", description: "POST /Users as Entra sends it answers 201 with an id, userName and active echoed",
		references: []string{refSCIMTutorial, rfc7644("3.3")}, probe: probeCreate, judge: judgeCreate},
	{id: "scim.user.create.duplicate", description: "a second POST /Users with the same userName answers 409 Conflict (scimType uniqueness), as Entra expects",
		references: []string{refSCIMTutorial, rfc7644("3.3"), rfc7644("3.12"), refSCIMLogs}, probe: probeDuplicate, judge: judgeDuplicate},
	{id: "scim.user.get", description: "GET /Users/{id} of a created user answers 200 with that user",
		references: []string{refSCIMTutorial, rfc7644("3.4.1")}, probe: probeGet, judge: judgeGet},
	{id: "scim.user.filter.found", description: "GET /Users?filter=userName eq \"<UPN>\" finds exactly that user among others (Entra's matching query)",
		references: []string{refSCIMTutorial, rfc7644("3.4.2.2"), refSCIMLogs}, probe: probeFilterFound("userName"), judge: judgeFilterFound},
	{id: "scim.user.filter.case", description: "GET /Users?filter=userName eq \"<UPN in other case>\" finds the user: userName is not case-exact (RFC 7643 §4.1.1), and a UPN's case can change in Entra",
		references: []string{rfc7643("4.1.1"), rfc7644("3.4.2.2"), refSCIMTutorial}, probe: probeFilterCase, judge: judgeFilterFound},
	{id: "scim.user.filter.not-found", description: "GET /Users?filter=userName eq \"<unknown>\" answers 200 with an empty ListResponse (not 404, not other users)",
		references: []string{refSCIMTutorial, rfc7644("3.4.2.2")}, probe: probeFilterNotFound, judge: judgeEmptyList("query", "the matching query")},
	{id: "scim.user.filter.externalid", description: "GET /Users?filter=externalId eq \"<alias>\" finds exactly that user (matching on externalId)",
		references: []string{refSCIMTutorial, rfc7644("3.4.2.2")}, probe: probeFilterFound("externalId"), judge: judgeFilterFound},
	{id: "scim.user.patch.replace-capitalised", description: "PATCH with {\"op\":\"Replace\",\"path\":\"displayName\"} (default job's capitalised op) updates the user",
		references: []string{refSCIMKnown, rfc7644("3.5.2")}, dialect: "default", probe: probePatch("displayName", false), judge: judgePatch("displayName")},
	{id: "scim.user.patch.add", description: "PATCH with {\"op\":\"Add\",\"path\":\"title\"} for an attribute the user does not have adds it",
		references: []string{refSCIMTutorial, rfc7644("3.5.2.1")}, dialect: "default", probe: probePatch("title", true), judge: judgePatch("title")},
	{id: "scim.user.patch.bundled", description: "PATCH with {\"op\":\"replace\",\"value\":{\"displayName\":…,\"name.givenName\":…}} (aadOptscim062020's bundled replace) updates both",
		references: []string{refSCIMKnown, rfc7644("3.5.2.3")}, dialect: "compliant", probe: probeBundled, judge: judgePatch("displayName", "name.givenName")},
	{id: "scim.user.patch.filtered-path", description: "PATCH replacing emails[type eq \"work\"].value (a filtered path) changes the work email",
		references: []string{refSCIMKnown, rfc7644("3.5.2"), refSCIMTutorial}, probe: probePatch(`emails[type eq "work"].value`, false), judge: judgePatch(`emails[type eq "work"].value`)},
	{id: "scim.user.patch.active-string", description: "the default job's Disable, {\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"} (a string), disables the user",
		references: []string{refSCIMKnown, rfc7643("4.1.1")}, dialect: "default", probe: probeActive(false), judge: judgeDisable},
	{id: "scim.user.patch.active-bool", description: "aadOptscim062020's Disable, {\"op\":\"replace\",\"path\":\"active\",\"value\":false}, disables the user",
		references: []string{refSCIMKnown, rfc7643("4.1.1")}, dialect: "compliant", probe: probeActive(true), judge: judgeDisable},
	{id: "scim.user.disable", description: "the Disable Entra sends this target (its dialect) sets active false and keeps the user",
		references: []string{refSCIMTutorial, refSCIMKnown}, probe: probeDisable, judge: judgeDisable},
	{id: "scim.user.delete", description: "DELETE /Users/{id} answers 204, and the user is gone (GET answers 404)",
		references: []string{refSCIMTutorial, rfc7644("3.6")}, probe: probeDelete, judge: judgeDelete},
	{id: "scim.group.create", description: "POST /Groups as Entra sends it (core and ADSCIM schemas, no members) answers 201 with an id",
		references: []string{refSCIMTutorial, rfc7644("3.3")}, probe: probeGroupCreate, judge: judgeGroupCreate},
	{id: "scim.group.member.add", description: "PATCH /Groups/{id} {\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"value\":id}]} adds the member",
		references: []string{refSCIMTutorial, rfc7644("3.5.2.1")}, probe: probeMembers(""), judge: judgeMembers(true)},
	{id: "scim.group.member.remove", description: "the default job's member removal, {\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":id}]}, removes the member",
		references: []string{refSCIMKnown, rfc7644("3.5.2.2")}, dialect: "default", probe: probeMembers("default"), judge: judgeMembers(false)},
	{id: "scim.group.member.remove-filter", description: "aadOptscim062020's member removal, {\"op\":\"remove\",\"path\":\"members[value eq \\\"id\\\"]\"}, removes the member",
		references: []string{refSCIMKnown, rfc7644("3.5.2.2")}, dialect: "compliant", probe: probeMembers("compliant"), judge: judgeMembers(false)},
	{id: "scim.serviceproviderconfig", description: "GET /ServiceProviderConfig answers 200 and declares patch and filter supported",
		references: []string{rfc7644("4"), rfc7643("5"), refSCIMTutorial}, probe: func(p *scimProbe) { p.do("config", p.d.ServiceProviderConfig()) }, judge: judgeSPConfig},
	{id: "scim.schemas", description: "GET /Schemas answers 200 and lists the core User schema (schema discovery)",
		references: []string{rfc7644("4"), rfc7643("7"), refSCIMTutorial}, probe: func(p *scimProbe) { p.do("schemas", p.d.Schemas()) }, judge: judgeSchemas},
	{id: "scim.paging", description: "GET /Users?startIndex=1&count=2 returns at most 2 users, and startIndex=3 the next ones (RFC 7644 pagination)",
		references: []string{rfc7644("3.4.2.4")}, probe: probePaging, judge: judgePaging},
}

// scimFail is a failure in the provisioning log's words: the code and reason Entra would
// show for the step, then what it means and the fix on the SP side.
func scimFail(s *SCIMStep, anchored bool, means, fix string) scimVerdict {
	v := scimVerdict{Status: reports.StatusFail, Observed: s.line(), Fix: fix}
	if s == nil {
		v.Diagnosis = means
		return v
	}
	if code, reason := provision.Classify(s.Exchange, anchored); code != "" {
		v.Diagnosis = fmt.Sprintf("Entra's provisioning log shows %s: %s — %s", code, strings.TrimSpace(reason), strings.ToUpper(means[:1])+means[1:])
	} else {
		v.Diagnosis = means
	}
	return v
}

// notSetUp skips a check whose setup step failed: it is judged by another check.
func notSetUp(s *SCIMStep, by string) scimVerdict {
	return scimVerdict{Status: reports.StatusSkip, Observed: s.line(), R: "could not set up (" + s.line() + "); see " + by}
}

func pass(observed string) scimVerdict {
	return scimVerdict{Status: reports.StatusPass, Observed: observed}
}

// resources are a ListResponse's Resources.
func resources(b map[string]any) []map[string]any {
	list, _ := b["Resources"].([]any)
	var out []map[string]any
	for _, r := range list {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// attr reads a flat SCIM path ("displayName", "name.givenName", `emails[type eq "work"].value`)
// from a resource.
func attr(m map[string]any, path string) string {
	if a, rest, ok := strings.Cut(path, `[type eq "`); ok {
		typ, sub, _ := strings.Cut(rest, `"].`)
		list, _ := m[a].([]any)
		for _, e := range list {
			if em, ok := e.(map[string]any); ok && str(em, "type") == typ {
				return fmt.Sprint(em[sub])
			}
		}
		return ""
	}
	if a, sub, ok := strings.Cut(path, "."); ok {
		inner, _ := m[a].(map[string]any)
		return str(inner, sub)
	}
	if v, ok := m[path]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// isActive reads active as a boolean (or a "True"/"False" string, which some SPs echo).
func isActive(m map[string]any) (bool, bool) {
	switch v := m["active"].(type) {
	case bool:
		return v, true
	case string:
		return strings.EqualFold(v, "true"), true
	}
	return false, false
}

const fixAuth = "check the Authorization: Bearer header against the Secret Token on every SCIM request and answer 401 when it is missing or wrong"
