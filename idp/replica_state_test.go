package idp

import (
	"sync"
	"testing"
)

// replicaPair is two servers of the default directory sharing one store and one state key,
// as two replicas are.
func replicaPair(t *testing.T) (a, b *Server) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.KeyDir = t.TempDir()
	st := NewMemoryStore(nil)
	key := []byte("0123456789abcdef0123456789abcdef")
	var err error
	if a, err = New(WithConfig(cfg), WithStore(st), WithStateKey(key)); err != nil {
		t.Fatal(err)
	}
	if b, err = New(WithConfig(cfg), WithStore(st), WithStateKey(key)); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestReplicaConsentGrant: a consent granted through A is seen by B.
func TestReplicaConsentGrant(t *testing.T) {
	a, b := replicaPair(t)
	ten := b.cfg.Tenants[0]
	app := &AppRegistration{AppID: "aaaaaaaa-1111-4111-8111-000000000001", AdminConsentGranted: new(bool)}
	u := ten.Users[0]
	if !b.consentNeeded(ten, app, u) {
		t.Fatal("consent not needed before any grant")
	}
	a.grant(OAuth2PermissionGrant{ClientID: app.AppID, ConsentType: ConsentPrincipal, PrincipalID: u.ID})
	if b.consentNeeded(ten, app, u) {
		t.Error("B does not see the user's grant made through A")
	}
	if !b.consentNeeded(ten, app, ten.Users[1]) {
		t.Error("a user's grant covers another user")
	}
	a.grant(OAuth2PermissionGrant{ClientID: app.AppID, ConsentType: ConsentAllPrincipals})
	if b.consentNeeded(ten, app, ten.Users[1]) {
		t.Error("B does not see the admin's grant made through A")
	}
}

// TestReplicaGraphFaults: a Graph fault armed through A applies at B, and the replicas count
// its requests together.
func TestReplicaGraphFaults(t *testing.T) {
	a, b := replicaPair(t)
	if err := a.ArmGraphFault(GraphFault{Kind: GraphFaultThrottle, After: 1, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if len(b.GraphFaults()) != 1 {
		t.Fatalf("B sees %d armed faults", len(b.GraphFaults()))
	}
	var hits []bool
	for i, s := range []*Server{a, b, a, b, a} {
		f := s.takeGraphFault("/v1.0/users", true, GraphFaultThrottle, GraphFaultUnavailable)
		hits = append(hits, f != nil)
		if f != nil && f.Used != i {
			t.Errorf("request %d: Used %d", i, f.Used)
		}
	}
	if want := []bool{false, true, true, false, false}; !equalBools(hits, want) {
		t.Errorf("faulted requests %v, want %v", hits, want)
	}
	if g := a.GraphFaults(); len(g) != 1 || g[0].Used != 2 {
		t.Errorf("A's view: %+v", g)
	}
	b.DisarmGraphFaults()
	if len(a.GraphFaults()) != 0 {
		t.Error("disarmed on B, still armed on A")
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReplicaDirectoryLog: changes made through both replicas at once end in the same
// directory on both, in one order; a failed change fails on the replica that made it.
func TestReplicaDirectoryLog(t *testing.T) {
	a, b := replicaPair(t)
	upn := a.cfg.Tenants[0].Users[0].UserPrincipalName
	var wg sync.WaitGroup
	for i, s := range []*Server{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				_ = s.SetUserAttribute(upn, "displayName", string(rune('A'+i))+string(rune('a'+j)))
			}
		}()
	}
	wg.Wait()
	a.syncDirectory()
	b.syncDirectory()
	ua := a.dir.tenant(a.cfg.Tenants[0].ID).userByLogin(upn)
	ub := b.dir.tenant(b.cfg.Tenants[0].ID).userByLogin(upn)
	if ua.DisplayName != ub.DisplayName || a.changes.applied != 40 || b.changes.applied != 40 {
		t.Errorf("A: %q after %d changes, B: %q after %d", ua.DisplayName, a.changes.applied, ub.DisplayName, b.changes.applied)
	}
	if err := a.DeleteUser("nobody@nowhere.example"); err == nil {
		t.Error("deleting an unknown user: no error")
	}
	if err := b.SetAccountEnabled(upn, false); err != nil {
		t.Fatal(err)
	}
	a.syncDirectory()
	if ua.Enabled() {
		t.Error("disabled through B, enabled on A")
	}
}
