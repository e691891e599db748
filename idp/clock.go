package idp

import (
	"sync"
	"time"
)

// Clock is the server's one source of time. Every timestamp the server writes (IssueInstant,
// NotBefore, token iat/exp, certificate validity, sign-in log times) comes from it. It follows
// the wall clock until frozen, and can be offset or advanced, so one test can make the IdP run
// minutes ahead or let a certificate expire without sleeping. Safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	base   func() time.Time
	frozen bool
	at     time.Time
	offset time.Duration
}

// NewClock returns a clock that follows the wall clock.
func NewClock() *Clock { return &Clock{base: time.Now} }

// NewFrozenClock returns a clock stopped at t (for golden files).
func NewFrozenClock(t time.Time) *Clock { return &Clock{base: time.Now, frozen: true, at: t} }

// Now is the server's current time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.at.Add(c.offset).UTC()
	}
	return c.base().Add(c.offset).UTC()
}

// Freeze stops the clock at t.
func (c *Clock) Freeze(t time.Time) {
	c.mu.Lock()
	c.frozen, c.at, c.offset = true, t, 0
	c.mu.Unlock()
}

// Unfreeze lets the clock follow the wall clock again (keeping any offset).
func (c *Clock) Unfreeze() {
	c.mu.Lock()
	c.frozen = false
	c.mu.Unlock()
}

// SetOffset makes the clock run d ahead (or behind, if negative) of its base.
func (c *Clock) SetOffset(d time.Duration) {
	c.mu.Lock()
	c.offset = d
	c.mu.Unlock()
}

// Advance moves the clock forward by d (backwards if negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	if c.frozen {
		c.at = c.at.Add(d)
	} else {
		c.offset += d
	}
	c.mu.Unlock()
}
