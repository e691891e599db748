package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// WriteJSON writes the run as indented JSON (two spaces, map keys sorted, field order as in
// [Run], HTML characters left unescaped), so that two runs with the same results write the
// same bytes. The document validates against [Schema]: nil slices the schema requires
// (checks, target protocols) are written as [].
func WriteJSON(w io.Writer, r *Run) error {
	b, err := marshalRun(r)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func marshalRun(r *Run) ([]byte, error) {
	if r == nil {
		return nil, errors.New("reports: nil run")
	}
	cp := *r
	if cp.Checks == nil {
		cp.Checks = []Check{}
	}
	if cp.Target.Protocols == nil {
		cp.Target.Protocols = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&cp); err != nil {
		return nil, fmt.Errorf("reports: json: %w", err)
	}
	return buf.Bytes(), nil
}

// ReadJSON reads a run written by [WriteJSON]. Unknown fields are ignored, so that a newer
// report can be read by an older program; use [ValidateJSON] to check a document strictly.
func ReadJSON(r io.Reader) (*Run, error) {
	dec := json.NewDecoder(r)
	var run Run
	if err := dec.Decode(&run); err != nil {
		return nil, fmt.Errorf("reports: reading run: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("reports: reading run: data after the JSON document")
	}
	return &run, nil
}
