package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schema/report.schema.json
var schemaJSON []byte

// SchemaID is the $id of the report's JSON Schema.
const SchemaID = "https://github.com/ssoharness/ssoharness/blob/main/reports/schema/report.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the JSON report, report.json: every
// field described, required fields listed, statuses enumerated. The caller may modify the
// returned slice.
func Schema() []byte { return bytes.Clone(schemaJSON) }

var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		return nil, err
	}
	return c.Compile(SchemaID)
})

// ValidateJSON checks that b is a JSON report that matches [Schema], formats (date-time,
// uri) included. The error lists every violation with its JSON pointer.
func ValidateJSON(b []byte) error {
	sch, err := compiledSchema()
	if err != nil {
		return fmt.Errorf("reports: compiling the report schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("reports: report is not JSON: %w", err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("reports: report does not match the schema: %w", err)
	}
	return nil
}
