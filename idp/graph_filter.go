package idp

import (
	"slices"
	"strings"
)

// Graph's $filter on directory objects, the part a user import uses: property eq literal,
// property in (literal, …), startswith(property,'x'), joined with and / or (left to right,
// and before or), without parentheses. Anything else on a property the type filters on is
// Graph's 400 Request_UnsupportedQuery; a property it does not filter on, the same with the
// property's name, as Graph words it.

// graphFilter is a parsed $filter: clauses in disjunctive form (or of ands).
type graphFilter struct {
	any [][]filterClause
}

// filterClause is one comparison.
type filterClause struct {
	prop   string
	op     string // eq, in, startswith
	values []any  // string, bool or nil
}

// filterLexer splits a $filter into tokens: words, quoted strings (with ” for '), and
// the punctuation ( ) ,.
type filterLexer struct {
	toks []string
	pos  int
}

func lexFilter(s string) ([]string, bool) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			var b strings.Builder
			b.WriteByte('\'')
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, false
			}
			toks = append(toks, b.String())
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" (),'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, true
}

func (l *filterLexer) next() string {
	if l.pos >= len(l.toks) {
		return ""
	}
	l.pos++
	return l.toks[l.pos-1]
}

func (l *filterLexer) peek() string {
	if l.pos >= len(l.toks) {
		return ""
	}
	return l.toks[l.pos]
}

// literal is a token as a value: 'string', true, false, null.
func literal(tok string) (any, bool) {
	switch {
	case strings.HasPrefix(tok, "'"):
		return tok[1:], true
	case tok == "true":
		return true, true
	case tok == "false":
		return false, true
	case tok == "null":
		return nil, true
	}
	return nil, false
}

// parseGraphFilter parses v for type ty.
func parseGraphFilter(v string, ty *graphType) (*graphFilter, *graphErr) {
	toks, ok := lexFilter(v)
	if !ok || len(toks) == 0 {
		return nil, graphBadRequest("BadRequest", "Invalid filter clause: unterminated string literal or empty clause in '"+truncate(v, 128)+"'.")
	}
	l := &filterLexer{toks: toks}
	f := &graphFilter{}
	and := []filterClause{}
	for {
		c, e := parseClause(l, v, ty)
		if e != nil {
			return nil, e
		}
		and = append(and, c)
		switch strings.ToLower(l.next()) {
		case "":
			f.any = append(f.any, and)
			return f, nil
		case "and":
		case "or":
			f.any = append(f.any, and)
			and = []filterClause{}
		default:
			return nil, graphBadRequest("BadRequest", "Invalid filter clause: syntax error in '"+truncate(v, 128)+"'.")
		}
	}
}

// parseClause reads one comparison.
func parseClause(l *filterLexer, v string, ty *graphType) (filterClause, *graphErr) {
	syntax := graphBadRequest("BadRequest", "Invalid filter clause: syntax error in '"+truncate(v, 128)+"'.")
	tok := l.next()
	if strings.EqualFold(tok, "startswith") {
		if l.next() != "(" {
			return filterClause{}, syntax
		}
		prop := l.next()
		if e := filterable(prop, ty); e != nil {
			return filterClause{}, e
		}
		if l.next() != "," {
			return filterClause{}, syntax
		}
		val, ok := literal(l.next())
		if _, isStr := val.(string); !ok || !isStr || l.next() != ")" {
			return filterClause{}, syntax
		}
		return filterClause{prop: prop, op: "startswith", values: []any{val}}, nil
	}
	prop := tok
	if e := filterable(prop, ty); e != nil {
		return filterClause{}, e
	}
	switch op := strings.ToLower(l.next()); op {
	case "eq":
		val, ok := literal(l.next())
		if !ok {
			return filterClause{}, syntax
		}
		return filterClause{prop: prop, op: "eq", values: []any{val}}, nil
	case "in":
		if l.next() != "(" {
			return filterClause{}, syntax
		}
		c := filterClause{prop: prop, op: "in"}
		for {
			val, ok := literal(l.next())
			if !ok {
				return filterClause{}, syntax
			}
			c.values = append(c.values, val)
			switch l.next() {
			case ",":
				continue
			case ")":
				return c, nil
			}
			return filterClause{}, syntax
		}
	case "":
		return filterClause{}, syntax
	default:
		// ne, gt, le, endswith, not, any(): advanced queries the mock does not take.
		_ = l.peek()
		return filterClause{}, unsupportedFilter(prop, ty)
	}
}

func filterable(prop string, ty *graphType) *graphErr {
	if !slices.Contains(ty.filter, prop) {
		return unsupportedFilter(prop, ty)
	}
	return nil
}

func unsupportedFilter(prop string, ty *graphType) *graphErr {
	name := strings.ToUpper(ty.name[:1]) + ty.name[1:]
	return graphBadRequest("Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property '"+truncate(prop, 128)+"' of resource '"+name+"'.")
}

// match reports whether o passes the filter.
func (f *graphFilter) match(o *graphObject) bool {
	for _, and := range f.any {
		ok := true
		for _, c := range and {
			if !c.match(o.vals[c.prop]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c filterClause) match(have any) bool {
	for _, want := range c.values {
		switch w := want.(type) {
		case string:
			h, _ := have.(string)
			if c.op == "startswith" {
				if strings.HasPrefix(strings.ToLower(h), strings.ToLower(w)) {
					return true
				}
			} else if strings.EqualFold(h, w) && have != nil {
				return true
			}
		default:
			if have == want {
				return true
			}
		}
	}
	return false
}
