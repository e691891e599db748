// Package weakness is the one registry of the reference SPs' weak variants: each reference SP
// (refsaml, refoidc) declares its Weakness type and one table of Entry values (name,
// description, the catalog faults it lets through), and answers Weaknesses, Description,
// Valid, ParseWeakness and the oracle's fault lookup from it.
package weakness

import (
	"fmt"
	"strings"
)

// Entry is one weak variant of a reference SP.
type Entry[W ~string] struct {
	// Weakness is the variant's name: stable, lower-case, used in reports and on the
	// command line. It is never "" (that is the strict SP).
	Weakness W
	// Description says in one line what the variant does differently from the strict SP.
	Description string
	// Faults are the IDs of the catalog faults whose bad response this variant lets
	// through (or, for an accept fault, whose good response it refuses): the oracle's
	// fault → weakness map. A trailing "*" matches any rest of an ID ("saml.xsw.*"). Empty
	// when no response shows the weakness.
	Faults []string
	// Findings are the IDs of the catalog findings (scenarios' KindFinding checks, judged
	// over a whole run) this variant makes fail or warn: a request finding's oracle, since
	// no single response shows what the SP itself sends.
	Findings []string
}

// Registry is the table of one reference SP's weak variants, in a stable order.
type Registry[W ~string] struct {
	pkg     string // the SP's package name, for errors
	entries []Entry[W]
}

// New makes the registry of package pkg. It panics on an empty or repeated name, or on a
// fault listed twice: the tables are fixed at compile time.
func New[W ~string](pkg string, entries []Entry[W]) *Registry[W] {
	names := map[W]bool{}
	faults, found := map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		for _, f := range e.Findings {
			if found[f] {
				panic(fmt.Sprintf("%s: finding %q listed twice", pkg, f))
			}
			found[f] = true
		}
		if e.Weakness == "" || names[e.Weakness] || e.Description == "" {
			panic(fmt.Sprintf("%s: weakness %q: empty, repeated or without a description", pkg, e.Weakness))
		}
		names[e.Weakness] = true
		for _, f := range e.Faults {
			if faults[f] {
				panic(fmt.Sprintf("%s: fault %q listed twice", pkg, f))
			}
			faults[f] = true
		}
	}
	return &Registry[W]{pkg: pkg, entries: entries}
}

// All returns every weak variant (the strict SP not included) in the table's order.
func (r *Registry[W]) All() []W {
	out := make([]W, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.Weakness
	}
	return out
}

func (r *Registry[W]) entry(w W) (Entry[W], bool) {
	for _, e := range r.entries {
		if e.Weakness == w {
			return e, true
		}
	}
	return Entry[W]{}, false
}

// Description is w's one-line description: "performs every check" for the strict SP ("")
// and "unknown weakness" for a name not in the table.
func (r *Registry[W]) Description(w W) string {
	if w == "" {
		return "performs every check"
	}
	if e, ok := r.entry(w); ok {
		return e.Description
	}
	return "unknown weakness"
}

// Valid reports whether w is the strict SP ("") or in the table.
func (r *Registry[W]) Valid(w W) bool {
	_, ok := r.entry(w)
	return w == "" || ok
}

// Faults returns the fault IDs (and trailing-"*" patterns) w lets through.
func (r *Registry[W]) Faults(w W) []string {
	e, _ := r.entry(w)
	return append([]string(nil), e.Faults...)
}

// Findings returns the finding IDs w makes fail or warn.
func (r *Registry[W]) Findings(w W) []string {
	e, _ := r.entry(w)
	return append([]string(nil), e.Findings...)
}

// ForFinding returns the weakness that makes the finding with this ID fail or warn, if any.
func (r *Registry[W]) ForFinding(id string) (W, bool) {
	for _, e := range r.entries {
		for _, f := range e.Findings {
			if f == id {
				return e.Weakness, true
			}
		}
	}
	return "", false
}

// ForFault returns the weakness that lets the fault with this ID through, if any.
func (r *Registry[W]) ForFault(id string) (W, bool) {
	for _, e := range r.entries {
		for _, f := range e.Faults {
			if p, ok := strings.CutSuffix(f, "*"); (ok && strings.HasPrefix(id, p)) || f == id {
				return e.Weakness, true
			}
		}
	}
	return "", false
}

// Parse turns a name from the command line into a weakness: "", "strict" (the strict SP,
// "") or a name of the table, case-insensitive and trimmed.
func (r *Registry[W]) Parse(s string) (W, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "strict" {
		return "", nil
	}
	if _, ok := r.entry(W(s)); ok {
		return W(s), nil
	}
	names := make([]string, len(r.entries))
	for i, e := range r.entries {
		names[i] = string(e.Weakness)
	}
	return "", fmt.Errorf("%s: unknown weakness %q (want strict or one of %s)", r.pkg, s, strings.Join(names, ", "))
}

// Name is w's name: "strict" for the strict SP ("").
func Name[W ~string](w W) string {
	if w == "" {
		return "strict"
	}
	return string(w)
}
