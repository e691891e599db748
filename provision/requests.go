package provision

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// SCIM schema URIs Entra's provisioning service sends.
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	// SchemaADSCIMGroup is the Microsoft schema Entra adds to POST /Groups (Create Group in
	// "Tutorial: Develop and plan provisioning for a SCIM endpoint").
	SchemaADSCIMGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
	SchemaPatchOp     = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaListResp    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// Request is one SCIM request as Entra's provisioning service sends it: the method, the
// path relative to the tenant URL (with its query) and the JSON body. The Dialect methods
// build them; Client.Do sends one. Checks reuse the builders to send exactly Entra's shapes.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   any    `json:"body,omitempty"`
}

// Dialect builds requests in one of Entra's two PATCH behaviours.
type Dialect struct {
	// Compliant is the aadOptscim062020 flag ("Known issues and resolutions with SCIM 2.0
	// protocol compliance"): lower-case ops, active as a boolean, single-valued replacements
	// bundled in one op with a value object, member removal by filter path. False is the
	// default job's behaviour: "Add"/"Replace"/"Remove", active as the string "True"/"False",
	// one op per attribute, member removal with a value array.
	Compliant bool
}

// Change is one attribute change a PATCH carries: Old is the value last provisioned (empty:
// the attribute was absent, so Entra sends Add), New the value to set (empty: Remove).
type Change struct {
	Path string `json:"path"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// PatchOp is one operation of a SCIM PATCH body.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// PatchBody is the body of a SCIM PATCH.
type PatchBody struct {
	Schemas    []string  `json:"schemas"`
	Operations []PatchOp `json:"Operations"`
}

func filterQuery(attr, value string, extra ...string) string {
	q := url.Values{"filter": {attr + ` eq "` + strings.ReplaceAll(value, `"`, `\"`) + `"`}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q.Encode()
}

// TestConnection is the portal's "Test Connection": a query for a user whose userName is a
// random GUID; Entra expects 200 and an empty ListResponse.
func (d Dialect) TestConnection(randomGUID string) Request {
	return d.GetUserByUserName(randomGUID)
}

// GetUserByUserName is the match query: GET /Users?filter=userName eq "v".
func (d Dialect) GetUserByUserName(userName string) Request {
	return Request{Method: "GET", Path: "/Users?" + filterQuery("userName", userName)}
}

// GetUserBy is the match query on another matching attribute: GET /Users?filter=<attr> eq
// "v", e.g. externalId or emails[type eq "work"].value.
func (d Dialect) GetUserBy(attr, value string) Request {
	return Request{Method: "GET", Path: "/Users?" + filterQuery(attr, value)}
}

// ServiceProviderConfig is GET /ServiceProviderConfig.
func (d Dialect) ServiceProviderConfig() Request {
	return Request{Method: "GET", Path: "/ServiceProviderConfig"}
}

// Schemas is GET /Schemas: schema discovery, which Entra does for gallery apps when the
// provisioning configuration is saved or opened.
func (d Dialect) Schemas() Request { return Request{Method: "GET", Path: "/Schemas"} }

// GetUser is GET /Users/{id}.
func (d Dialect) GetUser(id string) Request {
	return Request{Method: "GET", Path: "/Users/" + url.PathEscape(id)}
}

// CreateUser is POST /Users with the mapped values, in the body's shape of the tutorial's
// Create User: both schemas, active as a boolean, emails with primary and type, meta, roles.
func (d Dialect) CreateUser(v Values) Request {
	return Request{Method: "POST", Path: "/Users", Body: userBody(v)}
}

// PatchUser is PATCH /Users/{id} carrying changes, in the dialect's shapes.
func (d Dialect) PatchUser(id string, changes []Change) Request {
	return Request{Method: "PATCH", Path: "/Users/" + url.PathEscape(id), Body: d.patchBody(changes)}
}

// SetActive is the Disable (or re-enable) PATCH: {"op":"Replace","path":"active",
// "value":"False"} by default, {"op":"replace","path":"active","value":false} compliant.
func (d Dialect) SetActive(id string, active bool) Request {
	return d.PatchUser(id, []Change{{Path: "active", Old: boolString(!active), New: boolString(active)}})
}

// DeleteUser is DELETE /Users/{id}; Entra expects 204.
func (d Dialect) DeleteUser(id string) Request {
	return Request{Method: "DELETE", Path: "/Users/" + url.PathEscape(id)}
}

// GetGroupByDisplayName is GET /Groups?excludedAttributes=members&filter=displayName eq "v".
func (d Dialect) GetGroupByDisplayName(name string) Request {
	return Request{Method: "GET", Path: "/Groups?" + filterQuery("displayName", name, "excludedAttributes", "members")}
}

// CreateGroup is POST /Groups: created with no members (members follow in a PATCH Add).
func (d Dialect) CreateGroup(externalID, displayName string) Request {
	return Request{Method: "POST", Path: "/Groups", Body: map[string]any{
		"schemas":     []string{SchemaGroup, SchemaADSCIMGroup},
		"externalId":  externalID,
		"displayName": displayName,
		"meta":        map[string]any{"resourceType": "Group"},
	}}
}

// RenameGroup is PATCH /Groups/{id} replacing displayName.
func (d Dialect) RenameGroup(id, old, name string) Request {
	return Request{Method: "PATCH", Path: "/Groups/" + url.PathEscape(id), Body: d.patchBody([]Change{{Path: "displayName", Old: old, New: name}})}
}

// AddMembers is PATCH /Groups/{id} {"op":"Add","path":"members","value":[{"$ref":null,
// "value":id}…]} ("add" compliant); Entra expects 204.
func (d Dialect) AddMembers(id string, memberIDs []string) Request {
	vals := make([]map[string]any, 0, len(memberIDs))
	for _, m := range memberIDs {
		vals = append(vals, map[string]any{"$ref": nil, "value": m})
	}
	return Request{Method: "PATCH", Path: "/Groups/" + url.PathEscape(id), Body: PatchBody{
		Schemas: []string{SchemaPatchOp}, Operations: []PatchOp{{Op: d.op("Add"), Path: "members", Value: vals}},
	}}
}

// RemoveMembers is PATCH /Groups/{id} removing members: {"op":"Remove","path":"members",
// "value":[{"value":id}]} by default; compliant, one {"op":"remove",
// "path":"members[value eq \"id\"]"} per member.
func (d Dialect) RemoveMembers(id string, memberIDs []string) Request {
	body := PatchBody{Schemas: []string{SchemaPatchOp}}
	if d.Compliant {
		for _, m := range memberIDs {
			body.Operations = append(body.Operations, PatchOp{Op: "remove", Path: `members[value eq "` + m + `"]`})
		}
	} else {
		vals := make([]map[string]any, 0, len(memberIDs))
		for _, m := range memberIDs {
			vals = append(vals, map[string]any{"value": m})
		}
		body.Operations = []PatchOp{{Op: "Remove", Path: "members", Value: vals}}
	}
	return Request{Method: "PATCH", Path: "/Groups/" + url.PathEscape(id), Body: body}
}

// DeleteGroup is DELETE /Groups/{id}.
func (d Dialect) DeleteGroup(id string) Request {
	return Request{Method: "DELETE", Path: "/Groups/" + url.PathEscape(id)}
}

// op spells an operation name in the dialect: "Replace" by default, "replace" compliant.
func (d Dialect) op(name string) string {
	if d.Compliant {
		return strings.ToLower(name)
	}
	return name
}

// patchBody turns changes into operations. Default: one op per change, capitalised, every
// value a string (active "True"/"False"). Compliant: active a boolean; adds, removes and
// filtered (multi-valued) paths one op each with their path; the other replacements bundled
// into one {"op":"replace","value":{path: value…}}, as the known-issues page's samples show.
func (d Dialect) patchBody(changes []Change) PatchBody {
	body := PatchBody{Schemas: []string{SchemaPatchOp}}
	bundle := map[string]any{}
	for _, c := range changes {
		var value any = c.New
		if c.Path == "active" && d.Compliant {
			value = strings.EqualFold(c.New, "True")
		}
		switch {
		case c.New == "":
			body.Operations = append(body.Operations, PatchOp{Op: d.op("Remove"), Path: c.Path})
		case c.Old == "" && c.Path != "active":
			body.Operations = append(body.Operations, PatchOp{Op: d.op("Add"), Path: c.Path, Value: value})
		case d.Compliant && c.Path != "active" && !strings.Contains(c.Path, "["):
			bundle[c.Path] = value
		default:
			body.Operations = append(body.Operations, PatchOp{Op: d.op("Replace"), Path: c.Path, Value: value})
		}
	}
	if len(bundle) > 0 {
		body.Operations = append(body.Operations, PatchOp{Op: "replace", Value: bundle})
	}
	return body
}

func boolString(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// userBody nests flat SCIM paths into the POST /Users body.
func userBody(v Values) map[string]any {
	body := map[string]any{
		"schemas": []string{SchemaUser, SchemaEnterprise},
		"meta":    map[string]any{"resourceType": "User"},
		"roles":   []any{},
	}
	multi := map[string]map[string]map[string]any{} // attr -> type -> sub -> value
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, path := range keys {
		val := v[path]
		if val == "" {
			continue
		}
		switch {
		case path == "active":
			body["active"] = strings.EqualFold(val, "True")
		case strings.HasPrefix(path, SchemaEnterprise+":"):
			ext, _ := body[SchemaEnterprise].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
				body[SchemaEnterprise] = ext
			}
			ext[strings.TrimPrefix(path, SchemaEnterprise+":")] = val
		case strings.Contains(path, `[type eq "`):
			attr, rest, _ := strings.Cut(path, `[type eq "`)
			typ, sub, _ := strings.Cut(rest, `"].`)
			if multi[attr] == nil {
				multi[attr] = map[string]map[string]any{}
			}
			if multi[attr][typ] == nil {
				multi[attr][typ] = map[string]any{"type": typ}
				if attr == "emails" || attr == "addresses" {
					multi[attr][typ]["primary"] = true
				}
			}
			multi[attr][typ][sub] = val
		case strings.Contains(path, "."):
			attr, sub, _ := strings.Cut(path, ".")
			m, _ := body[attr].(map[string]any)
			if m == nil {
				m = map[string]any{}
				body[attr] = m
			}
			m[sub] = val
		default:
			body[path] = val
		}
	}
	for attr, byType := range multi {
		types := make([]string, 0, len(byType))
		for t := range byType {
			types = append(types, t)
		}
		sort.Strings(types)
		var list []any
		for _, t := range types {
			list = append(list, byType[t])
		}
		body[attr] = list
	}
	return body
}

// ListUsers is GET /Users?startIndex=s&count=n: a page of users (RFC 7644 §3.4.2.4). Entra's
// cycles query by filter; the paging checks use it to see the SP pages as the RFC says.
func (d Dialect) ListUsers(startIndex, count int) Request {
	q := url.Values{"startIndex": {strconv.Itoa(startIndex)}, "count": {strconv.Itoa(count)}}
	return Request{Method: "GET", Path: "/Users?" + q.Encode()}
}

// GetGroup is GET /Groups/{id}, to read a group's members back.
func (d Dialect) GetGroup(id string) Request {
	return Request{Method: "GET", Path: "/Groups/" + url.PathEscape(id)}
}
