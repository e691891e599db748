package idp

import (
	"cmp"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Armed faults and everything faults make live in the server's Store (store.go), so that
// replicas sharing one Store behave as one server: a fault armed through one replica is
// minted by another, its uses are counted once across all of them (each use is claimed with
// Store.Add), and the keys and certificates faults sign with are made once, by whichever
// replica needs them first, and published and used by every replica. Key namespaces:
//
//	fault/<token>             a fault armed for the next sign-ins (armedRecord JSON), until
//	                          disarmed or used up
//	fault-ctx/<token>         a fault armed for a browser context (its cookie's value)
//	fault-use/<token>/<n>     the claim of the fault's use n (one sign-in per n)
//	fault-config/<i>/<hash>   config fault i was armed (by one replica, not by each)
//	fault-key/<name>          a key a fault signs with (faultKeyRecord: PEM), made once
//	fault-pub/jwks/<tid>      the name of the rotation key the tenant's key set publishes
//	fault-pub/iss/<tid>       the name of the key published under the consumer issuer
//	fault-pub/single/<tid>    the tenant's key sets publish its own keys only
//	fault-user/<tid>/<oid>    a made-up user (the foreign and consumer tenants', a same-tenant one)
//	fault-token/<sha256>      the userinfo fault of an access token, until the token expires
//	fault-attacker/<corr>     the header-key fault of a sign-in, for the attacker key's fetch
//
// An unfaulted sign-in costs one store call for faults: a List of "fault/" (which holds no
// context-bound faults, however many contexts a harness runs), or for a browser with a fault
// cookie the Get of fault-ctx/<token>. The server keeps nothing of this
// in its own memory but parsed keys, by the stored bytes they were parsed from.
const (
	armedPrefix    = "fault/"
	ctxArmedPrefix = "fault-ctx/"
	usePrefix      = "fault-use/"
	configPrefix   = "fault-config/"
	faultKeyPrefix = "fault-key/"
	pubPrefix      = "fault-pub/"
	userPrefix     = "fault-user/"
	tokenPrefix    = "fault-token/"
	attackerPrefix = "fault-attacker/"
)

// Publications of fault keys in the tenants' key sets (pubPrefix + kind + "/" + tid).
const (
	pubJWKS   = "jwks"
	pubIssuer = "iss"
	pubSingle = "single"
)

// useGrace is how long the use claims of a disarmed or used-up fault stay: long enough for
// a sign-in that listed the fault just before to find its uses taken, not forever.
const useGrace = 10 * time.Minute

// attackerLife is how long a sign-in's header-key fault is remembered: an RP that fetches
// the attacker's key does so while it validates the token, seconds after the sign-in.
const attackerLife = time.Hour

// faultState is what a server keeps of faults in its own memory: the keys it parsed from the
// store (so that a key keeps its pointer, which the signer and the documents' caches key
// on) and the sequence that orders the faults it arms.
type faultState struct {
	mu   sync.Mutex
	seq  uint64
	keys map[string]cachedFaultKey // fault key name -> the key parsed from raw
	// parsed are armings parsed from the store (token -> the stored bytes and the value),
	// so that the sign-ins that list them do not decode JSON each time; an arming never
	// changes once stored, and a changed value is parsed again.
	parsed map[string]parsedArming
}

type parsedArming struct {
	raw string
	a   ArmedFault
}

type cachedFaultKey struct {
	raw string
	rec faultKeyRecord
	k   *SigningKey
}

func (f *faultState) init() {
	f.keys = map[string]cachedFaultKey{}
	f.parsed = map[string]parsedArming{}
}

// parseArmed is armedFrom through the parsed cache; the result is the caller's copy.
func (f *faultState) parseArmed(key string, b []byte) *ArmedFault {
	f.mu.Lock()
	p, ok := f.parsed[key]
	f.mu.Unlock()
	if ok && p.raw == string(b) {
		a := p.a
		return &a
	}
	a := armedFrom(b)
	if a == nil {
		return nil
	}
	f.mu.Lock()
	if len(f.parsed) >= 4096 {
		clear(f.parsed) // bounded: a cache, refilled from the store
	}
	f.parsed[key] = parsedArming{raw: string(b), a: *a}
	f.mu.Unlock()
	return a
}

func (f *faultState) nextSeq() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return f.seq
}

// armedRecord is an armed fault as the store keeps it.
type armedRecord struct {
	Arming
	Token   string    `json:"token"`
	Context bool      `json:"context,omitempty"`
	Created time.Time `json:"created"`
	Secure  bool      `json:"secure,omitempty"`
	// Seq orders faults armed at the same Created time (a frozen clock) by one replica.
	Seq uint64 `json:"seq"`
}

func (a *ArmedFault) record() armedRecord {
	return armedRecord{Arming: a.Arming, Token: a.Token, Context: a.Context, Created: a.Created, Secure: a.secure, Seq: a.seq}
}

