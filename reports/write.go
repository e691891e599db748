package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The file names [WriteAll] writes in the report directory.
const (
	JUnitFile = "junit.xml"
	JSONFile  = "report.json"
	HTMLFile  = "index.html"
)

// Paths are the files [WriteAll] wrote.
type Paths struct {
	// Dir is the report directory.
	Dir string
	// JUnit is Dir/junit.xml.
	JUnit string
	// JSON is Dir/report.json.
	JSON string
	// HTML is Dir/index.html.
	HTML string
}

// List returns the report files, HTML first, leaving out those not set; pass it to
// [Console.Summary].
func (p Paths) List() []string {
	var out []string
	for _, s := range []string{p.HTML, p.JUnit, p.JSON} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// WriteAll writes the three reports of a run into dir, creating it if needed:
// dir/junit.xml ([WriteJUnit]), dir/report.json ([WriteJSON]) and dir/index.html
// ([WriteHTML], with the screenshots under dir inlined). Each file is written to a temporary
// file then renamed, so a reader never sees half a report. A failure to write one report
// does not stop the others; the error joins every failure and Paths names the files that
// were written.
func WriteAll(dir string, r *Run) (Paths, error) {
	if r == nil {
		return Paths{}, errors.New("reports: nil run")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Paths{}, fmt.Errorf("reports: %w", err)
	}
	p := Paths{Dir: dir}
	var errs []error
	write := func(name string, dst *string, render func(io.Writer) error) {
		path := filepath.Join(dir, name)
		if err := writeFileAtomic(path, render); err != nil {
			errs = append(errs, fmt.Errorf("reports: writing %s: %w", path, err))
			return
		}
		*dst = path
	}
	write(JUnitFile, &p.JUnit, func(w io.Writer) error { return WriteJUnit(w, r) })
	write(JSONFile, &p.JSON, func(w io.Writer) error { return WriteJSON(w, r) })
	write(HTMLFile, &p.HTML, func(w io.Writer) error { return WriteHTML(w, r, dir) })
	return p, errors.Join(errs...)
}

// writeFileAtomic renders into a temporary file next to path and renames it to path.
func writeFileAtomic(path string, render func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = render(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
