package idp

import (
	"fmt"
	"testing"
)

// formatGUID writes what fmt's %x of the five parts wrote before it: the golden files and
// every GUID the server has shown depend on it.
func TestFormatGUIDMatchesSprintf(t *testing.T) {
	r := randSource{r: NewSeededRand(17)}
	for range 1000 {
		var b [16]byte
		r.read(b[:])
		want := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		if got := formatGUID(&b); got != want {
			t.Fatalf("formatGUID(%x) = %s, want %s", b, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = r.guid() }); n > 2 {
		t.Errorf("guid: %v allocations, want at most 2", n)
	}
}

// BenchmarkGUID is one GUID, formatted as before (fmt.Sprintf) and now (formatGUID), in CPU
// time per GUID (the random bytes included).
func BenchmarkGUID(b *testing.B) {
	r := randSource{r: NewSeededRand(17)}
	for _, c := range []struct {
		name string
		f    func(*[16]byte) string
	}{
		{"sprintf", func(b *[16]byte) string {
			return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		}},
		{"formatGUID", formatGUID},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuNow()
			for b.Loop() {
				var g [16]byte
				r.read(g[:])
				_ = c.f(&g)
			}
			b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
