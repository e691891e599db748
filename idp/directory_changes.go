package idp

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Directory changes at run time: what an admin does in the portal between two provisioning
// cycles (disable a user, change an attribute, assign or unassign, change group membership,
// delete). Every change goes through the change log every replica applies (directory_log.go)
// and is applied under the directory lock for writing; ServeHTTP holds it for reading while
// any handler but a provisioning cycle runs (server.go), so a change never races a sign-in:
// a sign-in sees the directory before or after the change, never half of it.
// Readers outside a request (Server.Config, Server.Tenant from a test's goroutine) must not
// run concurrently with changes.

// directoryChanges is the directory lock, the users purged in the run, and how far this
// replica has applied the change log (directory_log.go).
type directoryChanges struct {
	mu     sync.RWMutex
	purged []*DeletedUser // permanently deleted users, gone from their tenant
	// applied is the sequence number of the last change applied; shared says the store is
	// shared with other replicas (WithStore), whose changes each request looks for.
	applied int
	shared  bool
}

// DeletedUser is a user in the tenant's "Deleted users" (soft-deleted, restorable for 30
// days in Entra) or, once Purged, permanently deleted.
type DeletedUser struct {
	User
	// TenantID is the user's tenant.
	TenantID string `json:"tenantId"`
	// DeletedDateTime is when the user was soft-deleted, on the server's clock.
	DeletedDateTime time.Time `json:"deletedDateTime"`
	// Purged is true once the user is permanently deleted (Entra's hard delete).
	Purged bool `json:"purged,omitempty"`
}

// userAnywhere finds a live user by UPN or object ID in any tenant.
func (s *Server) userAnywhere(key string) (*Tenant, *User, error) {
	for _, t := range s.cfg.Tenants {
		if u := t.userByLogin(key); u != nil {
			return t, u, nil
		}
	}
	return nil, nil, fmt.Errorf("no user %q in the directory (give a UPN or object ID)", key)
}

// appAnywhere finds an enterprise app by app ID or display name in any tenant.
func (s *Server) appAnywhere(key string) (*Tenant, *EnterpriseApp, error) {
	for _, t := range s.cfg.Tenants {
		if a := t.EnterpriseApp(key); a != nil {
			return t, a, nil
		}
	}
	return nil, nil, fmt.Errorf("no enterprise app %q in the directory", key)
}

// groupIn finds a group of t by object ID or display name.
func groupIn(t *Tenant, key string) *Group {
	for _, g := range t.Groups {
		if strings.EqualFold(g.ID, key) || strings.EqualFold(g.DisplayName, key) {
			return g
		}
	}
	return nil
}

// SetAccountEnabled sets "Account enabled" of a user (UPN or object ID): false blocks its
// sign-in (AADSTS50057) and makes the next provisioning cycle disable it in the app.
func (s *Server) SetAccountEnabled(user string, enabled bool) error {
	return s.change(dirChange{Op: opAccountEnabled, Target: user, On: enabled})
}

func (s *Server) setAccountEnabled(user string, enabled bool) error {
	_, u, err := s.userAnywhere(user)
	if err != nil {
		return err
	}
	u.AccountEnabled = &enabled
	return nil
}

// SetUserAttribute changes one attribute of a user: displayName, givenName, surname, mail or
// userPrincipalName (unique in its tenant). The next provisioning cycle PATCHes it.
func (s *Server) SetUserAttribute(user, attr, value string) error {
	return s.change(dirChange{Op: opUserAttribute, Target: user, Name: attr, Value: value})
}

func (s *Server) setUserAttribute(user, attr, value string) error {
	t, u, err := s.userAnywhere(user)
	if err != nil {
		return err
	}
	switch strings.ToLower(attr) {
	case "displayname":
		u.DisplayName = value
	case "givenname":
		u.GivenName = value
	case "surname":
		u.Surname = value
	case "mail":
		u.Mail = value
	case "userprincipalname":
		if !strings.Contains(value, "@") {
			return fmt.Errorf("userPrincipalName %q: want name@domain", value)
		}
		if o := t.userByLogin(value); o != nil && o != u {
			return fmt.Errorf("userPrincipalName %q: already used by another user", value)
		}
		u.UserPrincipalName = value
	default:
		return fmt.Errorf("attribute %q: want displayName, givenName, surname, mail or userPrincipalName", attr)
	}
	return nil
}

// AssignToApp adds a user (UPN or object ID) or group (display name or object ID) to the
// app's "Users and groups". Assigning twice is a no-op.
func (s *Server) AssignToApp(app, principal string) error {
	return s.change(dirChange{Op: opAssign, Target: app, Value: principal})
}