// armedFrom parses a stored arming; nil for one this server cannot mint (a fault ID its
// catalog lacks).
func armedFrom(b []byte) *ArmedFault {
	var r armedRecord
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	f := faultByID(r.Fault)
	if f == nil || r.Token == "" {
		return nil
	}
	return &ArmedFault{Arming: r.Arming, Token: r.Token, Context: r.Context, Created: r.Created, fault: f, secure: r.Secure, seq: r.Seq}
}

// storeArmed adds a new arming to the store.
func (s *Server) storeArmed(af *ArmedFault) error {
	b, err := json.Marshal(af.record())
	if err != nil {
		return err
	}
	added, err := s.store.Add(context.Background(), armedKey(af.Context, af.Token), b, time.Time{})
	if err == nil && !added {
		err = errors.New("arming token already in use")
	}
	return err
}

// validFaultToken reports whether a cookie's value can be an arming token (hex), so that a
// browser's value never addresses another key of the store.
func validFaultToken(tok string) bool {
	if tok == "" || len(tok) > 64 {
		return false
	}
	_, err := hex.DecodeString(tok)
	return err == nil
}

// armedKey is the store key of an arming.
func armedKey(bound bool, token string) string {
	if bound {
		return ctxArmedPrefix + token
	}
	return armedPrefix + token
}

// loadContextArmed is the context-bound fault of a cookie's token, or nil.
func (s *Server) loadContextArmed(ctx context.Context, token string) *ArmedFault {
	if !validFaultToken(token) {
		return nil
	}
	b, err := s.store.Get(ctx, ctxArmedPrefix+token)
	if err != nil {
		return nil
	}
	return s.faults.parseArmed(ctxArmedPrefix+token, b)
}

// listArmed is the faults armed for the next sign-ins, oldest first, and withContext the
// context-bound ones too.
func (s *Server) listArmed(ctx context.Context, withContext bool) ([]*ArmedFault, error) {
	var out []*ArmedFault
	prefixes := []string{armedPrefix}
	if withContext {
		prefixes = append(prefixes, ctxArmedPrefix)
	}
	for _, p := range prefixes {
		m, err := s.store.List(ctx, p)
		if err != nil {
			return nil, err
		}
		for k, b := range m {
			if a := s.faults.parseArmed(k, b); a != nil {
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b *ArmedFault) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.seq, b.seq), strings.Compare(a.Token, b.Token))
	})
	return out, nil
}

// useCounts is how many uses each armed fault has had (by token).
func (s *Server) useCounts(ctx context.Context) map[string]int {
	m, err := s.store.List(ctx, usePrefix)
	out := map[string]int{}
	if err != nil {
		return out
	}
	for k := range m {
		tok, _, ok := strings.Cut(strings.TrimPrefix(k, usePrefix), "/")
		if ok {
			out[tok]++
		}
	}
	return out
}

// claimUse claims the next use of a for this sign-in, atomically across replicas: the uses
// are the keys fault-use/<token>/0, 1, …, each added by the one sign-in that takes it, so
// they stay contiguous and their number is Used. Past Count it claims nothing unless
// unbounded (a condition fault counts every answer, for the loop limit). It returns the
// use's index and whether it claimed one.
func (s *Server) claimUse(ctx context.Context, a *ArmedFault, unbounded bool) (int, bool) {
	m, err := s.store.List(ctx, usePrefix+a.Token+"/")
	if err != nil {
		return 0, false
	}
	for n := len(m); unbounded || n < a.Count; n++ {
		added, err := s.store.Add(ctx, usePrefix+a.Token+"/"+strconv.Itoa(n), []byte{'1'}, time.Time{})
		if err != nil {
			return 0, false
		}
		if added {
			return n, true
		}
	}
	return 0, false
}

// retireUses lets the use claims of a fault that is gone expire (see useGrace).
func (s *Server) retireUses(ctx context.Context, token string) {
	m, err := s.store.List(ctx, usePrefix+token+"/")
	if err != nil {
		return
	}
	exp := s.clock.Now().Add(useGrace)
	for k, v := range m {
		_ = s.store.Put(ctx, k, v, exp)
	}
}

// removeArmed deletes an arming (Take: of two replicas disarming it, one succeeds) and
// returns it, or nil when it was not there.
func (s *Server) removeArmed(ctx context.Context, token string) *ArmedFault {
	if !validFaultToken(token) {
		return nil
	}
	b, err := s.store.Take(ctx, armedPrefix+token)
	if errors.Is(err, ErrStoreNotFound) {
		b, err = s.store.Take(ctx, ctxArmedPrefix+token)
	}
	if err != nil {
		return nil
	}
	s.retireUses(ctx, token)
	if a := armedFrom(b); a != nil {
		return a
	}
	return &ArmedFault{Token: token}
}

// unpublish removes every publication of kind (all tenants).
func (s *Server) unpublish(ctx context.Context, kind string) {
	m, err := s.store.List(ctx, pubPrefix+kind+"/")
	if err != nil {
		return
	}
	for k := range m {
		_ = s.store.Delete(ctx, k)
	}
}

