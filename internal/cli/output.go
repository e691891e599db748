package cli

import (
	"encoding/json"
	"io"
	"text/tabwriter"
)

// PrintJSON writes v as indented JSON, the --json output of every command.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// NewTable is the tab-separated table writer of every command's text output: columns two
// spaces apart. Flush it when done.
func NewTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }
