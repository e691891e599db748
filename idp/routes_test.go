package idp

import (
	"fmt"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// manualRow is one endpoint as the package manual (doc.go) lists it.
type manualRow struct {
	group, pattern, doc string
}

// TestRoutesMatchManual holds the route table (routes.go) equal to the endpoint table of the
// package manual (doc.go, "# Endpoints"): every registered pattern is listed, under its group,
// with its description, and the manual lists no pattern that is not registered.
func TestRoutesMatchManual(t *testing.T) {
	table := (&Server{}).routeTable()
	rows, err := manualEndpoints("doc.go")
	if err != nil {
		t.Fatalf("%v; the route table, for doc.go:\n%s", err, renderManualTable(table))
	}
	inManual := map[string]manualRow{}
	for _, r := range rows {
		if _, dup := inManual[r.pattern]; dup {
			t.Errorf("doc.go lists %q twice", r.pattern)
		}
		inManual[r.pattern] = r
	}
	inTable := map[string]bool{}
	for _, rt := range table {
		inTable[rt.pattern] = true
		r, ok := inManual[rt.pattern]
		switch {
		case !ok:
			t.Errorf("route %q is registered but not in the manual (doc.go)", rt.pattern)
		case r.group != rt.group:
			t.Errorf("route %q: the manual lists it under %q, the table under %q", rt.pattern, r.group, rt.group)
		case r.doc != rt.doc:
			t.Errorf("route %q: the manual says %q, the table %q", rt.pattern, r.doc, rt.doc)
		}
	}
	for _, r := range rows {
		if !inTable[r.pattern] {
			t.Errorf("the manual (doc.go) lists %q, which is not registered", r.pattern)
		}
	}
	if t.Failed() {
		t.Logf("the endpoint table of the route table, for doc.go:\n%s", renderManualTable(table))
	}
}

// TestRoutesRegistered checks that the server's mux holds every pattern of the table, each
// reachable as itself, and that no pattern is listed twice.
func TestRoutesRegistered(t *testing.T) {
	s := &Server{}
	s.routes()
	seen := map[string]bool{}
	for _, rt := range s.routeTable() {
		if seen[rt.pattern] {
			t.Errorf("pattern %q is in the table twice", rt.pattern)
		}
		seen[rt.pattern] = true
		if rt.doc == "" || rt.group == "" || rt.handler == nil {
			t.Errorf("route %q lacks a description, group or handler", rt.pattern)
		}
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			method, path = "PATCH", rt.pattern
		}
		target := regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "x")
		_, got := s.mux.Handler(httptest.NewRequest(method, target, nil))
		if got != rt.pattern {
			t.Errorf("%s %s is routed to %q, want %q", method, target, got, rt.pattern)
		}
	}
}

// TestRoutesOnlyInTable fails when a non-test file of the package registers a handler on a
// mux itself instead of adding a row to routeTable.
func TestRoutesOnlyInTable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if ok && (sel.Sel.Name == "HandleFunc" || sel.Sel.Name == "Handle") && name != "routes.go" {
				t.Errorf("%s: %s registers a route outside routeTable (routes.go)", fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// manualRowRE is a row of the endpoint table: a method (or * for any), the path, and the
// start of the description.
var manualRowRE = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|\*)\s+(/\S*)(?:\s+(.*))?$`)

// manualEndpoints reads the endpoint table from the code block of the "Endpoints" section of
// the package comment in file. Inside the block, a line that is not a row names the group of
// the rows after it, and an indented line continues the description of the row above.
func manualEndpoints(file string) ([]manualRow, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		return nil, err
	}
	if f.Doc == nil {
		return nil, fmt.Errorf("%s: no package comment", file)
	}
	var p comment.Parser
	d := p.Parse(f.Doc.Text())
	var rows []manualRow
	inSection, found := false, false
	for _, b := range d.Content {
		switch b := b.(type) {
		case *comment.Heading:
			inSection = headingText(b) == "Endpoints"
			found = found || inSection
		case *comment.Code:
			if !inSection {
				continue
			}
			group, cont := "", false
			for _, line := range strings.Split(b.Text, "\n") {
				trimmed := strings.TrimSpace(line)
				switch m := manualRowRE.FindStringSubmatch(line); {
				case trimmed == "":
					cont = false
				case m != nil:
					pattern := m[2]
					if m[1] != "*" {
						pattern = m[1] + " " + m[2]
					}
					rows = append(rows, manualRow{group: group, pattern: pattern, doc: m[3]})
					cont = true
				case cont && line != trimmed:
					r := &rows[len(rows)-1]
					r.doc = strings.TrimSpace(r.doc + " " + trimmed)
				default:
					group, cont = trimmed, false
				}
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no \"# Endpoints\" section in the package comment", file)
	}
	for i := range rows {
		rows[i].doc = strings.Join(strings.Fields(rows[i].doc), " ")
	}
	return rows, nil
}

func headingText(h *comment.Heading) string {
	var b strings.Builder
	for _, t := range h.Text {
		if p, ok := t.(comment.Plain); ok {
			b.WriteString(string(p))
		}
	}
	return b.String()
}

// renderManualTable writes the route table as the manual's code block, ready to paste into
// doc.go: group titles, then method, path and description, a long path's description on the
// next line.
func renderManualTable(table []route) string {
	const methodW, pathW = 8, 36
	var b strings.Builder
	group := ""
	for i, rt := range table {
		if rt.group != group {
			if i > 0 {
				b.WriteString("//\n")
			}
			group = rt.group
			fmt.Fprintf(&b, "//\t%s\n", group)
		}
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			method, path = "*", rt.pattern
		}
		if len(path) >= pathW {
			fmt.Fprintf(&b, "//\t%-*s%s\n//\t%*s%s\n", methodW, method, path, methodW+pathW, "", rt.doc)
			continue
		}
		fmt.Fprintf(&b, "//\t%-*s%-*s%s\n", methodW, method, pathW, path, rt.doc)
	}
	return b.String()
}
