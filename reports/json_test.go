package reports_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/reports"
)

func writeJSON(t *testing.T, r *reports.Run) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONRoundTrip(t *testing.T) {
	run, _ := fixture(t)
	b := writeJSON(t, run)
	if !bytes.HasPrefix(b, []byte("{\n  \"tool\": ")) || !bytes.HasSuffix(b, []byte("}\n")) {
		t.Errorf("not indented as expected:\n%.80s", b)
	}
	// HTML characters stay readable.
	if !bytes.Contains(b, []byte(`<script>alert(\"pwned\")</script>`)) {
		t.Error("payload not written verbatim (HTML-escaped?)")
	}
	got, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, run) {
		t.Errorf("round trip differs:\ngot  %+v\nwant %+v", got, run)
	}
	if again := writeJSON(t, got); !bytes.Equal(again, b) {
		t.Error("writing the read run again gives other bytes")
	}
	if err := reports.ValidateJSON(b); err != nil {
		t.Errorf("fixture does not validate: %v", err)
	}
}

func TestJSONNilSlices(t *testing.T) {
	run := &reports.Run{
		Tool:   "t",
		Target: reports.Target{Name: "n"},
		IdP:    reports.IdP{URL: "http://127.0.0.1:7443", TenantID: "x"},
	}
	b := writeJSON(t, run)
	if !bytes.Contains(b, []byte(`"checks": []`)) || !bytes.Contains(b, []byte(`"protocols": []`)) {
		t.Errorf("nil slices not written as []:\n%s", b)
	}
	if err := reports.ValidateJSON(b); err != nil {
		t.Errorf("minimal run does not validate: %v", err)
	}
	if run.Checks != nil || run.Target.Protocols != nil {
		t.Error("WriteJSON modified the run")
	}
}

func TestReadJSONErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `[]`, `{"tool": "a"} {"tool": "b"}`, `{"durationMs": "12"}`} {
		if _, err := reports.ReadJSON(strings.NewReader(in)); err == nil {
			t.Errorf("ReadJSON(%q): no error", in)
		}
	}
	// Unknown fields are ignored (a newer report read by an older program).
	r, err := reports.ReadJSON(strings.NewReader(`{"tool": "a", "futureField": 1}`))
	if err != nil || r.Tool != "a" {
		t.Errorf("unknown field: %v, %+v", err, r)
	}
}

// mutate returns the fixture's JSON after f changed its generic form.
func mutate(t *testing.T, f func(doc map[string]any)) []byte {
	t.Helper()
	run, _ := fixture(t)
	var doc map[string]any
	if err := json.Unmarshal(writeJSON(t, run), &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func check(doc map[string]any, i int) map[string]any {
	return doc["checks"].([]any)[i].(map[string]any)
}

func TestValidateJSONRejects(t *testing.T) {
	cases := []struct {
		name string
		doc  []byte
		want string // in the error
	}{
		{"bad status", mutate(t, func(d map[string]any) { check(d, 1)["status"] = "failed" }), "/checks/1/status"},
		{"missing id", mutate(t, func(d map[string]any) { delete(check(d, 2), "id") }), "missing property 'id'"},
		{"empty id", mutate(t, func(d map[string]any) { check(d, 0)["id"] = "" }), "/checks/0/id"},
		{"bad date", mutate(t, func(d map[string]any) { d["started"] = "yesterday" }), "/started"},
		{"bad protocol", mutate(t, func(d map[string]any) { check(d, 0)["protocol"] = "WS-Fed" }), "/checks/0/protocol"},
		{"unknown field", mutate(t, func(d map[string]any) { check(d, 0)["verdict"] = "pass" }), "verdict"},
		{"missing summary", mutate(t, func(d map[string]any) { delete(d, "summary") }), "summary"},
		{"negative duration", mutate(t, func(d map[string]any) { d["durationMs"] = -1 }), "/durationMs"},
		{"step status", mutate(t, func(d map[string]any) {
			check(d, 0)["steps"].([]any)[0].(map[string]any)["status"] = 42
		}), "/checks/0/steps/0/status"},
		{"not json", []byte(`{"tool": `), "not JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := reports.ValidateJSON(c.doc)
			if err == nil {
				t.Fatal("validated")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error does not mention %q:\n%v", c.want, err)
			}
		})
	}
}

func TestSchemaDocument(t *testing.T) {
	var sch map[string]any
	if err := json.Unmarshal(reports.Schema(), &sch); err != nil {
		t.Fatal(err)
	}
	if sch["$schema"] != "https://json-schema.org/draft/2020-12/schema" || sch["$id"] != reports.SchemaID {
		t.Errorf("$schema %v, $id %v", sch["$schema"], sch["$id"])
	}
	// Schema returns a copy.
	b := reports.Schema()
	b[0] = 'X'
	if reports.Schema()[0] != '{' {
		t.Error("Schema returned the embedded bytes")
	}
	enum := sch["$defs"].(map[string]any)["status"].(map[string]any)["enum"].([]any)
	var got []string
	for _, e := range enum {
		got = append(got, e.(string))
	}
	var want []string
	for _, s := range reports.Statuses {
		want = append(want, string(s))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("status enum %v, want %v", got, want)
	}
}

// TestSchemaMatchesTypes walks the Go types of the report and the schema together: every
// JSON field is in the schema with a description, no schema property is missing from the Go
// type, and the schema requires exactly the fields that are never omitted.
func TestSchemaMatchesTypes(t *testing.T) {
	var sch map[string]any
	if err := json.Unmarshal(reports.Schema(), &sch); err != nil {
		t.Fatal(err)
	}
	defs := sch["$defs"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			return defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		return s
	}
	types := map[reflect.Type]map[string]any{
		reflect.TypeFor[reports.Run]():         sch,
		reflect.TypeFor[reports.Target]():      defs["target"].(map[string]any),
		reflect.TypeFor[reports.IdP]():         defs["idp"].(map[string]any),
		reflect.TypeFor[reports.Summary]():     defs["summary"].(map[string]any),
		reflect.TypeFor[reports.Check]():       defs["check"].(map[string]any),
		reflect.TypeFor[reports.Step]():        defs["step"].(map[string]any),
		reflect.TypeFor[reports.Payload]():     defs["payload"].(map[string]any),
		reflect.TypeFor[reports.SignInEvent](): defs["signInEvent"].(map[string]any),
	}
	timeType := reflect.TypeFor[time.Time]()
	for typ, s := range types {
		props := s["properties"].(map[string]any)
		if s["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false", typ.Name())
		}
		if _, ok := s["description"]; !ok {
			t.Errorf("%s: no description", typ.Name())
		}
		required := map[string]bool{}
		for _, r := range s["required"].([]any) {
			required[r.(string)] = true
		}
		seen := map[string]bool{}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			seen[name] = true
			p, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: %q not in the schema", typ.Name(), f.Name, name)
				continue
			}
			if _, ok := resolve(p)["description"]; !ok {
				t.Errorf("%s.%s: no description", typ.Name(), f.Name)
			}
			if omit := strings.Contains(opts, "omitempty"); omit == required[name] {
				t.Errorf("%s.%s: omitempty=%v but required=%v", typ.Name(), f.Name, omit, required[name])
			}
			if f.Type == timeType && resolve(p)["format"] != "date-time" {
				t.Errorf("%s.%s: time without format date-time", typ.Name(), f.Name)
			}
		}
		for name := range props {
			if !seen[name] {
				t.Errorf("%s: schema property %q is not a field", typ.Name(), name)
			}
		}
	}
}