// faultKeyRecord is a fault key as the store keeps it.
type faultKeyRecord struct {
	// PEM is the PKCS #8 private key and the certificate.
	PEM       string    `json:"pem"`
	Published bool      `json:"published,omitempty"`
	Created   time.Time `json:"created"`
	Seq       uint64    `json:"seq"`
}

// cachedKey returns the parsed key of name when raw (its stored bytes) is what it was
// parsed from, else parses raw and keeps it.
func (s *Server) cachedKey(name string, raw []byte) (*SigningKey, faultKeyRecord, error) {
	s.faults.mu.Lock()
	c, ok := s.faults.keys[name]
	s.faults.mu.Unlock()
	if ok && c.raw == string(raw) {
		return c.k, c.rec, nil
	}
	var rec faultKeyRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, rec, fmt.Errorf("stored fault key %s: %w", name, err)
	}
	key, cert, err := parseKeyAndCert([]byte(rec.PEM))
	if err != nil {
		return nil, rec, fmt.Errorf("stored fault key %s: %w", name, err)
	}
	k := &SigningKey{Cert: cert, Key: key, Published: rec.Published}
	s.faults.mu.Lock()
	s.faults.keys[name] = cachedFaultKey{raw: string(raw), rec: rec, k: k}
	s.faults.mu.Unlock()
	return k, rec, nil
}

// knownKey is the parsed key of name if this server has already read or made it: a stored
// fault key never changes, so it needs no store call again.
func (s *Server) knownKey(name string) *SigningKey {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.keys[name].k
}

// faultKeyByName is the stored fault key of name, or nil.
func (s *Server) faultKeyByName(ctx context.Context, name string) *SigningKey {
	if k := s.knownKey(name); k != nil {
		return k
	}
	b, err := s.store.Get(ctx, faultKeyPrefix+name)
	if err != nil {
		return nil
	}
	k, _, _ := s.cachedKey(name, b)
	return k
}

// faultKeyFor returns a named key minted for faults: the one in the store, else one made by
// mk and added to the store — or, when another replica added one first, that one, so that
// every replica signs and publishes the same.
func (s *Server) faultKeyFor(name string, mk func() (*SigningKey, error)) (*SigningKey, error) {
	if k := s.knownKey(name); k != nil {
		return k, nil
	}
	ctx, key := context.Background(), faultKeyPrefix+name
	b, err := s.store.Get(ctx, key)
	if err == nil {
		k, _, err := s.cachedKey(name, b)
		return k, err
	}
	if !errors.Is(err, ErrStoreNotFound) {
		return nil, err
	}
	k, err := mk()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Key)
	if err != nil {
		return nil, err
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Cert.Raw}))
	rec := faultKeyRecord{PEM: pemText, Published: k.Published, Created: s.clock.Now(), Seq: s.faults.nextSeq()}
	if b, err = json.Marshal(rec); err != nil {
		return nil, err
	}
	added, err := s.store.Add(ctx, key, b, time.Time{})
	if err != nil {
		return nil, err
	}
	if !added { // another replica made it first: sign with theirs
		if b, err = s.store.Get(ctx, key); err != nil {
			return nil, err
		}
		k, _, err := s.cachedKey(name, b)
		return k, err
	}
	s.faults.mu.Lock()
	s.faults.keys[name] = cachedFaultKey{raw: string(b), rec: rec, k: k}
	s.faults.mu.Unlock()
	return k, nil
}

// storedAppCerts is the certificates published for the app's certificate faults (stored
// fault keys named app-<appID>-<kind>), in the order they were made.
func (s *Server) storedAppCerts(app *EnterpriseApp) []*SigningKey {
	m, err := s.store.List(context.Background(), faultKeyPrefix+"app-"+app.AppID+"-")
	if err != nil || len(m) == 0 {
		return nil
	}
	type made struct {
		name string
		rec  faultKeyRecord
		k    *SigningKey
	}
	var all []made
	for key, b := range m {
		name := strings.TrimPrefix(key, faultKeyPrefix)
		if k, rec, err := s.cachedKey(name, b); err == nil {
			all = append(all, made{name, rec, k})
		}
	}
	slices.SortFunc(all, func(a, b made) int {
		return cmp.Or(a.rec.Created.Compare(b.rec.Created), cmp.Compare(a.rec.Seq, b.rec.Seq), strings.Compare(a.name, b.name))
	})
	out := make([]*SigningKey, len(all))
	for i, m := range all {
		out[i] = m.k
	}
	return out
}

// parseKeyAndCert reads a PKCS #8 RSA key and a certificate from PEM text.
func parseKeyAndCert(b []byte) (*rsa.PrivateKey, *x509.Certificate, error) {
	var key *rsa.PrivateKey
	var cert *x509.Certificate
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		switch blk.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, nil, err
			}
			key, _ = k.(*rsa.PrivateKey)
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, nil, err
			}
			cert = c
		}
	}
	if key == nil || cert == nil {
		return nil, nil, errors.New("no RSA private key and certificate")
	}
	return key, cert, nil
}
