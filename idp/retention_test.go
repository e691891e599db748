package idp

import (
	"testing"
)

func TestRetention(t *testing.T) {
	s, err := NewUnstartedServer(WithRetention(Retention{Events: 10}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// The log keeps the newest entries, at most 10.
	for i := range 25 {
		s.record(&Event{Kind: "test", Binding: string(rune('a' + i))})
	}
	ev := s.Events()
	if len(ev) > 10 || len(ev) < 9 {
		t.Fatalf("log holds %d entries, want 9 or 10", len(ev))
	}
	if last := ev[len(ev)-1].Binding; last != string(rune('a'+24)) {
		t.Errorf("newest entry %q, want %q", last, string(rune('a'+24)))
	}
	for i := 1; i < len(ev); i++ {
		if ev[i].Binding <= ev[i-1].Binding {
			t.Fatalf("log out of order: %q after %q", ev[i].Binding, ev[i-1].Binding)
		}
	}

	// fifoKeys forgets the oldest keys beyond its limit.
	var order fifoKeys
	m := map[string]bool{}
	for _, k := range []string{"a", "b", "c", "d"} {
		m[k] = true
		for _, old := range order.add(k, 2) {
			delete(m, old)
		}
	}
	if len(m) != 2 || !m["c"] || !m["d"] {
		t.Errorf("kept %v, want c and d", m)
	}
}

func TestFifoKeysCompacts(t *testing.T) {
	var f fifoKeys
	for i := range 100000 {
		f.add(string(rune(i)), 10)
	}
	if len(f.keys) > 4096 {
		t.Errorf("fifo holds %d slots for 10 live keys", len(f.keys))
	}
}
