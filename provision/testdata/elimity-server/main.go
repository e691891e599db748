// Command scimserver is a SCIM 2.0 server on github.com/elimity-com/scim, which parses and
// validates every request (schemas, filters, PATCH operations and their values) and answers
// in SCIM's shapes; the code here is only an in-memory store behind its ResourceHandler,
// with the small PATCH applier the library leaves to handlers. The provision package's
// end-to-end test provisions into it and reads the result back over SCIM.
//
// Usage: SCIM_TOKEN=secret go run .   (prints "listening <port>"; base URL /scim/v2)
package main

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

// store is one resource type's objects, by id.
type store struct {
	mu     sync.Mutex
	unique string // userName or displayName
	items  map[string]scim.ResourceAttributes
	// groups, on the Users store: a deleted user leaves every group's members.
	groups *store
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

func (s *store) resource(id string, a scim.ResourceAttributes) scim.Resource {
	ext, _ := a["externalId"].(string)
	out := scim.Resource{ID: id, Attributes: a}
	if ext != "" {
		out.ExternalID = optional.NewString(ext)
	}
	return out
}

func (s *store) clash(id string, a scim.ResourceAttributes) bool {
	for oid, o := range s.items {
		if oid != id && strings.EqualFold(fmt.Sprint(o[s.unique]), fmt.Sprint(a[s.unique])) {
			return true
		}
	}
	return false
}

func (s *store) Create(r *http.Request, a scim.ResourceAttributes) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clash("", a) {
		return scim.Resource{}, scimerrors.ScimErrorUniqueness
	}
	id := newID()
	s.items[id] = a
	return s.resource(id, a), nil
}

func (s *store) Get(r *http.Request, id string) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.items[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return s.resource(id, a), nil
}

func (s *store) GetAll(r *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The library leaves paging to the handler (ListRequestParams.StartIndex, 1-based, and
	// Count): the matches in a stable order (by id), then the page of them.
	ids := make([]string, 0, len(s.items))
	for id, a := range s.items {
		if p.FilterValidator == nil || p.FilterValidator.PassesFilter(a) == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	page := scim.Page{Resources: []scim.Resource{}, TotalResults: len(ids)}
	for i := max(p.StartIndex, 1) - 1; i < len(ids) && len(page.Resources) < p.Count; i++ {
		page.Resources = append(page.Resources, s.resource(ids[i], s.items[ids[i]]))
	}
	return page, nil
}

func (s *store) Replace(r *http.Request, id string, a scim.ResourceAttributes) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.items[id]; !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	s.items[id] = a
	return s.resource(id, a), nil
}

func (s *store) Delete(r *http.Request, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.items[id]; !ok {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	delete(s.items, id)
	if g := s.groups; g != nil {
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, grp := range g.items {
			apply(grp, "remove", &filter.Path{AttributePath: filter.AttributePath{AttributeName: "members"}}, []any{map[string]any{"value": id}})
		}
	}
	return nil
}

func (s *store) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.items[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	for _, op := range ops {
		apply(a, strings.ToLower(op.Op), op.Path, op.Value)
	}
	return s.resource(id, a), nil
}

// apply carries out one validated operation on a resource's attributes.
func apply(a map[string]any, op string, p *filter.Path, value any) {
	if p == nil { // {"op":"replace","value":{path: value…}}
		if m, ok := value.(map[string]any); ok {
			for k, v := range m {
				if path, err := filter.ParsePath([]byte(k)); err == nil {
					apply(a, op, &path, v)
				} else {
					a[k] = v
				}
			}
		}
		return
	}
	ap := p.AttributePath
	target := a
	if ap.URIPrefix != nil && !strings.EqualFold(*ap.URIPrefix, "urn:ietf:params:scim:schemas:core:2.0:User") && !strings.EqualFold(*ap.URIPrefix, "urn:ietf:params:scim:schemas:core:2.0:Group") {
		ext, _ := a[*ap.URIPrefix].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			a[*ap.URIPrefix] = ext
		}
		target = ext
	}
	name := ap.AttributeName
	switch {
	case p.ValueExpression != nil: // emails[type eq "work"].value, members[value eq "id"]
		list, _ := target[name].([]any)
		var kept []any
		matched := false
		for _, e := range list {
			m, _ := e.(map[string]any)
			if m != nil && matches(m, p.ValueExpression) {
				matched = true
				if op == "remove" && p.SubAttribute == nil {
					continue
				}
				if p.SubAttribute != nil {
					if op == "remove" {
						delete(m, *p.SubAttribute)
					} else {
						m[*p.SubAttribute] = value
					}
				}
			}
			kept = append(kept, e)
		}
		if !matched && op != "remove" && p.SubAttribute != nil {
			if ae, ok := p.ValueExpression.(*filter.AttributeExpression); ok {
				kept = append(kept, map[string]any{ae.AttributePath.AttributeName: ae.CompareValue, *p.SubAttribute: value})
			}
		}
		target[name] = kept
	case ap.SubAttribute != nil: // name.familyName
		m, _ := target[name].(map[string]any)
		if m == nil {
			m = map[string]any{}
			target[name] = m
		}
		if op == "remove" {
			delete(m, *ap.SubAttribute)
		} else {
			m[*ap.SubAttribute] = value
		}
	case op == "remove" && value != nil: // members with a value array
		list, _ := target[name].([]any)
		drop := map[string]bool{}
		for _, v := range asList(value) {
			if m, ok := v.(map[string]any); ok {
				drop[fmt.Sprint(m["value"])] = true
			}
		}
		var kept []any
		for _, e := range list {
			if m, ok := e.(map[string]any); !ok || !drop[fmt.Sprint(m["value"])] {
				kept = append(kept, e)
			}
		}
		target[name] = kept
	case op == "remove":
		delete(target, name)
	case op == "add":
		if l, ok := target[name].([]any); ok {
			target[name] = append(l, asList(value)...)
		} else {
			target[name] = value
		}
	default:
		target[name] = value
	}
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// matches evaluates the eq filters Entra sends in a path.
func matches(m map[string]any, e filter.Expression) bool {
	ae, ok := e.(*filter.AttributeExpression)
	return ok && ae.Operator == filter.EQ && strings.EqualFold(fmt.Sprint(m[ae.AttributePath.AttributeName]), fmt.Sprint(ae.CompareValue))
}

func main() {
	token := os.Getenv("SCIM_TOKEN")
	groups := &store{unique: "displayName", items: map[string]scim.ResourceAttributes{}}
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true},
		ResourceTypes: []scim.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Schema: schema.CoreUserSchema(),
				SchemaExtensions: []scim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          &store{unique: "userName", items: map[string]scim.ResourceAttributes{}, groups: groups},
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Schema: schema.CoreGroupSchema(),
				Handler: groups,
			},
		},
	})
	if err != nil {
		panic(err)
	}
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"a valid bearer token is required"}`)
			return
		}
		srv.ServeHTTP(w, r)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Printf("listening %d\n", l.Addr().(*net.TCPAddr).Port)
	http.Serve(l, http.StripPrefix("/scim", auth))
}
