package scenarios

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/ssoharness/ssoharness/provision"
	"github.com/ssoharness/ssoharness/reports"
)

// The probes send Entra's requests (provision.Dialect) and record them; the judges read
// only the evidence.

func randomGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func probeTestConnection(p *scimProbe) { p.do("query", p.d.TestConnection(randomGUID())) }

// judgeEmptyList: the step answered 200 with a ListResponse of no resources.
func judgeEmptyList(step, what string) func(SCIMEvidence) scimVerdict {
	return func(e SCIMEvidence) scimVerdict {
		s := e.step(step)
		if s == nil {
			return notSetUp(e.step("create"), "scim.user.create")
		}
		if !s.ok() {
			fix := "answer the filter query with 200 and a ListResponse (totalResults 0 when nothing matches); Entra's matching query must not fail"
			if s.Status == 404 {
				fix = "answer a filter that matches nothing with 200 and an empty ListResponse, not 404 (the tutorial's Get User by query – zero results)"
			}
			return scimFail(s, false, what+" failed: Entra cannot match users, so provisioning stops.", fix)
		}
		b := s.body()
		if n := len(resources(b)); n > 0 || toInt(b["totalResults"]) > 0 {
			return scimVerdict{Status: reports.StatusFail, Observed: fmt.Sprintf("%s, %d resources", s.line(), n),
				Diagnosis: what + " for a userName nobody has returned users: the SP ignores the filter, so Entra matches the wrong user (" + provision.ErrMultipleEntries + " when several come back) and updates it instead of creating the new one.",
				Fix:       "implement filter=userName eq \"…\" (and externalId eq) on GET /Users: return only the users that match"}
		}
		if !slices.Contains(anyStrings(b["schemas"]), provision.SchemaListResp) {
			return scimVerdict{Status: reports.StatusWarn, Observed: s.line() + " without the ListResponse schema",
				Diagnosis: "the answer is not a SCIM ListResponse (schemas lacks " + provision.SchemaListResp + "); Entra reads totalResults and Resources",
				Fix:       "answer queries with {\"schemas\":[\"" + provision.SchemaListResp + "\"],\"totalResults\":0,\"Resources\":[]}"}
		}
		return pass(s.line() + ", empty ListResponse")
	}
}

