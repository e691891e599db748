package idp

import (
	"net/http"
	"strings"
)

// Graph's groups: /groups, /groups/{id}, /groups/{id}/members and /transitiveMembers. Nested
// groups come from Group.MemberOf; a user's groups from User.MemberOf.

// groupType is microsoft.graph.group (Graph returns every property by default).
var groupType = &graphType{
	name: "group",
	props: []string{"id", "deletedDateTime", "classification", "createdDateTime", "creationOptions", "description",
		"displayName", "groupTypes", "mail", "mailEnabled", "mailNickname", "securityEnabled", "visibility"},
	filter: []string{"id", "displayName", "mail", "mailNickname", "securityEnabled", "mailEnabled"},
	search: []string{"displayName", "description", "mail", "mailNickname"},
}

// groupObject is g with Graph's group properties.
func groupObject(g *Group) *graphObject {
	sec := g.SecurityEnabled == nil || *g.SecurityEnabled
	return newGraphObject().set("id", g.ID).set("deletedDateTime", nil).set("classification", nil).
		set("createdDateTime", str(g.CreatedDateTime)).set("creationOptions", []string{}).
		set("description", str(g.Description)).set("displayName", g.DisplayName).set("groupTypes", []string{}).
		set("mail", str(g.Mail)).set("mailEnabled", g.MailEnabled).set("mailNickname", str(g.MailNickname)).
		set("securityEnabled", sec).set("visibility", nil)
}

// groupNamed finds a group by object ID or display name (as MemberOf lists them).
func groupNamed(t *Tenant, key string) *Group {
	for _, g := range t.Groups {
		if strings.EqualFold(g.ID, key) || strings.EqualFold(g.DisplayName, key) {
			return g
		}
	}
	return nil
}

// transitiveGroups are the groups memberOf names and, transitively, the groups they are in
// (cycles followed once).
func transitiveGroups(t *Tenant, memberOf []string) []*Group {
	var out []*Group
	seen := map[*Group]bool{}
	queue := append([]string(nil), memberOf...)
	for len(queue) > 0 {
		g := groupNamed(t, queue[0])
		queue = queue[1:]
		if g == nil || seen[g] {
			continue
		}
		seen[g] = true
		out = append(out, g)
		queue = append(queue, g.MemberOf...)
	}
	return out
}

// inGroup reports whether memberOf names g.
func inGroup(memberOf []string, g *Group) bool {
	for _, m := range memberOf {
		if strings.EqualFold(m, g.ID) || strings.EqualFold(m, g.DisplayName) {
			return true
		}
	}
	return false
}

// handleGraphGroups is GET /v1.0/groups.
func (s *Server) handleGraphGroups(w http.ResponseWriter, gr *graphReq) {
	if e := gr.require(permsReadGroups...); e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), groupType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	var all []*graphObject
	for _, g := range gr.caller.tenant.Groups {
		all = append(all, groupObject(g))
	}
	s.writeCollection(w, gr, "groups"+selectContext(gq, groupType), gq, all)
}

// graphGroup is the group of the path's {id} (object ID only, as Graph), or the 403/404.
func (s *Server) graphGroup(w http.ResponseWriter, gr *graphReq) *Group {
	if e := gr.require(permsReadGroups...); e != nil {
		s.writeGraphError(w, gr, e)
		return nil
	}
	id := gr.r.PathValue("id")
	for _, g := range gr.caller.tenant.Groups {
		if strings.EqualFold(g.ID, id) {
			return g
		}
	}
	s.writeGraphError(w, gr, graphNotFound(truncate(id, 128)))
	return nil
}

// handleGraphGroup is GET /v1.0/groups/{id}.
func (s *Server) handleGraphGroup(w http.ResponseWriter, gr *graphReq) {
	g := s.graphGroup(w, gr)
	if g == nil {
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), groupType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	s.writeEntity(w, gr, "groups"+selectContext(gq, groupType)+"/$entity", groupObject(g).project(gq.selects))
}

// handleGraphMembers is GET /v1.0/groups/{id}/members: direct members, users and groups.
func (s *Server) handleGraphMembers(w http.ResponseWriter, gr *graphReq) {
	s.graphMembers(w, gr, false)
}

// handleGraphTransitiveMembers is GET /v1.0/groups/{id}/transitiveMembers: the members of
// the group and of every group nested in it.
func (s *Server) handleGraphTransitiveMembers(w http.ResponseWriter, gr *graphReq) {
	s.graphMembers(w, gr, true)
}

// graphMembers lists a group's members as directoryObjects: groups first, then users, each
// with its @odata.type. $select names user properties (Graph casts; the mock projects both).
func (s *Server) graphMembers(w http.ResponseWriter, gr *graphReq, transitive bool) {
	g := s.graphGroup(w, gr)
	if g == nil {
		return
	}
	t := gr.caller.tenant
	memberTypes := &graphType{name: "directoryObject", props: append(append([]string{}, userType.props...), groupType.props...),
		filter: userType.filter, search: userType.search}
	gq, e := parseGraphQuery(gr.r.URL.Query(), memberTypes, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	in := func(memberOf []string) bool {
		if !transitive {
			return inGroup(memberOf, g)
		}
		for _, x := range transitiveGroups(t, memberOf) {
			if x == g {
				return true
			}
		}
		return false
	}
	var all []*graphObject
	for _, sub := range t.Groups {
		if sub != g && in(sub.MemberOf) {
			all = append(all, typed("group", groupObject(sub)))
		}
	}
	for _, u := range liveUsers(t) {
		if in(u.MemberOf) {
			o := typed("user", userObject(u))
			o.defaults = userType.defaults // filtered on every property, shown with the default set
			all = append(all, o)
		}
	}
	s.writeCollection(w, gr, "directoryObjects", gq, all)
}
