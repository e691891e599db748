package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// FaultCookie is the cookie, on the IdP's origin, that binds a fault to one browser context:
// the harness sets it in the context it armed the fault for, and the server reads it when it
// mints a response. Other contexts do not carry it and get clean responses.
const FaultCookie = "mockidp_fault"

// Arming says which fault to mint for which sign-ins, when it is not bound to a context.
// It is the form faults take in the config file and over the control API.
type Arming struct {
	// Fault is the catalog ID.
	Fault FaultID `json:"fault"`
	// User limits the fault to sign-ins of this user (UPN, mail or object ID); "" = any user.
	User string `json:"user,omitempty"`
	// App limits the fault to this app (app ID, display name, or SAML identifier); "" = any.
	App string `json:"app,omitempty"`
	// Count is how many sign-ins get the fault; 0 = the fault's SignIns (1 for most).
	Count int `json:"count,omitempty"`
}

// ArmedFault is an armed fault: bound to a browser context by its cookie, or to the next
// sign-ins that match its Arming.
type ArmedFault struct {
	Arming
	// Token identifies the arming; for a context-bound fault it is the cookie's value.
	Token string `json:"token"`
	// Context is true for a fault bound to a browser context (by FaultCookie).
	Context bool `json:"context"`
	// Used is how many sign-ins have had the fault so far.
	Used int `json:"used"`
	// Created is when it was armed (server clock).
	Created time.Time `json:"created"`

	fault  *Fault
	secure bool
	seq    uint64 // orders faults armed at the same Created time (fault_store.go)
}

