package idp

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Graph's users: /me, /users, /users/{id | userPrincipalName}, /users/{id}/memberOf,
// getMemberObjects (the groups overage source the tokens point at) and the deleted users.
// Users come from the directory the sign-in uses; a deleted user (deletedDateTime) is only
// in /directory/deletedItems.

// userType is microsoft.graph.user: its properties, the default $select set (GU), the
// properties $filter and $search take.
var userType = &graphType{
	name: "user",
	props: []string{"id", "accountEnabled", "businessPhones", "createdDateTime", "deletedDateTime", "department",
		"displayName", "employeeId", "givenName", "jobTitle", "mail", "mailNickname", "mobilePhone", "officeLocation",
		"preferredLanguage", "surname", "userPrincipalName", "userType"},
	defaults: []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
		"preferredLanguage", "surname", "userPrincipalName", "id"},
	filter: []string{"id", "userPrincipalName", "mail", "displayName", "accountEnabled", "userType", "givenName", "surname",
		"mailNickname", "employeeId", "department", "jobTitle"},
	search: []string{"displayName", "mail", "userPrincipalName", "givenName", "surname", "mailNickname"},
}

// Permissions that read any user (application or delegated), and the groups.
var (
	permsReadUsers  = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "User.ReadBasic.All"}
	permsReadSelf   = []string{"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	permsReadGroups = []string{"Group.Read.All", "GroupMember.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)

// userObject is u with every property, in the default set's order first.
func userObject(u *User) *graphObject {
	o := newGraphObject()
	phones := u.BusinessPhones
	if phones == nil {
		phones = []string{}
	}
	userType := u.UserType
	if userType == "" {
		userType = "Member"
		if strings.Contains(u.UserPrincipalName, "#EXT#") {
			userType = "Guest"
		}
	}
	o.set("businessPhones", phones).set("displayName", str(u.DisplayName)).set("givenName", str(u.GivenName)).
		set("jobTitle", str(u.JobTitle)).set("mail", str(u.Mail)).set("mobilePhone", str(u.MobilePhone)).
		set("officeLocation", str(u.OfficeLocation)).set("preferredLanguage", nil).set("surname", str(u.Surname)).
		set("userPrincipalName", u.UserPrincipalName).set("id", u.ID).
		set("accountEnabled", u.Enabled()).set("createdDateTime", str(u.CreatedDateTime)).
		set("deletedDateTime", str(u.DeletedDateTime)).set("department", str(u.Department)).
		set("employeeId", str(u.EmployeeID)).set("mailNickname", str(u.MailNickname)).set("userType", userType)
	return o
}

// typed is o with its @odata.type first, as directoryObject collections write it.
func typed(typ string, o *graphObject) *graphObject {
	out := newGraphObject().set("@odata.type", "#microsoft.graph."+typ)
	for _, k := range o.keys {
		out.set(k, o.vals[k])
	}
	return out
}

// liveUsers are t's users that are not deleted.
func liveUsers(t *Tenant) []*User {
	var out []*User
	for _, u := range t.Users {
		if !u.Deleted() {
			out = append(out, u)
		}
	}
	return out
}

// userByKey finds a live user by object ID or UPN, as /users/{id | userPrincipalName}.
func userByKey(t *Tenant, key string) *User {
	for _, u := range liveUsers(t) {
		if strings.EqualFold(u.ID, key) || strings.EqualFold(u.UserPrincipalName, key) {
			return u
		}
	}
	return nil
}

// handleGraphMe is GET /v1.0/me: the signed-in user (delegated tokens only).
func (s *Server) handleGraphMe(w http.ResponseWriter, gr *graphReq) {
	if !gr.caller.delegated() {
		s.writeGraphError(w, gr, graphBadRequest("BadRequest", "/me request is only valid with delegated authentication flow."))
		return
	}
	if e := gr.require(permsReadSelf...); e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	s.writeUser(w, gr, gr.caller.user)
}

// handleGraphUsers is GET /v1.0/users.
func (s *Server) handleGraphUsers(w http.ResponseWriter, gr *graphReq) {
	if e := gr.require(permsReadUsers...); e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), userType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	var all []*graphObject
	for _, u := range liveUsers(gr.caller.tenant) {
		all = append(all, userObject(u))
	}
	s.writeCollection(w, gr, "users"+selectContext(gq, userType), gq, all)
}

// selectContext is the "(id,displayName)" a $select adds to @odata.context.
func selectContext(gq *graphQuery, ty *graphType) string {
	if gq.selects == nil || (len(ty.defaults) > 0 && &gq.selects[0] == &ty.defaults[0]) {
		return ""
	}
	return "(" + strings.Join(gq.selects, ",") + ")"
}

// handleGraphUser is GET /v1.0/users/{id}: by object ID or userPrincipalName; /users/$count
// is the raw count (text/plain; ConsistencyLevel: eventual).
func (s *Server) handleGraphUser(w http.ResponseWriter, gr *graphReq) {
	key := gr.r.PathValue("id")
	if key == "$count" {
		s.graphRawCount(w, gr)
		return
	}
	u := userByKey(gr.caller.tenant, key)
	self := u != nil && gr.caller.user == u
	if e := gr.require(permsReadUsers...); e != nil && !(self && gr.caller.has(permsReadSelf...)) {
		s.writeGraphError(w, gr, e)
		return
	}
	if u == nil {
		s.writeGraphError(w, gr, graphNotFound(truncate(key, 128)))
		return
	}
	s.writeUser(w, gr, u)
}

