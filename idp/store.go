package idp

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// Store keeps the IdP state that a later request needs and that is not sealed into the value
// the browser or the RP carries back (see seal.go): single-use markers (redeemed codes, rotated
// refresh tokens), approvals that arrive on another request (device codes), armed faults and
// the keys they made, consent granted at run time, and the sign-in log's correlation of
// access tokens. Replicas of one mock IdP share one Store (for example the HTTP store that
// `mockidp store` serves); a single server uses the in-memory default.
//
// Keys are namespaced by the caller ("code/…", "fault/…"); values are opaque bytes. Every
// method is safe for concurrent use. A missing or expired key is ErrStoreNotFound.
type Store interface {
	// Get returns the value under key.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores value under key until expires (zero: kept until deleted).
	Put(ctx context.Context, key string, value []byte, expires time.Time) error
	// Add stores value under key only if no live value is there, and reports whether it did:
	// the one atomic step single-use values need across replicas.
	Add(ctx context.Context, key string, value []byte, expires time.Time) (bool, error)
	// Take returns the value under key and deletes it, atomically.
	Take(ctx context.Context, key string) ([]byte, error)
	// Delete removes key; a missing key is no error.
	Delete(ctx context.Context, key string) error
	// List returns the live values whose keys start with prefix.
	List(ctx context.Context, prefix string) (map[string][]byte, error)
}

// ErrStoreNotFound is a Store's answer for a key it does not hold (or holds expired).
var ErrStoreNotFound = errors.New("idp: store: not found")

// MemoryStore is the in-memory Store: the default of a server, and what `mockidp store`
// serves to replicas over HTTP.
type MemoryStore struct {
	mu  sync.Mutex
	now func() time.Time
	// spaces holds the items by namespace (the key up to its first "/"), so that a List of
	// one namespace — every sign-in lists the armed faults — does not scan the others.
	spaces map[string]map[string]storeItem
	puts   int
}

// namespace is key's namespace: up to and including its first "/", or all of it.
func namespace(key string) string {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i+1]
	}
	return key
}

type storeItem struct {
	value   []byte
	expires time.Time
}

// NewMemoryStore returns an empty in-memory store whose expiry follows clock (nil: the wall
// clock).
func NewMemoryStore(clock *Clock) *MemoryStore {
	now := time.Now
	if clock != nil {
		now = clock.Now
	}
	return &MemoryStore{now: now, spaces: map[string]map[string]storeItem{}}
}

// live returns key's item if it has not expired; the caller holds mu.
func (m *MemoryStore) live(key string) (storeItem, bool) {
	it, ok := m.spaces[namespace(key)][key]
	if ok && !it.expires.IsZero() && !m.now().Before(it.expires) {
		m.remove(key)
		return storeItem{}, false
	}
	return it, ok
}

// remove deletes key, and its namespace when that empties; the caller holds mu.
func (m *MemoryStore) remove(key string) {
	ns := namespace(key)
	if sp := m.spaces[ns]; sp != nil {
		delete(sp, key)
		if len(sp) == 0 {
			delete(m.spaces, ns)
		}
	}
}

// put stores an item and, every 1024 writes, drops expired ones so that an unread value
// cannot pin memory; the caller holds mu.
func (m *MemoryStore) put(key string, value []byte, expires time.Time) {
	ns := namespace(key)
	sp := m.spaces[ns]
	if sp == nil {
		sp = map[string]storeItem{}
		m.spaces[ns] = sp
	}
	sp[key] = storeItem{value: append([]byte(nil), value...), expires: expires}
	if m.puts++; m.puts%1024 == 0 {
		now := m.now()
		for _, sp := range m.spaces {
			for k, it := range sp {
				if !it.expires.IsZero() && !now.Before(it.expires) {
					m.remove(k)
				}
			}
		}
	}
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.live(key); ok {
		return append([]byte(nil), it.value...), nil
	}
	return nil, ErrStoreNotFound
}

// Put implements Store.
func (m *MemoryStore) Put(_ context.Context, key string, value []byte, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(key, value, expires)
	return nil
}

// Add implements Store.
func (m *MemoryStore) Add(_ context.Context, key string, value []byte, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live(key); ok {
		return false, nil
	}
	m.put(key, value, expires)
	return true, nil
}

// Take implements Store.
func (m *MemoryStore) Take(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.live(key)
	if !ok {
		return nil, ErrStoreNotFound
	}
	m.remove(key)
	return it.value, nil
}

// Delete implements Store.
func (m *MemoryStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	m.remove(key)
	m.mu.Unlock()
	return nil
}

// List implements Store.
func (m *MemoryStore) List(_ context.Context, prefix string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	list := func(sp map[string]storeItem) {
		for k := range sp {
			if strings.HasPrefix(k, prefix) {
				if it, ok := m.live(k); ok {
					out[k] = append([]byte(nil), it.value...)
				}
			}
		}
	}
	if strings.Contains(prefix, "/") {
		list(m.spaces[namespace(prefix)])
		return out, nil
	}
	for _, sp := range m.spaces {
		list(sp)
	}
	return out, nil
}

// Len is how many items the store holds, expired ones not yet dropped included (for tests
// and the retention bounds).
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, sp := range m.spaces {
		n += len(sp)
	}
	return n
}

// WithStore makes the server keep its shared state in st instead of its own memory: give
// every replica of one mock IdP the same Store (and the same keys, so they share the sealing
// key; see WithStateKey).
func WithStore(st Store) Option { return func(s *Server) error { s.store = st; return nil } }