// Cookie is the cookie that binds a context-bound fault to a browser context: set it on the
// IdP's origin (path /) in that context only.
func (a *ArmedFault) Cookie() *http.Cookie {
	c := &http.Cookie{Name: FaultCookie, Value: a.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if a.secure {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	return c
}

// Exhausted reports whether the fault has been minted as many times as it was armed for.
func (a *ArmedFault) Exhausted() bool { return a.Used >= a.Count }

// MintedFault is what the sign-in log records about a fault minted into a response.
type MintedFault struct {
	// ID is the fault.
	ID FaultID `json:"id"`
	// Step is the fault's step for this sign-in (0-based; see Fault.SignIns).
	Step int `json:"step"`
	// Token is the arming's token.
	Token string `json:"token"`
	// Changed says what the fault changed, in words.
	Changed []string `json:"changed,omitempty"`
	// Certificate is the thumbprint of the published certificate (one the app's metadata
	// lists) the response was signed with, for the certificate faults; the metadata events
	// say whether the SP fetched a metadata that lists it.
	Certificate string `json:"certificate,omitempty"`
	// Decoy is the identity an SP fooled by the fault would sign in when it is no user of
	// the directory (the first text node of a comment-split NameID), so that a harness can
	// recognise it on the SP's page.
	Decoy string `json:"decoy,omitempty"`
}

// ErrUnknownFault is returned for a fault ID that is not in the catalog.
var ErrUnknownFault = errors.New("idp: unknown fault")

// ArmContext arms a fault for one browser context (or HTTP client): set the returned
// ArmedFault's Cookie on the IdP's origin in that context. The fault applies to that
// context's next Fault.SignIns sign-ins only. The result is a snapshot (see Arm). Certificates and keys the fault needs are made
// (and published) now, so an SP that reads metadata when the sign-in starts sees them.
func (s *Server) ArmContext(id FaultID) (*ArmedFault, error) {
	return s.arm(Arming{Fault: id}, true)
}

// Arm arms a fault for the next sign-ins matching a (user, app; Count of them), whatever
// context they come from — for a harness that cannot set cookies, or the config file.
// The result is a snapshot at arming time; ArmedFaults lists the current uses.
func (s *Server) Arm(a Arming) (*ArmedFault, error) { return s.arm(a, false) }

func (s *Server) arm(a Arming, context bool) (*ArmedFault, error) {
	f := faultByID(a.Fault)
	if f == nil {
		return nil, fmt.Errorf("%w %q (run `mockidp faults` for the catalog)", ErrUnknownFault, a.Fault)
	}
	if a.Count < 0 {
		return nil, fmt.Errorf("idp: fault %s: count %d is negative", a.Fault, a.Count)
	}
	if a.Count == 0 {
		a.Count = f.SignIns
	}
	if err := s.prepareFault(f); err != nil {
		return nil, fmt.Errorf("idp: fault %s: %w", a.Fault, err)
	}
	if err := s.faultArmable(f); err != nil {
		return nil, fmt.Errorf("idp: fault %s: %w", a.Fault, err)
	}
	af := &ArmedFault{Arming: a, Token: s.rand.token(18), Context: context, Created: s.clock.Now(), fault: f,
		secure: strings.HasPrefix(s.URL, "https://"), seq: s.faults.nextSeq()}
	// The arming goes into the store, where every replica sharing it finds it; the caller
	// gets its own copy (sign-ins count uses in the store, not in this value).
	if err := s.storeArmed(af); err != nil {
		return nil, fmt.Errorf("idp: fault %s: store: %w", a.Fault, err)
	}
	return af, nil
}

// PrepareFaults makes the certificates and keys the given faults sign with (all of the
// catalog when none are given) and publishes those that metadata lists, so that an SP that
// reads the IdP's metadata only at start (mod_auth_mellon) trusts them from the start.
func (s *Server) PrepareFaults(ids ...FaultID) error {
	if len(ids) == 0 {
		for _, f := range catalog {
			ids = append(ids, f.ID)
		}
	}
	for _, id := range ids {
		f := faultByID(id)
		if f == nil {
			return fmt.Errorf("%w %q", ErrUnknownFault, id)
		}
		if err := s.prepareFault(f); err != nil {
			return fmt.Errorf("idp: fault %s: %w", id, err)
		}
	}
	return nil
}

// prepareFault runs the fault's hooks once on a scratch mint per app, which makes (and
// caches) the keys and certificates they ask for.
func (s *Server) prepareFault(f *Fault) error {
	for _, t := range s.cfg.Tenants {
		if f.saml != nil {
			for _, app := range t.EnterpriseApps {
				if len(t.Users) == 0 || !s.faultApplies(f, app) {
					continue
				}
				for step := range f.SignIns {
					m := &samlMint{s: s, t: t, app: app, user: t.Users[0], now: s.clock.Now()}
					if err := f.saml(m, step); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// Disarm removes an armed fault (and unpublishes a rotation key it published when no other
// arming of the same fault is left). Of replicas disarming the same token, one succeeds.
func (s *Server) Disarm(token string) bool {
	ctx := context.Background()
	af := s.removeArmed(ctx, token)
	if af == nil {
		return false
	}
	if af.Fault == "oidc.key.rotation" || af.Fault == "oidc.jwks.key-issuer-mismatch" {
		armed, err := s.listArmed(ctx, true)
		if err != nil {
			return true
		}
		still := slices.ContainsFunc(armed, func(x *ArmedFault) bool { return x.Fault == af.Fault })
		if !still && af.Fault == "oidc.key.rotation" {
			s.unpublish(ctx, pubJWKS)
		}
		if !still && af.Fault == "oidc.jwks.key-issuer-mismatch" {
			s.unpublish(ctx, pubIssuer)
		}
	}
	return true
}

// DisarmAll removes every armed fault.
func (s *Server) DisarmAll() {
	ctx := context.Background()
	armed, _ := s.listArmed(ctx, true)
	for _, a := range armed {
		s.removeArmed(ctx, a.Token)
	}
	s.unpublish(ctx, pubJWKS)
	s.unpublish(ctx, pubIssuer)
}

// ArmedFaults lists the armed faults, oldest first (copies), with their uses on every
// replica sharing the store.
func (s *Server) ArmedFaults() []ArmedFault {
	ctx := context.Background()
	armed, err := s.listArmed(ctx, true)
	if err != nil || len(armed) == 0 {
		return []ArmedFault{}
	}
	used := s.useCounts(ctx)
	out := make([]ArmedFault, 0, len(armed))
	for _, a := range armed {
		a.Used = used[a.Token]
		if !a.Context && a.Exhausted() {
			continue // used up on another replica a moment ago; being removed
		}
		out = append(out, *a)
	}
	return out
}

// faultUse is a fault taken for one sign-in.
type faultUse struct {
	armed *ArmedFault
	fault *Fault
	step  int
}

func (u *faultUse) record(changed []string) *MintedFault {
	if u == nil {
		return nil
	}
	return &MintedFault{ID: u.fault.ID, Step: u.step, Token: u.armed.Token, Changed: changed}
}

// takeFault picks the fault for a sign-in being answered: the one bound to the browser
// context by its cookie, else the oldest armed one whose user and app match. It counts the
// use. nil: a clean response.
func (s *Server) takeFault(r *http.Request, proto Protocol, t *Tenant, appKeys []string, u *User) *faultUse {
	return s.takeFaultWhere(r, proto, t, appKeys, u, nil)
}

// takeFaultWhere is takeFault for a flow that can mint only some faults of proto (accept;
// nil: all): a WS-Federation token takes the SAML faults that apply to an assertion alone.
// A context whose cookie names a fault the flow cannot mint gets a clean response.
func (s *Server) takeFaultWhere(r *http.Request, proto Protocol, t *Tenant, appKeys []string, u *User, accept func(*Fault) bool) *faultUse {
	ok := func(f *Fault) bool { return f.Protocol == proto && (accept == nil || accept(f)) }
	ctx := r.Context()
	// use claims the fault's next use in the store; a fault not bound to a context is
	// removed with its last use.
	use := func(a *ArmedFault) *faultUse {
		n, claimed := s.claimUse(ctx, a, a.Context && a.fault.cond != "")
		if !claimed {
			return nil
		}
		a.Used = n + 1
		if !a.Context && a.Exhausted() {
			s.removeArmed(ctx, a.Token)
		}
		return &faultUse{armed: a, fault: a.fault, step: n % max(a.fault.SignIns, 1)}
	}
	if c, err := r.Cookie(FaultCookie); err == nil {
		// A context with a fault cookie gets that fault or nothing.
		if a := s.loadContextArmed(ctx, c.Value); a != nil && a.Context && ok(a.fault) {
			return use(a)
		}
		return nil
	}
	armed, err := s.listArmed(ctx, false) // the one store call of an unfaulted sign-in
	if err != nil {
		return nil
	}
	for _, a := range armed {
		if a.Context || !ok(a.fault) {
			continue
		}
		if a.User != "" && (u == nil || !(strings.EqualFold(a.User, u.UserPrincipalName) || strings.EqualFold(a.User, u.Mail) || strings.EqualFold(a.User, u.ID))) {
			continue
		}
		if a.App != "" && !slices.ContainsFunc(appKeys, func(k string) bool { return strings.EqualFold(k, a.App) }) {
			continue
		}
		if fu := use(a); fu != nil {
			return fu // else used up by another sign-in since the list: the next one
		}
	}
	return nil
}

// faultKeys are the names an Arming's App can use for a SAML app.
func (a *EnterpriseApp) faultKeys() []string {
	out := []string{a.AppID, a.DisplayName}
	for _, id := range a.SAML.Identifiers {
		out = append(out, id.Value)
	}
	return out
}

// faultKeys are the names an Arming's App can use for an app registration.
func (a *AppRegistration) faultKeys() []string { return []string{a.AppID, a.DisplayName} }
