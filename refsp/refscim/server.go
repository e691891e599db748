package refscim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Schema URIs the server serves.
const (
	schemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaListResp   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaError      = "urn:ietf:params:scim:api:messages:2.0:Error"
	schemaSPConfig   = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	schemaSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Server is the reference SCIM endpoint: an http.Handler serving /Users, /Groups,
// /ServiceProviderConfig and /Schemas at its root (mount it under a prefix with
// http.StripPrefix). Safe for concurrent use.
type Server struct {
	token string
	weak  Weakness

	mu     sync.Mutex
	seq    int
	users  []map[string]any // in creation order
	groups []map[string]any
}

// New makes a server that accepts token as the bearer token, strict (weak "") or with one
// weakness of the registry.
func New(token string, weak Weakness) (*Server, error) {
	if weak != "" {
		if _, err := Lookup(weak); err != nil {
			return nil, err
		}
	}
	return &Server{token: token, weak: weak}, nil
}

type scimError struct {
	status           int
	scimType, detail string
}

func fail(status int, scimType, format string, args ...any) *scimError {
	return &scimError{status, scimType, fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (e *scimError) write(w http.ResponseWriter) {
	body := map[string]any{"schemas": []string{schemaError}, "status": strconv.Itoa(e.status), "detail": e.detail}
	if e.scimType != "" {
		body["scimType"] = e.scimType
	}
	writeJSON(w, e.status, body)
}

// ServeHTTP serves one SCIM request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := s.authorize(r); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		err.write(w)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		status int
		body   any
		err    *scimError
	)
	switch {
	case len(parts) == 1 && parts[0] == "ServiceProviderConfig" && r.Method == "GET":
		status, body = 200, spConfig
	case len(parts) == 1 && parts[0] == "Schemas" && r.Method == "GET":
		status, body = 200, map[string]any{"schemas": []string{schemaListResp}, "totalResults": len(schemas), "itemsPerPage": len(schemas), "startIndex": 1, "Resources": schemas}
	case parts[0] == "Users" || parts[0] == "Groups":
		status, body, err = s.resource(r, parts)
	default:
		err = fail(404, "", "no such endpoint %s", r.URL.Path)
	}
	switch {
	case err != nil:
		err.write(w)
	case body == nil:
		w.WriteHeader(status)
	default:
		writeJSON(w, status, body)
	}
}

// authorize checks Authorization: Bearer <token> (RFC 7644 §2: 401 otherwise).
func (s *Server) authorize(r *http.Request) *scimError {
	if s.weak == NoAuth {
		return nil
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return fail(401, "", "authorization required")
	}
	if s.weak != AnyToken && tok != s.token {
		return fail(401, "", "invalid bearer token")
	}
	return nil
}

// resource serves /Users[/id] and /Groups[/id].
func (s *Server) resource(r *http.Request, parts []string) (int, any, *scimError) {
	group := parts[0] == "Groups"
	store := &s.users
	if group {
		store = &s.groups
	}
	if len(parts) == 1 {
		switch r.Method {
		case "GET":
			return s.list(r, *store, group)
		case "POST":
			return s.create(r, store, group)
		}
		return 0, nil, fail(405, "", "method not allowed")
	}
	if len(parts) != 2 {
		return 0, nil, fail(404, "", "not found")
	}
	i := slices.IndexFunc(*store, func(m map[string]any) bool { return m["id"] == parts[1] })
	if i < 0 {
		return 0, nil, fail(404, "", "resource %s not found", parts[1])
	}
	res := (*store)[i]
	switch r.Method {
	case "GET":
		return 200, view(res, r), nil
	case "DELETE":
		if s.weak != DeleteIsSoft {
			*store = slices.Delete(*store, i, i+1)
		}
		return 204, nil, nil
	case "PATCH":
		if err := s.patch(r, res, group); err != nil {
			return 0, nil, err
		}
		if group {
			return 204, nil, nil
		}
		return 200, res, nil
	}
	return 0, nil, fail(405, "", "method not allowed")
}

// view drops members when excludedAttributes=members asks so.
func view(res map[string]any, r *http.Request) map[string]any {
	if !strings.Contains(strings.ToLower(r.URL.Query().Get("excludedAttributes")), "members") {
		return res
	}
	out := map[string]any{}
	for k, v := range res {
		if k != "members" {
			out[k] = v
		}
	}
	return out
}

func (s *Server) create(r *http.Request, store *[]map[string]any, group bool) (int, any, *scimError) {
	var res map[string]any
	if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
		return 0, nil, fail(400, "invalidSyntax", "body is not JSON: %v", err)
	}
	key, schema := "userName", schemaUser
	if group {
		key, schema = "displayName", schemaGroup
	}
	name, _ := res[key].(string)
	if name == "" {
		return 0, nil, fail(400, "invalidValue", "%s is required", key)
	}
	if !slices.Contains(anyStrings(res["schemas"]), schema) {
		return 0, nil, fail(400, "invalidValue", "schemas must contain %s", schema)
	}
	if s.weak != DuplicateOK && slices.ContainsFunc(*store, func(m map[string]any) bool { return strings.EqualFold(str(m[key]), name) }) {
		return 0, nil, fail(409, "uniqueness", "%s %q is already taken", key, name)
	}
	if a, ok := res["active"]; ok {
		b, err := s.boolValue(a)
		if err != nil {
			return 0, nil, err
		}
		res["active"] = b
	} else if !group {
		res["active"] = true
	}
	s.seq++
	kind := "User"
	if group {
		kind = "Group"
		if _, ok := res["members"]; !ok {
			res["members"] = []any{}
		}
	}
	res["id"] = fmt.Sprintf("%s-%04d", strings.ToLower(kind[:1]), s.seq)
	res["meta"] = map[string]any{"resourceType": kind, "location": "/" + kind + "s/" + res["id"].(string)}
	*store = append(*store, res)
	return 201, res, nil
}

