package idp

import (
	"encoding/json"
	"fmt"
	"time"
)

// The directory change log: how a change made through one replica (Server.DeleteUser and
// the other methods of directory_changes.go, SetAdminConsent) reaches the others. Each
// change is appended to the store as "dirchange/<seq>" (seq from 1, claimed with Add, so
// that two replicas changing at once get two places and every replica applies both in the
// same order), and applied, in order, by every replica to its own copy of the directory.
//
// A replica looks for the next entry (one store Get of "dirchange/<applied+1>") before each
// request, and before the Go readers of the directory (DeletedUsers, ProvisioningView,
// AdminConsentGranted); when there is one, it takes the directory lock and applies every new
// entry. There is no separate head key: probing the next entry is the same one Get and cannot
// lag behind the entries. A server with its own store (no WithStore) skips the probe: no one
// else writes its log.
//
// A change is logged before it is applied, and applying it may fail (no such user): every
// replica then fails the same way at the same place, since they apply the same changes from
// the same config, and the error is the caller's. Entries never expire; a run makes a few.
// Server.Config and Server.Tenant read this replica's copy as it is.

// Operations of the change log.
const (
	opAccountEnabled = "accountEnabled"
	opUserAttribute  = "userAttribute"
	opAssign         = "assign"
	opUnassign       = "unassign"
	opAddMember      = "addMember"
	opRemoveMember   = "removeMember"
	opDeleteUser     = "deleteUser"
	opPurgeUser      = "purgeUser"
	opAdminConsent   = "adminConsent"
)

// dirChange is one entry of the change log.
type dirChange struct {
	Op string `json:"op"`
	// Target is the user, app or group changed; Name and Value the attribute and its new
	// value, or the principal assigned / the member added; On the flag set.
	Target string `json:"target"`
	Name   string `json:"name,omitempty"`
	Value  string `json:"value,omitempty"`
	On     bool   `json:"on,omitempty"`
	// At is when the change was made (deletedDateTime), on the clock of the replica that made it.
	At time.Time `json:"at"`
}

// dirChangeKey is the store key of the log entry seq.
func dirChangeKey(seq int) string { return fmt.Sprintf("dirchange/%012d", seq) }

// change logs c and applies it to this replica's directory, after every change logged
// before it.
func (s *Server) change(c dirChange) error {
	c.At = s.clock.Now()
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	s.changes.mu.Lock()
	defer s.changes.mu.Unlock()
	for {
		s.catchUpLocked()
		ok, err := s.store.Add(storeCtx(), dirChangeKey(s.changes.applied+1), b, time.Time{})
		if err != nil {
			return fmt.Errorf("directory change log: %w", err)
		}
		if ok {
			s.changes.applied++
			return s.applyChange(c)
		}
		// Another replica took the place: apply its change first, then try the next.
	}
}

// syncDirectory applies the changes other replicas logged since the last request.
func (s *Server) syncDirectory() {
	if !s.changes.shared {
		return
	}
	s.changes.mu.RLock()
	next := s.changes.applied + 1
	s.changes.mu.RUnlock()
	if _, err := s.store.Get(storeCtx(), dirChangeKey(next)); err != nil {
		return // nothing new (or the store is unreachable: serve what this replica has)
	}
	s.changes.mu.Lock()
	s.catchUpLocked()
	s.changes.mu.Unlock()
}

// catchUpLocked applies every logged change past the last one applied; the caller holds the
// directory lock for writing.
func (s *Server) catchUpLocked() {
	for {
		b, err := s.store.Get(storeCtx(), dirChangeKey(s.changes.applied+1))
		if err != nil {
			return
		}
		var c dirChange
		s.changes.applied++
		if json.Unmarshal(b, &c) == nil {
			_ = s.applyChange(c) // its error was the caller's, on the replica that made it
		}
	}
}

// applyChange makes one change to this replica's directory; the caller holds the lock.
func (s *Server) applyChange(c dirChange) error {
	switch c.Op {
	case opAccountEnabled:
		return s.setAccountEnabled(c.Target, c.On)
	case opUserAttribute:
		return s.setUserAttribute(c.Target, c.Name, c.Value)
	case opAssign:
		return s.assignToApp(c.Target, c.Value)
	case opUnassign:
		return s.unassignFromApp(c.Target, c.Value)
	case opAddMember:
		return s.addGroupMember(c.Target, c.Value)
	case opRemoveMember:
		return s.removeGroupMember(c.Target, c.Value)
	case opDeleteUser:
		return s.deleteUser(c.Target, c.At)
	case opPurgeUser:
		return s.purgeUser(c.Target, c.At)
	case opAdminConsent:
		return s.setAdminConsent(c.Target, c.On)
	}
	return fmt.Errorf("directory change %q: unknown", c.Op)
}
