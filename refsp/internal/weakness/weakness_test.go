package weakness_test

import (
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/refsp/internal/weakness"
)

type W string

var reg = weakness.New("demo", []weakness.Entry[W]{
	{Weakness: "skip-a", Description: "does not check a", Faults: []string{"x.a", "x.a2"}},
	{Weakness: "skip-wrap", Description: "naive", Faults: []string{"x.wrap.*"}},
	{Weakness: "error-as-500", Description: "refuses with 500"},
})

func TestRegistry(t *testing.T) {
	if got := reg.All(); len(got) != 3 || got[0] != "skip-a" || got[2] != "error-as-500" {
		t.Errorf("All = %q", got)
	}
	if reg.Description("") != "performs every check" || reg.Description("skip-a") != "does not check a" || reg.Description("nope") != "unknown weakness" {
		t.Error("Description")
	}
	if !reg.Valid("") || !reg.Valid("skip-wrap") || reg.Valid("nope") {
		t.Error("Valid")
	}
	if weakness.Name(W("")) != "strict" || weakness.Name(W("skip-a")) != "skip-a" {
		t.Error("Name")
	}
	for id, want := range map[string]W{"x.a": "skip-a", "x.a2": "skip-a", "x.wrap.1": "skip-wrap", "x.wrap.": "skip-wrap", "x.b": "", "x.wra": "", "x.a.b": ""} {
		if got, ok := reg.ForFault(id); got != want || ok != (want != "") {
			t.Errorf("ForFault(%q) = %q, %v; want %q", id, got, ok, want)
		}
	}
	if f := reg.Faults("skip-a"); len(f) != 2 || f[1] != "x.a2" || len(reg.Faults("")) != 0 {
		t.Errorf("Faults = %q", f)
	}
	for s, want := range map[string]W{"": "", " Strict ": "", "SKIP-A": "skip-a"} {
		if got, err := reg.Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := reg.Parse("skip-b"); err == nil || !strings.Contains(err.Error(), `demo: unknown weakness "skip-b" (want strict or one of skip-a, skip-wrap, error-as-500)`) {
		t.Errorf("Parse(skip-b): %v", err)
	}
}

func TestNewRefusesABadTable(t *testing.T) {
	for name, entries := range map[string][]weakness.Entry[W]{
		"empty name":     {{Weakness: "", Description: "d"}},
		"repeated name":  {{Weakness: "a", Description: "d"}, {Weakness: "a", Description: "d"}},
		"no description": {{Weakness: "a"}},
		"fault twice":    {{Weakness: "a", Description: "d", Faults: []string{"f"}}, {Weakness: "b", Description: "d", Faults: []string{"f"}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New did not panic", name)
				}
			}()
			weakness.New("demo", entries)
		}()
	}
}
