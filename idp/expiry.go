package idp

import (
	"container/heap"
	"time"
)

// expiryQueue orders the entries of a map by the time after which they are swept, so that a
// sweep costs what it removes instead of a walk over the whole map on every request (flows
// and codes of abandoned or finished sign-ins pile up under load). A sweep removes exactly
// what walking the map would: every entry whose deadline is before now, whichever way the
// server clock has moved.
type expiryQueue[V comparable] struct{ items expiryItems[V] }

type expiryItem[V comparable] struct {
	deadline time.Time
	key      string
	v        V
}

// expiryItems is the heap, earliest deadline first.
type expiryItems[V comparable] []expiryItem[V]

func (h expiryItems[V]) Len() int           { return len(h) }
func (h expiryItems[V]) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h expiryItems[V]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryItems[V]) Push(x any)        { *h = append(*h, x.(expiryItem[V])) }
func (h *expiryItems[V]) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = expiryItem[V]{}
	*h = old[:len(old)-1]
	return it
}

// add records that m[key] = v is swept once now is after deadline.
func (q *expiryQueue[V]) add(deadline time.Time, key string, v V) {
	heap.Push(&q.items, expiryItem[V]{deadline: deadline, key: key, v: v})
}

// sweep deletes from m the entries whose deadline is before now. Entries already deleted (or
// replaced) in m are dropped from the queue.
func (q *expiryQueue[V]) sweep(now time.Time, m map[string]V) {
	for len(q.items) > 0 && now.After(q.items[0].deadline) {
		it := heap.Pop(&q.items).(expiryItem[V])
		if cur, ok := m[it.key]; ok && cur == it.v {
			delete(m, it.key)
		}
	}
	if len(q.items) > 64 && len(q.items) > 4*len(m) {
		q.compact(m) // entries deleted from m elsewhere (finished flows) would otherwise linger
	}
}

// dropFirst deletes from m the entry with the earliest deadline that m still holds (the
// oldest, when every deadline is its creation plus one TTL), to keep m under a count bound.
// It reports false when the queue has none left.
func (q *expiryQueue[V]) dropFirst(m map[string]V) bool {
	for len(q.items) > 0 {
		it := heap.Pop(&q.items).(expiryItem[V])
		if cur, ok := m[it.key]; ok && cur == it.v {
			delete(m, it.key)
			return true
		}
	}
	return false
}

// compact drops the queue's entries that m no longer holds.
func (q *expiryQueue[V]) compact(m map[string]V) {
	kept := q.items[:0]
	for _, it := range q.items {
		if cur, ok := m[it.key]; ok && cur == it.v {
			kept = append(kept, it)
		}
	}
	clear(q.items[len(kept):])
	q.items = kept
	heap.Init(&q.items)
}
