package idp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The store side of what faults publish and remember beyond their arming (fault_store.go
// lists the namespaces): key publications in the tenants' key sets, made-up users, the
// userinfo fault of an access token and the header-key fault of a sign-in.

// publishFaultKey records that the tenant's key sets list the fault key name (kind: pubJWKS
// or pubIssuer). Add, not Put: the publication is the same every time.
func (s *Server) publishFaultKey(kind, tid, name string) error {
	_, err := s.store.Add(context.Background(), pubPrefix+kind+"/"+tid, []byte(name), time.Time{})
	return err
}

// publishedFaultKey is the fault key of kind the tenant's key sets list, if any.
func (s *Server) publishedFaultKey(kind, tid string) *SigningKey {
	ctx := context.Background()
	name, err := s.store.Get(ctx, pubPrefix+kind+"/"+tid)
	if err != nil {
		return nil
	}
	return s.faultKeyByName(ctx, string(name))
}

// setSingleKeySet makes the tenant's key sets publish its own keys only, without the
// cloud's other keys: oidc.kid.absent-single (OpenID's rp-id_token-kid-absent-single-jwks)
// tests an RP against a one-key set, which Entra never serves.
func (s *Server) setSingleKeySet(tid string) {
	_, _ = s.store.Add(context.Background(), pubPrefix+pubSingle+"/"+tid, []byte{'1'}, time.Time{})
}

// singleKeySet reports whether a fault made the tenant's key sets one-key sets.
func (s *Server) singleKeySet(tid string) bool {
	_, err := s.store.Get(context.Background(), pubPrefix+pubSingle+"/"+tid)
	return err == nil
}

// madeUpUser stores a user a fault made up in tenant tid: replace overwrites one stored
// before (the same-tenant user whose mail follows the victim's), else the first stored
// stays and is returned (the foreign tenant's users).
func (s *Server) madeUpUser(tid string, u *User, replace bool) *User {
	ctx := context.Background()
	b, err := json.Marshal(u)
	if err != nil {
		return u
	}
	key := userPrefix + tid + "/" + u.ID
	if replace {
		_ = s.store.Put(ctx, key, b, time.Time{})
		return u
	}
	if added, err := s.store.Add(ctx, key, b, time.Time{}); err != nil || added {
		return u
	}
	if old := s.storedUser(ctx, tid, u.ID); old != nil {
		return old
	}
	return u
}

// storedUser is a made-up user of tid, or nil.
func (s *Server) storedUser(ctx context.Context, tid, oid string) *User {
	b, err := s.store.Get(ctx, userPrefix+tid+"/"+oid)
	if err != nil {
		return nil
	}
	var u User
	if json.Unmarshal(b, &u) != nil {
		return nil
	}
	return &u
}

// faultUser is a made-up user a fault put into a directory tenant (nil when none).
func (s *Server) faultUser(tid, oid string) *User {
	if strings.Contains(oid, "/") {
		return nil
	}
	return s.storedUser(context.Background(), tid, oid)
}

// madeUpTenant is the made-up foreign tenant or the consumer tenant with the users faults
// made in it, or nil when no fault made one (what a replica that minted the token stored).
func (s *Server) madeUpTenant(tid string) *Tenant {
	var t *Tenant
	switch tid {
	case foreignTenantID:
		t = foreignTenant()
	case consumerTenantID:
		t = consumerTenant()
	default:
		return nil
	}
	m, err := s.store.List(context.Background(), userPrefix+tid+"/")
	if err != nil || len(m) == 0 {
		return nil
	}
	for _, b := range m {
		var u User
		if json.Unmarshal(b, &u) == nil {
			t.Users = append(t.Users, &u)
		}
	}
	slices.SortFunc(t.Users, func(a, b *User) int { return strings.Compare(a.ID, b.ID) })
	return t
}

// tokenFaultRecord is the userinfo fault of an access token.
type tokenFaultRecord struct {
	Fault FaultID `json:"fault"`
	Step  int     `json:"step"`
}

func tokenFaultKey(tok string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return tokenPrefix + hex.EncodeToString(h[:])
}

// rememberTokenFault records that userinfo called with the access token tok answers for
// the fault m of its grant (oidc.userinfo.sub-mismatch), until the token expires.
func (s *Server) rememberTokenFault(tok string, m *oidcMint, expires time.Time) {
	if m == nil || m.fault == nil {
		return
	}
	b, _ := json.Marshal(tokenFaultRecord{Fault: m.fault.ID, Step: m.step})
	_ = s.store.Put(context.Background(), tokenFaultKey(tok), b, expires)
}

// tokenFault is the fault of the grant tok was issued for, as rememberTokenFault recorded
// it (nil: a clean userinfo answer).
func (s *Server) tokenFault(tok string) *oidcMint {
	b, err := s.store.Get(context.Background(), tokenFaultKey(tok))
	if err != nil {
		return nil
	}
	var r tokenFaultRecord
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	f := faultByID(r.Fault)
	if f == nil {
		return nil
	}
	return &oidcMint{fault: f, step: r.Step}
}

// rememberAttacker records the header-key fault of the sign-in corr, so that a fetch of
// the attacker's key (on any replica) joins the sign-in's log.
func (s *Server) rememberAttacker(corr string, mf *MintedFault) {
	if corr == "" || strings.Contains(corr, "/") {
		return
	}
	b, _ := json.Marshal(mf)
	_ = s.store.Put(context.Background(), attackerPrefix+corr, b, s.clock.Now().Add(attackerLife))
}

// attackerFault is the header-key fault of the sign-in corr, or nil.
func (s *Server) attackerFault(corr string) *MintedFault {
	if corr == "" || len(corr) > 64 || strings.Contains(corr, "/") {
		return nil
	}
	b, err := s.store.Get(context.Background(), attackerPrefix+corr)
	if err != nil {
		return nil
	}
	var mf MintedFault
	if json.Unmarshal(b, &mf) != nil {
		return nil
	}
	return &mf
}

// armConfigFaults arms the faults of the config file — once per store: each replica of one
// config claims fault-config/<i>/<hash> first, and only the one that adds it arms the fault,
// so that two replicas do not arm it twice.
func (s *Server) armConfigFaults() error {
	ctx := context.Background()
	for i, a := range s.cfg.Faults {
		b, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
		h := sha256.Sum256(b)
		added, err := s.store.Add(ctx, fmt.Sprintf("%s%d/%x", configPrefix, i, h[:8]), b, time.Time{})
		if err != nil {
			return fmt.Errorf("faults[%d]: store: %w", i, err)
		}
		if !added {
			// Armed by a replica that started first; still check it, so a bad config fails here too.
			if faultByID(a.Fault) == nil {
				return fmt.Errorf("faults[%d]: %w %q", i, ErrUnknownFault, a.Fault)
			}
			continue
		}
		if _, err := s.Arm(a); err != nil {
			_ = s.store.Delete(ctx, fmt.Sprintf("%s%d/%x", configPrefix, i, h[:8]))
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
	}
	return nil
}
