package idp

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSealRoundTripAndRefusals(t *testing.T) {
	s, err := New(WithConfig(directConfig()), WithClock(NewFrozenClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), WithRand(NewSeededRand(3)))
	if err != nil {
		t.Fatal(err)
	}
	type v struct{ A string }
	tok, err := s.seal("code", v{"x"}, s.clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got v
	if err := s.unseal("code", tok, &got); err != nil || got.A != "x" {
		t.Fatalf("unseal = %v, %+v", err, got)
	}
	if err := s.unseal("refresh", tok, &got); !errors.Is(err, errSealed) {
		t.Fatalf("another purpose opened it: %v", err)
	}
	// Flip a character in the middle: the last one may only carry padding bits.
	mid := len(tok) / 2
	flip := byte('A')
	if tok[mid] == 'A' {
		flip = 'B'
	}
	if err := s.unseal("code", tok[:mid]+string(flip)+tok[mid+1:], &got); !errors.Is(err, errSealed) {
		t.Fatalf("altered value opened: %v", err)
	}
	s.clock.Advance(2 * time.Minute)
	if err := s.unseal("code", tok, &got); !errors.Is(err, errSealed) {
		t.Fatalf("expired value opened: %v", err)
	}
}

func TestMemoryStoreAddTakeExpiry(t *testing.T) {
	c := NewFrozenClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m := NewMemoryStore(c)
	ctx := context.Background()
	if ok, _ := m.Add(ctx, "k", []byte("1"), c.Now().Add(time.Minute)); !ok {
		t.Fatal("first Add refused")
	}
	if ok, _ := m.Add(ctx, "k", []byte("2"), c.Now().Add(time.Minute)); ok {
		t.Fatal("second Add accepted")
	}
	if v, err := m.Take(ctx, "k"); err != nil || string(v) != "1" {
		t.Fatalf("Take = %q, %v", v, err)
	}
	if _, err := m.Take(ctx, "k"); !errors.Is(err, ErrStoreNotFound) {
		t.Fatalf("second Take = %v", err)
	}
	_ = m.Put(ctx, "p/1", []byte("a"), c.Now().Add(time.Second))
	_ = m.Put(ctx, "p/2", []byte("b"), time.Time{})
	c.Advance(time.Second)
	l, _ := m.List(ctx, "p/")
	if len(l) != 1 || string(l["p/2"]) != "b" {
		t.Fatalf("List after expiry = %v", l)
	}
}