// filterRe is the only filter Entra's provisioning service sends: <attr> eq "<value>".
var filterRe = regexp.MustCompile(`^\s*(\S+)\s+(?i:eq)\s+"((?:[^"\\]|\\.)*)"\s*$`)

func (s *Server) list(r *http.Request, store []map[string]any, group bool) (int, any, *scimError) {
	q := r.URL.Query()
	matched := store
	if f := q.Get("filter"); f != "" && s.weak != NoFilter {
		m := filterRe.FindStringSubmatch(f)
		if m == nil {
			return 0, nil, fail(400, "invalidFilter", "unsupported filter %q (only <attr> eq \"value\")", f)
		}
		val := strings.ReplaceAll(m[2], `\"`, `"`)
		matched = nil
		for _, res := range store {
			got, caseExact, ok := filterValue(res, m[1], group)
			caseExact = caseExact || (s.weak == CaseExactUserName && strings.EqualFold(m[1], "userName"))
			if !ok {
				return 0, nil, fail(400, "invalidFilter", "cannot filter on %q", m[1])
			}
			if got == val || (!caseExact && strings.EqualFold(got, val)) {
				matched = append(matched, res)
			}
		}
		if len(matched) == 0 && s.weak == NotFound404 {
			return 0, nil, fail(404, "", "no resource matches")
		}
	}
	start, count := 1, len(matched)
	if s.weak != NoPaging {
		if v, err := strconv.Atoi(q.Get("startIndex")); err == nil && v > 1 {
			start = v
		}
		if v, err := strconv.Atoi(q.Get("count")); err == nil && v >= 0 {
			count = v
		}
	}
	page := []map[string]any{}
	for i := start - 1; i < len(matched) && len(page) < count; i++ {
		page = append(page, view(matched[i], r))
	}
	return 200, map[string]any{"schemas": []string{schemaListResp}, "totalResults": len(matched), "itemsPerPage": len(page),
		"startIndex": start, "Resources": page}, nil
}

// filterValue reads the filtered attribute (names case-insensitive, RFC 7644 §3.4.2.2):
// userName and displayName compare case-insensitively (caseExact false in RFC 7643),
// externalId and id exactly.
func filterValue(res map[string]any, attr string, group bool) (string, bool, bool) {
	switch strings.ToLower(attr) {
	case "id":
		return str(res["id"]), true, true
	case "externalid":
		return str(res["externalId"]), true, true
	case "displayname":
		return str(res["displayName"]), false, true
	case "username":
		return str(res["userName"]), false, !group
	case `emails[type eq "work"].value`:
		for _, e := range anyMaps(res["emails"]) {
			if e["type"] == "work" {
				return str(e["value"]), false, true
			}
		}
		return "", false, !group
	}
	return "", false, false
}

func str(v any) string { s, _ := v.(string); return s }

func anyStrings(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func asList(v any) []any { l, _ := v.([]any); return l }

func anyMaps(v any) []map[string]any {
	var out []map[string]any
	for _, x := range asList(v) {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