// writeUser answers one user with the request's $select.
func (s *Server) writeUser(w http.ResponseWriter, gr *graphReq, u *User) {
	gq, e := parseGraphQuery(gr.r.URL.Query(), userType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	s.writeEntity(w, gr, "users"+selectContext(gq, userType)+"/$entity", userObject(u).project(gq.selects))
}

// graphRawCount is GET /v1.0/users/$count.
func (s *Server) graphRawCount(w http.ResponseWriter, gr *graphReq) {
	if e := gr.require(permsReadUsers...); e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	if !gr.eventual() {
		s.writeGraphError(w, gr, graphBadRequest("Request_UnsupportedQuery", "Raw count (/$count) is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information"))
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), userType, true)
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	var all []*graphObject
	for _, u := range liveUsers(gr.caller.tenant) {
		all = append(all, userObject(u))
	}
	gq.top, gq.offset = graphMaxTop, 0
	_, total, _ := gq.apply(all)
	s.finishGraph(w, gr, http.StatusOK)
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, strconv.Itoa(total))
}

// graphMembershipUser is the {id} user whose groups are asked for: the caller needs a
// permission to read users and groups, or only User.Read-like access for itself. nil when an
// error was written.
func (s *Server) graphMembershipUser(w http.ResponseWriter, gr *graphReq) *User {
	u := userByKey(gr.caller.tenant, gr.r.PathValue("id"))
	self := u != nil && gr.caller.user == u
	if e := gr.require(append(permsReadUsers, permsReadGroups...)...); e != nil && !(self && gr.caller.has(permsReadSelf...)) {
		s.writeGraphError(w, gr, e)
		return nil
	}
	if u == nil {
		s.writeGraphError(w, gr, graphNotFound(truncate(gr.r.PathValue("id"), 128)))
	}
	return u
}

// handleGraphMemberOf is GET /v1.0/users/{id}/memberOf: the user's direct groups.
func (s *Server) handleGraphMemberOf(w http.ResponseWriter, gr *graphReq) {
	t := gr.caller.tenant
	u := s.graphMembershipUser(w, gr)
	if u == nil {
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), groupType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	var all []*graphObject
	for _, g := range t.groupsOf(u) {
		all = append(all, typed("group", groupObject(g)))
	}
	s.writeCollection(w, gr, "directoryObjects", gq, all)
}

// handleGraphGetMemberObjects is POST /v1.0/users/{id}/getMemberObjects
// ({"securityEnabledOnly": bool}): the IDs of every group the user is in, transitively —
// what an app reads after a token's groups overage (_claim_sources).
func (s *Server) handleGraphGetMemberObjects(w http.ResponseWriter, gr *graphReq) {
	t := gr.caller.tenant
	u := s.graphMembershipUser(w, gr)
	if u == nil {
		return
	}
	var body struct {
		SecurityEnabledOnly *bool `json:"securityEnabledOnly"`
	}
	if err := json.NewDecoder(io.LimitReader(gr.r.Body, 64<<10)).Decode(&body); err != nil || body.SecurityEnabledOnly == nil {
		s.writeGraphError(w, gr, graphBadRequest("Request_BadRequest", "Invalid request body: securityEnabledOnly (true or false) is required."))
		return
	}
	ids := []string{}
	for _, g := range transitiveGroups(t, u.MemberOf) {
		if !*body.SecurityEnabledOnly || g.SecurityEnabled == nil || *g.SecurityEnabled {
			ids = append(ids, g.ID)
		}
	}
	s.writeGraph(w, gr, newGraphObject().set("@odata.context", gr.base+"/$metadata#Collection(Edm.String)").set("value", ids))
}

// handleGraphDeletedUsers is GET /v1.0/directory/deletedItems/microsoft.graph.user.
func (s *Server) handleGraphDeletedUsers(w http.ResponseWriter, gr *graphReq) {
	if e := gr.require(permsReadUsers...); e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	gq, e := parseGraphQuery(gr.r.URL.Query(), userType, gr.eventual())
	if e != nil {
		s.writeGraphError(w, gr, e)
		return
	}
	if gq.selects != nil && &gq.selects[0] == &userType.defaults[0] {
		gq.selects = append(userType.defaults[:len(userType.defaults):len(userType.defaults)], "deletedDateTime")
	}
	var all []*graphObject
	for _, u := range gr.caller.tenant.Users {
		if u.Deleted() {
			all = append(all, userObject(u))
		}
	}
	s.writeCollection(w, gr, "directory/deletedItems/microsoft.graph.user", gq, all)
}

// handleGraphManager is GET /v1.0/users/{id}/manager: the user's manager (User.Manager), or
// Graph's 404 when it has none.
func (s *Server) handleGraphManager(w http.ResponseWriter, gr *graphReq) {
	t := gr.caller.tenant
	u := userByKey(t, gr.r.PathValue("id"))
	self := u != nil && gr.caller.user == u
	if e := gr.require(permsReadUsers...); e != nil && !(self && gr.caller.has(permsReadSelf...)) {
		s.writeGraphError(w, gr, e)
		return
	}
	if u == nil {
		s.writeGraphError(w, gr, graphNotFound(truncate(gr.r.PathValue("id"), 128)))
		return
	}
	var m *User
	if u.Manager != "" {
		m = userByKey(t, u.Manager)
	}
	if m == nil {
		s.writeGraphError(w, gr, graphNotFound("manager"))
		return
	}
	s.writeEntity(w, gr, "directoryObjects/$entity", typed("user", userObject(m).project(userType.defaults)))
}
