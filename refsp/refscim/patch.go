package refscim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// patchOp is one PATCH operation (RFC 7644 §3.5.2).
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// membersFilterRe is aadOptscim062020's member removal path: members[value eq "id"].
var membersFilterRe = regexp.MustCompile(`^(?i:members)\[\s*value\s+(?i:eq)\s+"([^"]*)"\s*\]$`)

// patch applies a PATCH body to res: ops case-insensitively ("Replace" is Entra's default),
// active as a boolean or the strings "True"/"False" (Entra's default), a path-less replace
// whose value object may name sub-attributes with dots ("name.givenName", as
// aadOptscim062020 bundles them), filtered paths (emails[type eq "work"].value), and group
// members added and removed by value array or by filter path. All or nothing: res is
// changed only when every operation applies.
func (s *Server) patch(r *http.Request, res map[string]any, group bool) *scimError {
	var body struct {
		Schemas    []string  `json:"schemas"`
		Operations []patchOp `json:"Operations"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return fail(400, "invalidSyntax", "body is not a PatchOp: %v", err)
	}
	work := clone(res)
	for _, op := range body.Operations {
		if s.weak == LowercaseOpsOnly && op.Op != strings.ToLower(op.Op) {
			return fail(400, "invalidSyntax", "unknown op %q", op.Op)
		}
		if err := s.apply(work, strings.ToLower(op.Op), op.Path, op.Value); err != nil {
			return err
		}
	}
	for k := range res {
		delete(res, k)
	}
	for k, v := range work {
		res[k] = v
	}
	return nil
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// apply applies one operation.
func (s *Server) apply(res map[string]any, op, path string, value any) *scimError {
	if op != "add" && op != "replace" && op != "remove" {
		return fail(400, "invalidSyntax", "unknown op %q", op)
	}
	if path == "" {
		obj, ok := value.(map[string]any)
		if !ok || op == "remove" {
			return fail(400, "noTarget", "an operation without path needs a value object")
		}
		for k, v := range obj {
			if s.weak == NoDottedBundle && strings.Contains(strings.TrimPrefix(k, schemaEnterprise+":"), ".") {
				return fail(400, "invalidPath", "unknown attribute %q", k)
			}
			if err := s.apply(res, op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	if m := membersFilterRe.FindStringSubmatch(path); m != nil {
		if s.weak == NoMemberRemoveFilter || op != "remove" {
			return fail(400, "invalidPath", "unsupported path %q", path)
		}
		res["members"] = removeMembers(res["members"], []string{m[1]})
		return nil
	}
	if strings.EqualFold(path, "members") {
		return patchMembers(res, op, value)
	}
	if strings.EqualFold(path, "active") {
		if op == "remove" {
			return fail(400, "mutability", "active cannot be removed")
		}
		b, err := s.boolValue(value)
		if err != nil {
			return err
		}
		res["active"] = b
		return nil
	}
	return setPath(res, op, path, value)
}

// boolValue takes a JSON boolean, or (strict) Entra's default "True"/"False" strings.
func (s *Server) boolValue(v any) (bool, *scimError) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		if s.weak != BooleanOnlyActive {
			switch strings.ToLower(b) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
	}
	return false, fail(400, "invalidValue", "active must be a boolean, got %v", v)
}

func patchMembers(res map[string]any, op string, value any) *scimError {
	var ids []string
	for _, m := range anyMaps(value) {
		if id := str(m["value"]); id != "" {
			ids = append(ids, id)
		}
	}
	switch op {
	case "add":
		cur := asList(res["members"])
		for _, id := range ids {
			if !slices.ContainsFunc(anyMaps(cur), func(m map[string]any) bool { return m["value"] == id }) {
				cur = append(cur, map[string]any{"value": id})
			}
		}
		res["members"] = cur
	case "remove":
		if value == nil {
			res["members"] = []any{}
			return nil
		}
		res["members"] = removeMembers(res["members"], ids)
	case "replace":
		var cur []any
		for _, id := range ids {
			cur = append(cur, map[string]any{"value": id})
		}
		res["members"] = cur
	}
	return nil
}

func removeMembers(v any, ids []string) []any {
	out := []any{}
	for _, m := range anyMaps(v) {
		if !slices.Contains(ids, str(m["value"])) {
			out = append(out, m)
		}
	}
	return out
}

// typedRe is a filtered path on a multi-valued attribute: emails[type eq "work"].value.
var typedRe = regexp.MustCompile(`^(\w+)\[\s*type\s+(?i:eq)\s+"([^"]*)"\s*\]\.(\w+)$`)

// setPath adds, replaces or removes an attribute: plain, dotted (name.givenName), the
// enterprise extension's (urn:…:User:department) or a typed element of a multi-valued one.
func setPath(res map[string]any, op, path string, value any) *scimError {
	container := res
	if rest, ok := strings.CutPrefix(path, schemaEnterprise+":"); ok {
		ext, _ := res[schemaEnterprise].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			res[schemaEnterprise] = ext
		}
		container, path = ext, rest
	}
	if m := typedRe.FindStringSubmatch(path); m != nil {
		list := asList(container[m[1]])
		i := slices.IndexFunc(list, func(e any) bool { em, _ := e.(map[string]any); return em != nil && em["type"] == m[2] })
		if op == "remove" {
			if i >= 0 {
				delete(list[i].(map[string]any), m[3])
			}
			return nil
		}
		if i < 0 {
			list = append(list, map[string]any{"type": m[2]})
			i = len(list) - 1
		}
		list[i].(map[string]any)[m[3]] = value
		container[m[1]] = list
		return nil
	}
	if strings.ContainsAny(path, "[]") {
		return fail(400, "invalidPath", "unsupported path %q", path)
	}
	if attr, sub, ok := strings.Cut(path, "."); ok {
		inner, _ := container[attr].(map[string]any)
		if inner == nil {
			inner = map[string]any{}
			container[attr] = inner
		}
		container, path = inner, sub
	}
	if op == "remove" {
		delete(container, path)
		return nil
	}
	container[path] = value
	return nil
}
