package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/reports"
)

func TestWriteAll(t *testing.T) {
	run, dir := fixture(t)
	p, err := reports.WriteAll(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	want := reports.Paths{
		Dir:   dir,
		JUnit: filepath.Join(dir, "junit.xml"),
		JSON:  filepath.Join(dir, "report.json"),
		HTML:  filepath.Join(dir, "index.html"),
	}
	if p != want {
		t.Errorf("paths %+v, want %+v", p, want)
	}
	if l := p.List(); len(l) != 3 || l[0] != want.HTML || l[1] != want.JUnit || l[2] != want.JSON {
		t.Errorf("List() = %q", l)
	}
	b, err := os.ReadFile(p.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := reports.ValidateJSON(b); err != nil {
		t.Error(err)
	}
	page, err := os.ReadFile(p.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("data:image/png;base64,")) {
		t.Error("index.html has no inlined screenshot: not rendered relative to dir?")
	}
	x, err := os.ReadFile(p.JUnit)
	if err != nil || !bytes.HasPrefix(x, []byte("<?xml")) {
		t.Errorf("junit.xml: %v %.20q", err, x)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestWriteAllCreatesDir(t *testing.T) {
	run, _ := fixture(t)
	dir := filepath.Join(t.TempDir(), "a", "b", "report")
	p, err := reports.WriteAll(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.List() {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The HTML shows the (missing) screenshots as placeholders, not as an error.
	page, _ := os.ReadFile(p.HTML)
	if !bytes.Contains(page, []byte("screenshot missing")) {
		t.Error("no placeholder for screenshots outside the report directory")
	}
}

func TestWriteAllErrors(t *testing.T) {
	if _, err := reports.WriteAll(t.TempDir(), nil); err == nil {
		t.Error("nil run: no error")
	}
	// dir is a file.
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run, _ := fixture(t)
	if p, err := reports.WriteAll(f, run); err == nil || len(p.List()) != 0 {
		t.Errorf("dir is a file: %+v, %v", p, err)
	}
}
