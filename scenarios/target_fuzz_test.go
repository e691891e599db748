package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseTarget fuzzes the target loader (ParseTarget: strict YAML, then Validate). A panic
// fails; so does an error that is not the loader's (every error names "target:" or a field,
// never a Go runtime error). Seeds: the example targets.
//
//	go test ./scenarios -run XXX -fuzz FuzzParseTarget -fuzztime 20s -fuzzminimizetime 2s
func FuzzParseTarget(f *testing.F) {
	seeds, _ := filepath.Glob("../fixtures/targets/examples/*.yaml")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("name: x\nsaml: {metadataUrl: 'http://[::1'}\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tg, err := ParseTarget(b)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "runtime error") {
				t.Fatalf("ParseTarget(%q): error %q", b, msg)
			}
			return
		}
		// A valid target stays valid: Validate fills in defaults only once.
		if err := tg.Validate(); err != nil {
			t.Fatalf("a target ParseTarget accepted fails Validate again: %v\n%q", err, b)
		}
	})
}
