package scenarios

import (
	"context"
	"time"
)

// newTab opens a fresh browser context and page: the spare one made while the previous
// check ran, if it is ready, and it starts making the next spare. A new browser context
// gets a renderer process of its own (a renderer never serves two browser contexts), and
// starting one is most of the time a new context takes (50–300 ms): made ahead, it is ready
// when the next check starts. A spare is as fresh as a tab made on demand — nothing has
// been loaded in it and its cookie jar is empty — and stops with the check that takes it.
func (b *Browser) newTab(parent context.Context) (*tab, error) {
	select {
	case t := <-b.spare:
		if t.ctx.Err() == nil {
			b.warm()
			stop := context.AfterFunc(parent, t.cancel)
			cancel := t.cancel
			t.cancel = func() { stop(); cancel() }
			t.mu.Lock()
			t.lastSeen = time.Now()
			t.mu.Unlock()
			return t, nil
		}
	default:
	}
	b.warm()
	return b.openTab(parent)
}

// warm starts making a spare tab, unless one is ready or being made.
func (b *Browser) warm() {
	if b.spare == nil || !b.warming.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer b.warming.Store(false)
		t, err := b.openTab(b.ctx)
		if err != nil {
			return // the browser is closing, or lost: the next check opens its own
		}
		select {
		case b.spare <- t:
		default:
			t.close()
		}
	}()
}

// waitChange waits for the next event after version v (or d).
func (t *tab) waitChange(ctx context.Context, v uint64, d time.Duration) error {
	s := t.snap()
	if s.version != v {
		return nil
	}
	return waitEvent(ctx, s.wake, d)
}

// waitEvent waits until wake is closed, d has passed, or ctx ends (its error).
func waitEvent(ctx context.Context, wake <-chan struct{}, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-wake:
	case <-tm.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
