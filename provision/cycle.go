package provision

import (
	"context"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/ssoharness/ssoharness/idp"
)

// run is one cycle of a job.
type run struct {
	job     *job
	view    *idp.ProvisioningView
	cycle   int
	now     func() time.Time
	client  *Client
	dialect Dialect
	maps    []idp.AttributeMapping
	entries []LogEntry
}

func (r *run) add(e LogEntry) *LogEntry {
	e.Cycle, e.Time = r.cycle, r.now()
	r.entries = append(r.entries, e)
	return &r.entries[len(r.entries)-1]
}

// send does one exchange for the entry; false (and the entry failed) when it did not succeed.
func (r *run) send(ctx context.Context, e *LogEntry, req Request, anchored bool) (map[string]any, bool) {
	ex, body := r.client.Do(ctx, req)
	e.Steps = append(e.Steps, ex)
	if code, reason := Classify(ex, anchored); code != "" {
		e.Status, e.ErrorCode, e.Reason = StatusFailure, code, reason
		return body, false
	}
	return body, true
}

// users processes the live users: first sight (match, create), changes, leaving the scope.
func (r *run) users(ctx context.Context) {
	for _, u := range r.view.Users {
		want := userValues(u, r.maps, false)
		esc := r.job.users[u.ID]
		switch {
		case esc == nil:
			r.firstSight(ctx, u, want)
		case !u.InScope && r.view.Settings.UnassignAction == idp.UnassignDelete:
			r.deleteUser(ctx, u.ID, u.UserPrincipalName, "The user left the app's scope and unassignAction is delete.")
		case !u.InScope:
			// Out of scope: only active changes (Entra's soft delete); other attributes are
			// no longer synchronised.
			off := maps.Clone(esc.values)
			off["active"] = "False"
			r.update(ctx, u.ID, u.UserPrincipalName, esc, off)
			esc.unmanaged = esc.values["active"] == "False"
		default:
			r.update(ctx, u.ID, u.UserPrincipalName, esc, want)
			esc.unmanaged = false
		}
	}
}

// firstSight handles a user without escrow: skipped out of scope or disabled, else matched by
// userName (then updated if it differs) or created.
func (r *run) firstSight(ctx context.Context, u idp.ViewUser, want Values) {
	base := LogEntry{ObjectType: "User", SourceID: u.ID, SourceName: u.UserPrincipalName}
	skip := func(reason string) {
		if r.job.skipped[u.ID] != reason {
			r.job.skipped[u.ID] = reason
			base.Action, base.Status, base.ErrorCode, base.Reason = ActionOther, StatusSkipped, ErrSkipped, reason
			r.add(base)
		}
	}
	if !u.InScope {
		skip("The user is not in scope: not assigned to the app (directly or through a group).")
		return
	}
	if want["active"] != "True" {
		skip("The user is disabled (accountEnabled false): it is not created in the application.")
		return
	}
	delete(r.job.skipped, u.ID)
	e := r.add(base)
	match := matchingTarget(r.maps)
	body, ok := r.send(ctx, e, r.dialect.GetUserBy(match, want[match]), false)
	if !ok {
		e.Action = ActionOther
		return
	}
	res, _ := body["Resources"].([]any)
	switch {
	case len(res) > 1:
		e.Action, e.Status, e.ErrorCode = ActionOther, StatusFailure, ErrDuplicateTarget
		e.Reason = "More than one user in the application matched " + match + " " + want[match] + "; remove the duplicate or change the matching attribute."
	case len(res) == 1:
		have, _ := res[0].(map[string]any)
		id := scalar(have["id"])
		changes := diff(ResourceValues(have, targets(r.maps)), want, r.maps)
		if len(changes) == 0 {
			r.job.users[u.ID] = &escrowUser{scimID: id, values: want}
			e.Action, e.Status, e.TargetID, e.ErrorCode = ActionOther, StatusSkipped, id, ErrSkipped
			e.Reason = "Matched an existing user of the application by " + match + "; no change to export."
			return
		}
		e.Action, e.TargetID = ActionUpdate, id
		if _, ok := r.send(ctx, e, r.dialect.PatchUser(id, changes), true); ok {
			r.job.users[u.ID] = &escrowUser{scimID: id, values: want}
			e.Status = StatusSuccess
		}
	default:
		e.Action = ActionCreate
		created, ok := r.send(ctx, e, r.dialect.CreateUser(want), false)
		if !ok {
			return
		}
		id := scalar(created["id"])
		if id == "" {
			e.Status, e.ErrorCode = StatusFailure, ErrServiceIncompatible
			e.Reason = "The response to POST /Users has no id: the provisioning service cannot anchor the user."
			return
		}
		r.job.users[u.ID] = &escrowUser{scimID: id, values: want}
		e.Status, e.TargetID = StatusSuccess, id
	}
}

// update PATCHes what changed since the last export; nothing when nothing did.
func (r *run) update(ctx context.Context, id, name string, esc *escrowUser, want Values) {
	changes := diff(esc.values, want, r.maps)
	if len(changes) == 0 {
		return
	}
	action := ActionUpdate
	if esc.values["active"] == "True" && want["active"] == "False" {
		action = ActionDisable
	}
	e := r.add(LogEntry{Action: action, ObjectType: "User", SourceID: id, SourceName: name, TargetID: esc.scimID})
	if _, ok := r.send(ctx, e, r.dialect.PatchUser(esc.scimID, changes), true); ok {
		esc.values = want
		e.Status = StatusSuccess
	}
}

