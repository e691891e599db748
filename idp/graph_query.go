package idp

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Graph's OData query options on the mock's collections: $select, $filter, $top, $skiptoken,
// $count, $search and $orderby (query-parameters and paging in Microsoft Graph's docs).
// Values are compared case-insensitively, as the directory does.

// Graph's page sizes for directory objects: 100 by default, $top from 1 to 999.
const (
	graphDefaultTop = 100
	graphMaxTop     = 999
)

// graphObject is one directory object as Graph writes it: properties in Graph's order.
type graphObject struct {
	keys []string
	vals map[string]any
	// defaults is the $select a listing without $select applies to this object (a user among
	// a group's members: the user's default set); nil: the query's own.
	defaults []string
}

func newGraphObject() *graphObject { return &graphObject{vals: map[string]any{}} }

// set appends (or replaces) a property.
func (o *graphObject) set(k string, v any) *graphObject {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

// str is a string-valued property, nil when empty (Graph writes null for unset values).
func str(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// MarshalJSON writes the properties in order.
func (o *graphObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(encodeJSON(o.vals[k]))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// project is o with only the properties of sel (in o's order), plus the annotations
// (@odata.*) it carries; sel nil is o itself.
func (o *graphObject) project(sel []string) *graphObject {
	if sel == nil {
		return o
	}
	out := newGraphObject()
	for _, k := range o.keys {
		if strings.HasPrefix(k, "@") || slices.ContainsFunc(sel, func(s string) bool { return strings.EqualFold(s, k) }) {
			out.set(k, o.vals[k])
		}
	}
	return out
}

// graphQuery is a request's parsed query options.
type graphQuery struct {
	selects []string // nil: the type's default set
	filter  *graphFilter
	search  []searchTerm
	orderBy string
	top     int
	offset  int // from $skiptoken
	count   bool
}

// qopt reads a query option with or without its $ (Graph v1.0 takes both).
func qopt(q url.Values, name string) (string, bool) {
	if v, ok := q["$"+name]; ok {
		return v[0], true
	}
	if v, ok := q[name]; ok {
		return v[0], true
	}
	return "", false
}

// graphType is what a collection's query options may name: the OData type's name, all its
// properties, its default $select set, and the properties $filter and $search take.
type graphType struct {
	name     string // user, group, ...
	props    []string
	defaults []string // nil: every property
	filter   []string
	search   []string
}

// parseGraphQuery reads the query options of a collection request of type ty.
// eventual is the ConsistencyLevel: eventual header, which $count and $search need.
func parseGraphQuery(q url.Values, ty *graphType, eventual bool) (*graphQuery, *graphErr) {
	gq := &graphQuery{top: graphDefaultTop}
	if v, ok := qopt(q, "select"); ok {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "*" {
				gq.selects = ty.props
				continue
			}
			if !slices.ContainsFunc(ty.props, func(s string) bool { return strings.EqualFold(s, p) }) {
				return nil, graphBadRequest("BadRequest", fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", truncate(p, 128), ty.name))
			}
			gq.selects = append(gq.selects, p)
		}
	} else if ty.defaults != nil {
		gq.selects = ty.defaults
	}
	if v, ok := qopt(q, "top"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > graphMaxTop {
			return nil, graphBadRequest("Request_BadRequest", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", truncate(v, 64), graphMaxTop))
		}
		gq.top = n
	}
	if v, ok := qopt(q, "skiptoken"); ok {
		off, ok := decodeSkipToken(v)
		if !ok {
			return nil, graphBadRequest("Request_BadRequest", "Invalid paging token: '"+truncate(v, 64)+"'.")
		}
		gq.offset = off
	}
	if v, ok := qopt(q, "count"); ok {
		switch strings.ToLower(v) {
		case "true":
			if !eventual {
				return nil, graphBadRequest("Request_BadRequest", "$count is not currently supported.")
			}
			gq.count = true
		case "false":
		default:
			return nil, graphBadRequest("BadRequest", "Invalid value '"+truncate(v, 64)+"' for $count: expected true or false.")
		}
	}
	if v, ok := qopt(q, "search"); ok {
		if !eventual {
			return nil, graphBadRequest("Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
		}
		terms, e := parseSearch(v, ty)
		if e != nil {
			return nil, e
		}
		gq.search = terms
	}
	if v, ok := qopt(q, "filter"); ok {
		f, e := parseGraphFilter(v, ty)
		if e != nil {
			return nil, e
		}
		gq.filter = f
	}
	if v, ok := qopt(q, "orderby"); ok {
		p, dir, _ := strings.Cut(strings.TrimSpace(v), " ")
		if !slices.Contains([]string{"displayName", "userPrincipalName"}, p) || (dir != "" && dir != "asc" && dir != "desc") {
			return nil, graphBadRequest("Request_UnsupportedQuery", "Sorting not supported for current query.")
		}
		gq.orderBy = p
		if dir == "desc" {
			gq.orderBy = "-" + p
		}
	}
	return gq, nil
}

// skipTokenPrefix starts every skip token: Graph's directory tokens begin "RFNwdAIA".
var skipTokenPrefix = []byte("DSpt\x02\x00\x01\x00")

// encodeSkipToken is the opaque $skiptoken of the page starting at offset.
func encodeSkipToken(offset int) string {
	b := binary.LittleEndian.AppendUint32(slices.Clone(skipTokenPrefix), uint32(offset))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSkipToken(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok, "="))
	if err != nil || len(b) != len(skipTokenPrefix)+4 || !bytes.HasPrefix(b, skipTokenPrefix) {
		return 0, false
	}
	n := binary.LittleEndian.Uint32(b[len(skipTokenPrefix):])
	if n > 1<<24 {
		return 0, false
	}
	return int(n), true
}

// searchTerm is one "property:value" of $search; terms are ANDed unless or is set.
type searchTerm struct {
	prop, value string
	or          bool
}

// parseSearch reads $search="displayName:wa" [AND|OR "mail:x"]: each term a quoted
// property:value, matched as a case-insensitive substring (Graph tokenises; close enough).
func parseSearch(v string, ty *graphType) ([]searchTerm, *graphErr) {
	var out []searchTerm
	rest := strings.TrimSpace(v)
	or := false
	for rest != "" {
		if !strings.HasPrefix(rest, `"`) {
			return nil, graphBadRequest("Request_UnsupportedQuery", "Syntax error: character '"+truncate(rest, 1)+"' is not valid at position 0 in '"+truncate(v, 128)+"'.")
		}
		end := strings.Index(rest[1:], `"`)
		if end < 0 {
			return nil, graphBadRequest("Request_UnsupportedQuery", "Unterminated string literal in $search '"+truncate(v, 128)+"'.")
		}
		term := rest[1 : end+1]
		p, val, ok := strings.Cut(term, ":")
		if !ok || !slices.Contains(ty.search, p) {
			return nil, graphBadRequest("Request_UnsupportedQuery", "Unsupported or invalid search property '"+truncate(p, 128)+"' of resource '"+ty.name+"'.")
		}
		out = append(out, searchTerm{prop: p, value: strings.ToLower(val), or: or})
		rest = strings.TrimSpace(rest[end+2:])
		switch {
		case strings.HasPrefix(rest, "AND "):
			rest, or = strings.TrimSpace(rest[4:]), false
		case strings.HasPrefix(rest, "OR "):
			rest, or = strings.TrimSpace(rest[3:]), true
		case rest != "":
			return nil, graphBadRequest("Request_UnsupportedQuery", "Syntax error in $search '"+truncate(v, 128)+"'.")
		}
	}
	return out, nil
}

// matchSearch applies $search's terms to o.
func matchSearch(terms []searchTerm, o *graphObject) bool {
	res := true
	for i, t := range terms {
		s, _ := o.vals[t.prop].(string)
		m := strings.Contains(strings.ToLower(s), t.value)
		switch {
		case i == 0:
			res = m
		case t.or:
			res = res || m
		default:
			res = res && m
		}
	}
	return res
}

// apply filters, searches and sorts objs (full objects) and cuts the page; it returns the
// page (projected by $select), the number that matched, and whether more pages follow.
func (gq *graphQuery) apply(objs []*graphObject) ([]*graphObject, int, bool) {
	var matched []*graphObject
	for _, o := range objs {
		if gq.filter != nil && !gq.filter.match(o) {
			continue
		}
		if gq.search != nil && !matchSearch(gq.search, o) {
			continue
		}
		matched = append(matched, o)
	}
	if gq.orderBy != "" {
		p, desc := strings.TrimPrefix(gq.orderBy, "-"), strings.HasPrefix(gq.orderBy, "-")
		slices.SortStableFunc(matched, func(a, b *graphObject) int {
			as, _ := a.vals[p].(string)
			bs, _ := b.vals[p].(string)
			c := strings.Compare(strings.ToLower(as), strings.ToLower(bs))
			if desc {
				c = -c
			}
			return c
		})
	}
	start := min(gq.offset, len(matched))
	end := min(start+gq.top, len(matched))
	page := make([]*graphObject, 0, end-start)
	for _, o := range matched[start:end] {
		sel := gq.selects
		if sel == nil && o.defaults != nil {
			sel = o.defaults
		}
		page = append(page, o.project(sel))
	}
	return page, len(matched), end < len(matched)
}