func (s *Server) assignToApp(app, principal string) error {
	t, a, err := s.appAnywhere(app)
	if err != nil {
		return err
	}
	if t.userByLogin(principal) == nil && groupIn(t, principal) == nil {
		return fmt.Errorf("%q is neither a user nor a group of the app's tenant", principal)
	}
	if !slices.ContainsFunc(a.Assignments, func(x string) bool { return strings.EqualFold(x, principal) }) {
		a.Assignments = append(slices.Clip(a.Assignments), principal)
	}
	return nil
}

// UnassignFromApp removes a principal from the app's "Users and groups": every assignment
// naming it, by UPN, object ID or group display name.
func (s *Server) UnassignFromApp(app, principal string) error {
	return s.change(dirChange{Op: opUnassign, Target: app, Value: principal})
}

func (s *Server) unassignFromApp(app, principal string) error {
	t, a, err := s.appAnywhere(app)
	if err != nil {
		return err
	}
	names := []string{principal}
	if u := t.userByLogin(principal); u != nil {
		names = append(names, u.ID, u.UserPrincipalName)
	} else if g := groupIn(t, principal); g != nil {
		names = append(names, g.ID, g.DisplayName)
	}
	before := len(a.Assignments)
	a.Assignments = slices.DeleteFunc(slices.Clone(a.Assignments), func(x string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, x) })
	})
	if len(a.Assignments) == before {
		return fmt.Errorf("%q is not assigned to %s", principal, a.DisplayName)
	}
	return nil
}

// userAndGroup finds a user in any tenant and a group of the user's tenant (the caller
// holds the directory lock).
func (s *Server) userAndGroup(user, group string) (*Tenant, *User, *Group, error) {
	t, u, err := s.userAnywhere(user)
	if err != nil {
		return nil, nil, nil, err
	}
	g := groupIn(t, group)
	if g == nil {
		return nil, nil, nil, fmt.Errorf("no group %q in the user's tenant", group)
	}
	return t, u, g, nil
}

// AddGroupMember makes a user a member of a group of its tenant.
func (s *Server) AddGroupMember(group, user string) error {
	return s.change(dirChange{Op: opAddMember, Target: group, Value: user})
}

func (s *Server) addGroupMember(group, user string) error {
	t, u, g, err := s.userAndGroup(user, group)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(t.groupsOf(u), func(x *Group) bool { return x == g }) {
		u.MemberOf = append(slices.Clip(u.MemberOf), g.ID)
	}
	return nil
}

// RemoveGroupMember removes a user from a group.
func (s *Server) RemoveGroupMember(group, user string) error {
	return s.change(dirChange{Op: opRemoveMember, Target: group, Value: user})
}

func (s *Server) removeGroupMember(group, user string) error {
	_, u, g, err := s.userAndGroup(user, group)
	if err != nil {
		return err
	}
	before := len(u.MemberOf)
	u.MemberOf = slices.DeleteFunc(slices.Clone(u.MemberOf), func(m string) bool {
		return strings.EqualFold(m, g.ID) || strings.EqualFold(m, g.DisplayName)
	})
	if len(u.MemberOf) == before {
		return fmt.Errorf("%s is not a member of %s", u.UserPrincipalName, g.DisplayName)
	}
	return nil
}

// DeleteUser soft-deletes a user, as Entra's "Delete" does: it stays in the tenant with
// deletedDateTime set (the field a config can set too), so it cannot sign in (AADSTS50034),
// leaves Graph's /users for /directory/deletedItems, and the next provisioning cycle
// disables it in the app.
func (s *Server) DeleteUser(user string) error {
	return s.change(dirChange{Op: opDeleteUser, Target: user})
}

func (s *Server) deleteUser(user string, at time.Time) error {
	_, u, err := s.userAnywhere(user)
	if err != nil {
		return err
	}
	u.DeletedDateTime = at.UTC().Format(time.RFC3339)
	return nil
}

// PurgeUser permanently deletes a user (a live one is soft-deleted first): it leaves the
// tenant, and the next provisioning cycle sends DELETE /Users/{id}.
func (s *Server) PurgeUser(user string) error {
	return s.change(dirChange{Op: opPurgeUser, Target: user})
}

func (s *Server) purgeUser(user string, at time.Time) error {
	for _, t := range s.cfg.Tenants {
		for _, u := range t.Users {
			if !strings.EqualFold(u.ID, user) && !strings.EqualFold(u.UserPrincipalName, user) {
				continue
			}
			if !u.Deleted() {
				u.DeletedDateTime = at.UTC().Format(time.RFC3339)
			}
			d := deletedUser(t, u)
			d.Purged = true
			s.changes.purged = append(s.changes.purged, d)
			t.Users = slices.DeleteFunc(slices.Clone(t.Users), func(x *User) bool { return x == u })
			return nil
		}
	}
	return fmt.Errorf("no user %q in the directory or in deleted users", user)
}