func toInt(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// probeAuth sends Test Connection without a token ("") or with a wrong one.
func probeAuth(kind string) func(*scimProbe) {
	return func(p *scimProbe) {
		c := *p.client
		c.Token = ""
		if kind == "wrong" {
			c.Token = "ssoharness-wrong-" + randomGUID()
		}
		p.doWith(&c, "unauthenticated query", p.d.TestConnection(randomGUID()))
	}
}

func judgeAuth(e SCIMEvidence) scimVerdict {
	s := e.step("unauthenticated query")
	switch {
	case s.Status == 401:
		return pass(s.line())
	case s.Status == 403:
		return scimVerdict{Status: reports.StatusWarn, Observed: s.line(), Diagnosis: "refused, but with 403: RFC 7644 §3.12 answers an unauthenticated request with 401, and Entra's Test Connection reports 401 as invalid credentials",
			Fix: "answer 401 Unauthorized for a missing or wrong bearer token"}
	case s.ok():
		return scimVerdict{Status: reports.StatusFail, Observed: s.line(), Diagnosis: "the SCIM endpoint answered without a valid Secret Token: anyone who can reach it can read, create and delete the app's users",
			Fix: fixAuth}
	}
	return scimFail(s, false, "the request was refused, but not with 401: Entra cannot tell a bad Secret Token from a broken endpoint.", fixAuth)
}

func probeCreate(p *scimProbe) {
	v := p.user(1)
	p.ev.Want["userName"] = v["userName"]
	p.createUser(1, "create")
}

func judgeCreate(e SCIMEvidence) scimVerdict {
	s := e.step("create")
	if !s.ok() {
		return scimFail(s, false, "Create User failed: no user of the app is provisioned.", "accept POST /Users with Entra's body (core and enterprise schemas, active as a boolean, emails with type and primary) and answer 201 with the created resource")
	}
	b := s.body()
	if str(b, "id") == "" {
		return scimVerdict{Status: reports.StatusFail, Observed: s.line() + " without an id", Diagnosis: provision.ErrServiceIncompatible + ": the response has no id, so Entra cannot address the user later (no update, disable or delete)",
			Fix: "return the created resource with its id (RFC 7644 §3.3)"}
	}
	if s.Status != 201 {
		return scimVerdict{Status: reports.StatusWarn, Observed: s.line(), Diagnosis: "created, but answered " + fmt.Sprint(s.Status) + " instead of 201 Created", Fix: "answer 201 Created (RFC 7644 §3.3)"}
	}
	if !strings.EqualFold(str(b, "userName"), e.Want["userName"]) {
		return scimVerdict{Status: reports.StatusFail, Observed: fmt.Sprintf("%s, userName %q", s.line(), str(b, "userName")),
			Diagnosis: "the created user's userName is not the one sent: Entra's next matching query will not find it and creates it again (" + provision.ErrEntryConflict + ")",
			Fix:       "store and return userName as sent"}
	}
	if a, ok := isActive(b); !ok || !a {
		return scimVerdict{Status: reports.StatusWarn, Observed: s.line() + ", active not true", Diagnosis: "the created user does not come back active:true as sent", Fix: "store active from the request and return it"}
	}
	return pass(s.line() + ", id " + str(b, "id"))
}

func probeDuplicate(p *scimProbe) {
	if p.createUser(1, "create") != "" {
		b := p.do("create again", p.d.CreateUser(p.user(1)))
		if id := str(b, "id"); id != "" {
			p.cleanup = append(p.cleanup, p.d.DeleteUser(id))
		}
	}
}

func judgeDuplicate(e SCIMEvidence) scimVerdict {
	s := e.step("create again")
	if s == nil {
		return notSetUp(e.step("create"), "scim.user.create")
	}
	switch {
	case s.Status == 409:
		if !strings.Contains(string(s.ResponseBody), "uniqueness") {
			return scimVerdict{Status: reports.StatusWarn, Observed: s.line() + " without scimType uniqueness", Diagnosis: "409 as Entra expects, but the error lacks scimType \"uniqueness\" (RFC 7644 §3.12)", Fix: "answer {\"status\":\"409\",\"scimType\":\"uniqueness\",…}"}
		}
		return pass(s.line() + " uniqueness")
	case s.ok():
		return scimVerdict{Status: reports.StatusFail, Observed: s.line(), Diagnosis: "a second user with the same userName was created: when Entra's matching query misses (a filter bug, a case difference) every cycle adds a duplicate instead of failing with " + provision.ErrEntryConflict,
			Fix: "enforce userName uniqueness (case-insensitive, RFC 7643 §4.1.1) and answer 409 Conflict with scimType uniqueness"}
	}
	return scimFail(s, false, "Entra expects 409 Conflict for an existing userName (Create User in the tutorial).", "answer 409 Conflict with scimType uniqueness when the userName exists")
}

func probeGet(p *scimProbe) {
	if id := p.createUser(1, "create"); id != "" {
		p.ev.Want["id"] = id
		p.do("read back", p.d.GetUser(id))
	}
}

func judgeGet(e SCIMEvidence) scimVerdict {
	s := e.step("read back")
	if s == nil {
		return notSetUp(e.step("create"), "scim.user.create")
	}
	if !s.ok() {
		return scimFail(s, true, "Entra reads users by id to update them.", "serve GET /Users/{id} for the ids POST /Users returns")
	}
	if str(s.body(), "id") != e.Want["id"] {
		return scimVerdict{Status: reports.StatusFail, Observed: s.line(), Diagnosis: "GET /Users/{id} returned another resource", Fix: "return the user with that id"}
	}
	return pass(s.line())
}

// probeFilterFound creates two users and queries the first by attribute (userName or
// externalId), as Entra's matching query does.
func probeFilterFound(attrName string) func(*scimProbe) {
	return func(p *scimProbe) {
		id := p.createUser(1, "create")
		if id == "" || p.createUser(2, "create other") == "" {
			return
		}
		p.ev.Want["id"] = id
		p.do("query", p.d.GetUserBy(attrName, p.user(1)[attrName]))
	}
}

func judgeFilterFound(e SCIMEvidence) scimVerdict {
	s := e.step("query")
	if s == nil {
		if c := e.step("create other"); c != nil {
			return notSetUp(c, "scim.user.create")
		}
		return notSetUp(e.step("create"), "scim.user.create")
	}
	if !s.ok() {
		return scimFail(s, false, "the matching query failed: Entra can neither match nor create the user.", "implement filter=<attr> eq \"…\" on GET /Users (RFC 7644 §3.4.2.2)")
	}
	rs := resources(s.body())
	switch {
	case len(rs) == 0:
		return scimVerdict{Status: reports.StatusFail, Observed: s.line() + ", no resources", Diagnosis: "the query did not find the user that exists: Entra then POSTs it again and the log shows " + provision.ErrEntryConflict,
			Fix: "match the filter's attribute (userName case-insensitively) and return the user"}
	case len(rs) > 1:
		return scimVerdict{Status: reports.StatusFail, Observed: fmt.Sprintf("%s, %d resources", s.line(), len(rs)), Diagnosis: provision.ErrMultipleEntries + ": the query returned several users for one value, so Entra cannot match (the filter is ignored)",
			Fix: "return only the users matching the filter"}
	case str(rs[0], "id") != e.Want["id"]:
		return scimVerdict{Status: reports.StatusFail, Observed: s.line() + ", another user", Diagnosis: "the query returned another user than the one matching: Entra would update the wrong user", Fix: "apply the filter"}
	}
	return pass(s.line() + ", exactly the user")
}

// probeFilterCase creates two users and queries the first by its userName in upper case.
func probeFilterCase(p *scimProbe) {
	id := p.createUser(1, "create")
	if id == "" || p.createUser(2, "create other") == "" {
		return
	}
	p.ev.Want["id"] = id
	p.do("query", p.d.GetUserByUserName(strings.ToUpper(p.user(1)["userName"])))
}

func probeFilterNotFound(p *scimProbe) {
	if p.createUser(1, "create") != "" {
		p.do("query", p.d.GetUserByUserName("ssoh-nobody-"+randomGUID()+"@contoso.example"))
	}
}

// probePatch creates a user and sends one attribute change in the default dialect (the
// capitalised ops), or the target's dialect for filtered paths (both dialects send those
// alone with a path); add: the attribute is new (Add).
func probePatch(path string, add bool) func(*scimProbe) {
	return func(p *scimProbe) {
		id := p.createUser(1, "create")
		if id == "" {
			return
		}
		old := p.user(1)[path]
		nv := "changed-" + p.tag
		if strings.HasPrefix(path, "emails") {
			nv = "changed-" + p.tag + "@contoso.example"
		}
		if add {
			old = ""
		}
		d := provision.Dialect{}
		if strings.Contains(path, "[") {
			d = p.d
		}
		p.ev.Want[path] = nv
		p.do("patch", d.PatchUser(id, []provision.Change{{Path: path, Old: old, New: nv}}))
		p.do("read back", p.d.GetUser(id))
	}
}

func probeBundled(p *scimProbe) {
	id := p.createUser(1, "create")
	if id == "" {
		return
	}
	u := p.user(1)
	p.ev.Want["displayName"], p.ev.Want["name.givenName"] = "Bundled "+p.tag, "Given"+p.tag
	p.do("patch", provision.Dialect{Compliant: true}.PatchUser(id, []provision.Change{
		{Path: "displayName", Old: u["displayName"], New: p.ev.Want["displayName"]},
		{Path: "name.givenName", Old: u["name.givenName"], New: p.ev.Want["name.givenName"]}}))
	p.do("read back", p.d.GetUser(id))
}

// judgePatch: the PATCH succeeded and the read-back shows the paths' new values.
func judgePatch(paths ...string) func(SCIMEvidence) scimVerdict {
	return func(e SCIMEvidence) scimVerdict {
		s := e.step("patch")
		if s == nil {
			return notSetUp(e.step("create"), "scim.user.create")
		}
		if !s.ok() {
			return scimFail(s, true, "Entra's update with this shape is refused: the attribute never changes in the app, every cycle.", "accept this PATCH shape as Entra sends it (op names case-insensitively, paths with filters, value objects with dotted attribute names); see Microsoft's SCIM compliance known issues")
		}
		rb := e.step("read back")
		if !rb.ok() {
			return scimFail(rb, true, "the user cannot be read back after the update.", "serve GET /Users/{id}")
		}
		b := rb.body()
		for _, p := range paths {
			if got := attr(b, p); got != e.Want[p] {
				return scimVerdict{Status: reports.StatusFail, Observed: fmt.Sprintf("%s, then %s: %s is %q", s.line(), rb.line(), p, got),
					Diagnosis: "the SP answered success but did not apply the change: Entra logs Success while the app keeps the old value",
					Fix:       "apply " + p + " from the operation (RFC 7644 §3.5.2) before answering 200/204"}
			}
		}
		return pass(s.line() + ", applied")
	}
}

// probeActive sends the Disable in one dialect; probeDisable in the target's.
func probeActive(compliant bool) func(*scimProbe) {
	return func(p *scimProbe) {
		if id := p.createUser(1, "create"); id != "" {
			p.do("patch", provision.Dialect{Compliant: compliant}.SetActive(id, false))
			p.do("read back", p.d.GetUser(id))
		}
	}
}

func probeDisable(p *scimProbe) {
	if id := p.createUser(1, "create"); id != "" {
		p.do("patch", p.d.SetActive(id, false))
		p.do("read back", p.d.GetUser(id))
	}
}

func judgeDisable(e SCIMEvidence) scimVerdict {
	s := e.step("patch")
	if s == nil {
		return notSetUp(e.step("create"), "scim.user.create")
	}
	if !s.ok() {
		fix := "accept active as a boolean and as the strings \"True\"/\"False\" (Entra's default job sends strings), or add ?aadOptscim062020 to the Tenant URL so that Entra sends booleans"
		return scimFail(s, true, "the Disable is refused: users disabled, unassigned or deleted in Entra stay active in the app and keep signing in with their app credentials.", fix)
	}
	rb := e.step("read back")
	if rb.Status == 404 {
		return scimFail(rb, true, "the Disable deleted the user: Entra re-enables by PATCH and logs "+provision.ErrInvalidAnchor+".", "on active false keep the user, inactive")
	}
	if a, ok := isActive(rb.body()); !ok || a {
		return scimVerdict{Status: reports.StatusFail, Observed: s.line() + ", then still active", Diagnosis: "the SP answered success but the user is still active: Entra logs the Disable as Success while the user keeps access",
			Fix: "set active from the operation's value (boolean or \"True\"/\"False\")"}
	}
	return pass(s.line() + ", active false")
}

func probeDelete(p *scimProbe) {
	if id := p.createUser(1, "create"); id != "" {
		p.do("delete", p.d.DeleteUser(id))
		p.do("read back", p.d.GetUser(id))
	}
}

func judgeDelete(e SCIMEvidence) scimVerdict {
	s := e.step("delete")
	if s == nil {
		return notSetUp(e.step("create"), "scim.user.create")
	}
	if !s.ok() {
		return scimFail(s, true, "the Delete is refused: users unassigned with delete, or hard-deleted in Entra, stay in the app.", "answer DELETE /Users/{id} with 204 No Content after removing the user")
	}
	if rb := e.step("read back"); rb.Status != 404 {
		return scimVerdict{Status: reports.StatusFail, Observed: s.line() + ", then " + rb.line(), Diagnosis: "the user still exists after DELETE answered success (RFC 7644 §3.6: a deleted resource is 404 afterwards); a soft delete that keeps the user readable lets Entra's next matching query find and re-use it",
			Fix: "remove the user (or hide it from every endpoint) and answer 404 for it afterwards"}
	}
	if s.Status != 204 {
		return scimVerdict{Status: reports.StatusWarn, Observed: s.line(), Diagnosis: "deleted, but answered " + fmt.Sprint(s.Status) + "; Entra expects 204", Fix: "answer 204 No Content"}
	}
	return pass(s.line() + ", then 404")
}

func probeGroupCreate(p *scimProbe) { p.createGroup("create group") }

func judgeGroupCreate(e SCIMEvidence) scimVerdict {
	s := e.step("create group")
	if !s.ok() {
		return scimFail(s, false, "Create Group failed: groups (and their members) are not provisioned.", "accept POST /Groups with the core Group and Microsoft's ADSCIM Group schemas and no members; answer 201 with an id")
	}
	if str(s.body(), "id") == "" {
		return scimVerdict{Status: reports.StatusFail, Observed: s.line() + " without an id", Diagnosis: provision.ErrServiceIncompatible + ": no id to add members with", Fix: "return the created group with its id"}
	}
	return pass(s.line())
}

// probeMembers creates a user and a group, adds the user, and (remove "default" or
// "compliant") removes it in that dialect's shape; then reads the group back.
func probeMembers(remove string) func(*scimProbe) {
	return func(p *scimProbe) {
		uid := p.createUser(1, "create")
		if uid == "" {
			return
		}
		gid := p.createGroup("create group")
		if gid == "" {
			return
		}
		p.ev.Want["member"] = uid
		name := "patch"
		if remove != "" {
			name = "add member"
		}
		p.do(name, p.d.AddMembers(gid, []string{uid}))
		if remove != "" {
			p.do("patch", provision.Dialect{Compliant: remove == "compliant"}.RemoveMembers(gid, []string{uid}))
		}
		p.do("read back", p.d.GetGroup(gid))
	}
}

func judgeMembers(present bool) func(SCIMEvidence) scimVerdict {
	return func(e SCIMEvidence) scimVerdict {
		if a := e.step("add member"); a != nil && !a.ok() {
			return notSetUp(a, "scim.group.member.add")
		}
		s := e.step("patch")
		if s == nil {
			if g := e.step("create group"); g != nil {
				return notSetUp(g, "scim.group.create")
			}
			return notSetUp(e.step("create"), "scim.user.create")
		}
		if !s.ok() {
			return scimFail(s, true, "the group membership update is refused: the app's group members drift from Entra's.", "accept Entra's member PATCH shapes: Add with a value array, Remove with a value array (default) and remove with path members[value eq \"id\"] (aadOptscim062020); answer 204")
		}
		rb := e.step("read back")
		if !rb.ok() {
			return scimFail(rb, true, "the group cannot be read back.", "serve GET /Groups/{id} with its members")
		}
		has := false
		for _, m := range anyMaps(rb.body()["members"]) {
			has = has || str(m, "value") == e.Want["member"]
		}
		if has != present {
			return scimVerdict{Status: reports.StatusFail, Observed: fmt.Sprintf("%s, then member present: %v", s.line(), has),
				Diagnosis: "the SP answered success but the membership did not change: Entra logs Success while the group's members differ",
				Fix:       "apply the members operation before answering"}
		}
		return pass(s.line() + ", membership applied")
	}
}

func anyMaps(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func judgeSPConfig(e SCIMEvidence) scimVerdict {
	s := e.step("config")
	if !s.ok() {
		return scimFail(s, false, "the SP does not describe its SCIM features.", "serve GET /ServiceProviderConfig (RFC 7644 §4) with patch and filter supported")
	}
	b := s.body()
	var missing []string
	for _, f := range []string{"patch", "filter"} {
		m, _ := b[f].(map[string]any)
		if sup, _ := m["supported"].(bool); !sup {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return scimVerdict{Status: reports.StatusWarn, Observed: s.line() + ", not supported: " + strings.Join(missing, ", "), Diagnosis: "the SP declares no support for " + strings.Join(missing, " and ") + ", which Entra's provisioning needs (matching by filter, updates by PATCH)",
			Fix: "declare (and implement) patch.supported and filter.supported"}
	}
	return pass(s.line())
}

func judgeSchemas(e SCIMEvidence) scimVerdict {
	s := e.step("schemas")
	if !s.ok() {
		return scimFail(s, false, "schema discovery fails.", "serve GET /Schemas (RFC 7644 §4) listing the User (and Group) schemas")
	}
	for _, r := range resources(s.body()) {
		if str(r, "id") == provision.SchemaUser {
			return pass(s.line())
		}
	}
	return scimVerdict{Status: reports.StatusFail, Observed: s.line() + " without the User schema", Diagnosis: "GET /Schemas does not list " + provision.SchemaUser, Fix: "list the schemas in a ListResponse with their ids"}
}

func probePaging(p *scimProbe) {
	for i := 1; i <= 3; i++ {
		if p.createUser(i, "create") == "" {
			return
		}
	}
	p.do("page 1", p.d.ListUsers(1, 2))
	p.do("page 2", p.d.ListUsers(3, 2))
}

func judgePaging(e SCIMEvidence) scimVerdict {
	p1, p2 := e.step("page 1"), e.step("page 2")
	if p1 == nil {
		return notSetUp(e.step("create"), "scim.user.create")
	}
	for _, s := range []*SCIMStep{p1, p2} {
		if !s.ok() {
			return scimFail(s, false, "paging through users fails.", "support startIndex and count on GET /Users (RFC 7644 §3.4.2.4)")
		}
	}
	r1, r2 := resources(p1.body()), resources(p2.body())
	if len(r1) > 2 || len(r1) == 0 || toInt(p1.body()["totalResults"]) < 3 {
		return scimVerdict{Status: reports.StatusFail, Observed: fmt.Sprintf("%s: %d resources, totalResults %v", p1.line(), len(r1), p1.body()["totalResults"]),
			Diagnosis: "count=2 did not give a page of at most 2 users with totalResults counting them all: a client reading pages gets everything at once or misses users",
			Fix:       "honour count (at most that many Resources), report totalResults for the whole result and itemsPerPage/startIndex"}
	}
	for _, a := range r1 {
		for _, b := range r2 {
			if str(a, "id") == str(b, "id") {
				return scimVerdict{Status: reports.StatusFail, Observed: p2.line() + " repeats " + str(a, "id"), Diagnosis: "startIndex=3 returned a user of the first page: startIndex is ignored", Fix: "honour startIndex (1-based)"}
			}
		}
	}
	return pass(fmt.Sprintf("%s: %d, %s: %d", p1.line(), len(r1), p2.line(), len(r2)))
}
