package idp

// Retention bounds what the server keeps of past sign-ins, so that a mock behind a long load
// test holds steady memory instead of growing with every sign-in (every request leaves a log
// entry with the request it parsed). The oldest are forgotten first. Codes and refresh tokens
// need no bound: they are sealed grants the RP holds (oauth_grant.go), and their single-use
// markers expire in the store; browser sessions and sign-ins in progress are sealed into the
// browser's cookie and forms (session_cookie.go, flow_resume.go). Zero fields take the
// defaults.
type Retention struct {
	// Events is how many sign-in log entries are kept at most, newest (default 10000; the
	// oldest tenth is dropped at once when the log is full).
	Events int `json:"events,omitempty" yaml:"events,omitempty"`
	// Sessions bounded the browser sessions the server kept. It has no effect any more:
	// sessions live in the browser's sealed cookie, whose expiry (24 hours from sign-in) and
	// sign-out bound them; the field is kept so that configurations that set it still load.
	Sessions int `json:"sessions,omitempty" yaml:"sessions,omitempty"`
}

// Default retention: far more than a conformance run uses (a few hundred entries), and a few
// tens of MB at most under load.
const defaultRetain = 10000

// WithRetention bounds the sign-in log (see Retention).
func WithRetention(r Retention) Option {
	return func(s *Server) error { s.retain = r; return nil }
}

// retention is the server's Retention with the defaults filled in.
func (r Retention) withDefaults() Retention {
	for _, f := range []*int{&r.Events, &r.Sessions} {
		if *f <= 0 {
			*f = defaultRetain
		}
	}
	return r
}

// fifoKeys remembers the order keys were added to a map, to forget the oldest once the map
// holds more than its limit. Keys deleted from the map meanwhile (a signed-out session) are
// skipped when their turn comes.
type fifoKeys struct {
	keys []string
	head int
}

// add records key and returns the keys to forget so that at most limit remain.
func (f *fifoKeys) add(key string, limit int) []string {
	f.keys = append(f.keys, key)
	var out []string
	for len(f.keys)-f.head > limit {
		out = append(out, f.keys[f.head])
		f.keys[f.head] = ""
		f.head++
	}
	if f.head > 1024 && f.head*2 > len(f.keys) {
		// Move the live part down so the array does not grow for ever.
		f.keys = append(f.keys[:0], f.keys[f.head:]...)
		f.head = 0
	}
	return out
}