// deletedUser is u, a deleted user of t, as the deleted items list shows it.
func deletedUser(t *Tenant, u *User) *DeletedUser {
	c := *u
	c.MemberOf = slices.Clone(u.MemberOf)
	when, _ := time.Parse(time.RFC3339, u.DeletedDateTime)
	return &DeletedUser{User: c, TenantID: t.ID, DeletedDateTime: when}
}

// deletedIn lists t's soft-deleted users, then the purged ones.
func (s *Server) deletedIn(t *Tenant) []DeletedUser {
	var out []DeletedUser
	for _, u := range t.Users {
		if u.Deleted() {
			out = append(out, *deletedUser(t, u))
		}
	}
	for _, d := range s.changes.purged {
		if d.TenantID == t.ID {
			c := *d
			c.MemberOf = slices.Clone(d.MemberOf)
			out = append(out, c)
		}
	}
	return out
}

// DeletedUsers lists the soft-deleted and purged users of every tenant.
func (s *Server) DeletedUsers() []DeletedUser {
	s.syncDirectory()
	s.changes.mu.RLock()
	defer s.changes.mu.RUnlock()
	var out []DeletedUser
	for _, t := range s.cfg.Tenants {
		out = append(out, s.deletedIn(t)...)
	}
	return out
}

// ProvisioningView is what the provisioning service reads of the directory for one app, a
// copy taken under the directory lock (so a cycle works on one consistent state).
type ProvisioningView struct {
	AppID          string `json:"appId"`
	AppDisplayName string `json:"appDisplayName"`
	TenantID       string `json:"tenantId"`
	// Settings is a copy of the app's provisioning settings.
	Settings Provisioning `json:"settings"`
	// Users are every live user of the tenant, with whether the scope takes it.
	Users []ViewUser `json:"users"`
	// Groups are every group of the tenant, with their members' object IDs.
	Groups []ViewGroup `json:"groups"`
	// Deleted are the tenant's soft-deleted and purged users.
	Deleted []DeletedUser `json:"deleted,omitempty"`
}

// ViewUser is a user as the provisioning service sees it.
type ViewUser struct {
	User
	// InScope: assigned to the app, directly or through a group (scope assigned), or any user
	// (scope all).
	InScope bool `json:"inScope"`
}

// ViewGroup is a group as the provisioning service sees it.
type ViewGroup struct {
	Group
	// Members are the object IDs of its member users.
	Members []string `json:"members"`
	// InScope: assigned to the app (scope assigned), or any group (scope all).
	InScope bool `json:"inScope"`
}

// ProvisioningView returns the app's (app ID or display name) provisioning settings and the
// directory as its provisioning service sees it. It fails when the app has no provisioning.
func (s *Server) ProvisioningView(app string) (*ProvisioningView, error) {
	s.syncDirectory()
	s.changes.mu.RLock()
	defer s.changes.mu.RUnlock()
	t, a, err := s.appAnywhere(app)
	if err != nil {
		return nil, err
	}
	if a.Provisioning == nil {
		return nil, fmt.Errorf("enterprise app %s has no provisioning settings (Provisioning Mode: Automatic)", a.DisplayName)
	}
	p := *a.Provisioning
	p.Mappings = slices.Clone(p.Mappings)
	v := &ProvisioningView{AppID: a.AppID, AppDisplayName: a.DisplayName, TenantID: t.ID, Settings: p}
	all := p.Scope == ProvisionAll
	for _, u := range t.Users {
		if u.Deleted() {
			continue // in v.Deleted
		}
		c := *u
		c.MemberOf = slices.Clone(u.MemberOf)
		if c.MailNickname == "" {
			c.MailNickname, _, _ = strings.Cut(u.UserPrincipalName, "@") // what Entra derives it from
		}
		v.Users = append(v.Users, ViewUser{User: c, InScope: all || t.assigned(u, true, a.Assignments)})
	}
	for _, g := range t.Groups {
		vg := ViewGroup{Group: *g, InScope: all || slices.ContainsFunc(a.Assignments, func(x string) bool {
			return strings.EqualFold(x, g.ID) || strings.EqualFold(x, g.DisplayName)
		})}
		for _, u := range t.Users {
			if slices.ContainsFunc(t.groupsOf(u), func(x *Group) bool { return x == g }) {
				vg.Members = append(vg.Members, u.ID)
			}
		}
		v.Groups = append(v.Groups, vg)
	}
	v.Deleted = s.deletedIn(t)
	return v, nil
}