// deleteUser sends DELETE /Users/{id} and forgets the user (also as a group member).
func (r *run) deleteUser(ctx context.Context, id, name, why string) {
	esc := r.job.users[id]
	e := r.add(LogEntry{Action: ActionDelete, ObjectType: "User", SourceID: id, SourceName: name, TargetID: esc.scimID, Reason: why})
	if _, ok := r.send(ctx, e, r.dialect.DeleteUser(esc.scimID), true); !ok {
		return
	}
	e.Status = StatusSuccess
	delete(r.job.users, id)
	for _, g := range r.job.groups {
		delete(g.members, id)
	}
}

// deletedUsers handles users deleted in the directory: soft-deleted ones are disabled (or
// deleted with unassignAction delete), purged ones deleted ("How provisioning works",
// Deprovisioning); users already disabled for leaving the scope are left alone.
func (r *run) deletedUsers(ctx context.Context) {
	for _, d := range r.view.Deleted {
		esc := r.job.users[d.ID]
		if esc == nil || esc.unmanaged {
			continue
		}
		if d.Purged || r.view.Settings.UnassignAction == idp.UnassignDelete {
			r.deleteUser(ctx, d.ID, d.UserPrincipalName, "The user was deleted in Microsoft Entra ID.")
			continue
		}
		off := maps.Clone(esc.values)
		off["active"] = "False"
		r.update(ctx, d.ID, d.UserPrincipalName, esc, off)
	}
}

// groups processes the groups: create (then add members), rename, member changes, delete.
func (r *run) groups(ctx context.Context) {
	for _, g := range r.view.Groups {
		esc := r.job.groups[g.ID]
		want := map[string]string{}
		for _, m := range g.Members {
			if u := r.job.users[m]; u != nil {
				want[m] = u.scimID
			}
		}
		switch {
		case esc == nil && g.InScope:
			r.createGroup(ctx, g, want)
		case esc != nil && !g.InScope:
			e := r.add(LogEntry{Action: ActionDelete, ObjectType: "Group", SourceID: g.ID, SourceName: g.DisplayName, TargetID: esc.scimID})
			if _, ok := r.send(ctx, e, r.dialect.DeleteGroup(esc.scimID), true); ok {
				e.Status = StatusSuccess
				delete(r.job.groups, g.ID)
			}
		case esc != nil:
			r.updateGroup(ctx, g, esc, want)
		}
	}
}

func (r *run) createGroup(ctx context.Context, g idp.ViewGroup, want map[string]string) {
	e := r.add(LogEntry{Action: ActionCreate, ObjectType: "Group", SourceID: g.ID, SourceName: g.DisplayName})
	body, ok := r.send(ctx, e, r.dialect.GetGroupByDisplayName(g.DisplayName), false)
	if !ok {
		e.Action = ActionOther
		return
	}
	res, _ := body["Resources"].([]any)
	var id string
	switch len(res) {
	case 0:
		created, ok := r.send(ctx, e, r.dialect.CreateGroup(g.ID, g.DisplayName), false)
		if !ok {
			return
		}
		if id = scalar(created["id"]); id == "" {
			e.Status, e.ErrorCode = StatusFailure, ErrServiceIncompatible
			e.Reason = "The response to POST /Groups has no id."
			return
		}
	case 1:
		have, _ := res[0].(map[string]any)
		id = scalar(have["id"])
		e.Action = ActionUpdate // matched by displayName
	default:
		e.Action, e.Status, e.ErrorCode = ActionOther, StatusFailure, ErrMultipleEntries
		e.Reason = "More than one group of the application has displayName " + g.DisplayName + " (displayName must be unique)."
		return
	}
	e.TargetID = id
	esc := &escrowGroup{scimID: id, displayName: g.DisplayName, members: map[string]string{}}
	r.job.groups[g.ID] = esc
	e.Status = StatusSuccess
	if add := sortedValues(want, nil); len(add) > 0 {
		if _, ok := r.send(ctx, e, r.dialect.AddMembers(id, add), true); ok {
			esc.members = want
		}
	}
}

func (r *run) updateGroup(ctx context.Context, g idp.ViewGroup, esc *escrowGroup, want map[string]string) {
	add := sortedValues(want, esc.members)
	remove := sortedValues(esc.members, want)
	if g.DisplayName == esc.displayName && len(add) == 0 && len(remove) == 0 {
		return
	}
	e := r.add(LogEntry{Action: ActionUpdate, ObjectType: "Group", SourceID: g.ID, SourceName: g.DisplayName, TargetID: esc.scimID, Status: StatusSuccess})
	if g.DisplayName != esc.displayName {
		if _, ok := r.send(ctx, e, r.dialect.RenameGroup(esc.scimID, esc.displayName, g.DisplayName), true); !ok {
			return
		}
		esc.displayName = g.DisplayName
	}
	if len(add) > 0 {
		if _, ok := r.send(ctx, e, r.dialect.AddMembers(esc.scimID, add), true); !ok {
			return
		}
	}
	if len(remove) > 0 {
		if _, ok := r.send(ctx, e, r.dialect.RemoveMembers(esc.scimID, remove), true); !ok {
			return
		}
	}
	esc.members = want
}

// sortedValues are the SCIM ids of in that are not in minus, sorted.
func sortedValues(in, minus map[string]string) []string {
	var out []string
	for k, v := range in {
		if _, ok := minus[k]; !ok {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func targets(ms []idp.AttributeMapping) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Target)
	}
	return slices.Clip(out)
}

// matchingTarget is the target of the first mapping marked Matching, else userName.
func matchingTarget(ms []idp.AttributeMapping) string {
	for _, m := range ms {
		if m.Matching {
			return m.Target
		}
	}
	return "userName"
}
