package idp_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The malformed-input sweep's data: routes.txt and variants.txt in testdata/sweep (their
// headers document the format), loaded and turned into requests here; sweep_test.go sends
// them and judges the answers.

// sweepRoute is one line of routes.txt.
type sweepRoute struct {
	pattern, method, path, in string
	params                    []string
	base, headers             [][2]string // unexpanded name, value pairs
}

// sweepVariant is one line of variants.txt.
type sweepVariant struct {
	kind, name, ctype, payload string
}

// sweepReq is one request of the sweep, ready to send.
type sweepReq struct {
	route   *sweepRoute
	variant *sweepVariant
	param   string // the targeted parameter, "" when the variant targets none
	method  string
	path    string // escaped, as sent
	query   string
	host    string // "" for the server's own
	header  http.Header
	body    []byte
}

// label names a request in the checks' messages.
func (q *sweepReq) label() string {
	l := q.variant.kind + "/" + q.variant.name + " on " + q.route.pattern
	if q.param != "" {
		l += " [" + q.param + "]"
	}
	return l
}

// readSweepLines returns the non-comment lines of a testdata/sweep file split on "|" into
// exactly n fields, trimmed (the last keeps any further "|"; a value that needs edge spaces
// is a quoted Go string).
func readSweepLines(name string, n int) ([][]string, error) {
	f, err := os.Open("testdata/sweep/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for i := 1; sc.Scan(); i++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "|", n)
		if len(fields) < 2 {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", name, i, len(fields), n)
		}
		for len(fields) < n {
			fields = append(fields, "")
		}
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		out = append(out, fields)
	}
	return out, sc.Err()
}

// splitPairs splits "k=v<sep>k=v" into pairs; values are left as written.
func splitPairs(s, sep string) [][2]string {
	var out [][2]string
	for part := range strings.SplitSeq(s, sep) {
		if part = strings.TrimSpace(part); part != "" {
			k, v, _ := strings.Cut(part, "=")
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// loadSweep reads routes.txt and variants.txt.
func loadSweep() ([]*sweepRoute, []*sweepVariant, error) {
	rl, err := readSweepLines("routes.txt", 7)
	if err != nil {
		return nil, nil, err
	}
	var routes []*sweepRoute
	for _, f := range rl {
		routes = append(routes, &sweepRoute{pattern: f[0], method: f[1], path: f[2], in: f[3],
			params: strings.Split(f[4], ","), base: splitPairs(f[5], "&"), headers: splitPairs(f[6], ";")})
	}
	vl, err := readSweepLines("variants.txt", 4)
	if err != nil {
		return nil, nil, err
	}
	var variants []*sweepVariant
	for _, f := range vl {
		v := &sweepVariant{kind: f[0], name: f[1], payload: f[2]}
		if v.kind == "body" {
			v.ctype, v.payload = f[2], f[3]
		} else if f[3] != "" {
			return nil, nil, fmt.Errorf("variants.txt: %s %s: too many fields", v.kind, v.name)
		}
		if len(v.payload) >= 2 && v.payload[0] == '"' && v.payload[len(v.payload)-1] == '"' {
			if v.payload, err = strconv.Unquote(v.payload); err != nil {
				return nil, nil, fmt.Errorf("variants.txt: %s: %v", v.name, err)
			}
		}
		variants = append(variants, v)
	}
	return routes, variants, nil
}

// sweepFunc matches an innermost placeholder or function: its argument holds no braces, so
// nested calls expand from the inside out.
var sweepFunc = regexp.MustCompile(`\{(rep|b64|deflate64|tid|samlapp|oidcapp|secret|token|ctx|esctx|authnxml|now)(?::([^{}]*))?\}`)

// expand replaces placeholders and functions (see routes.txt) with env's values.
func expand(s string, env map[string]string) string {
	for range 8 {
		next := sweepFunc.ReplaceAllStringFunc(s, func(m string) string {
			sm := sweepFunc.FindStringSubmatch(m)
			name, arg := sm[1], sm[2]
			if len(arg) >= 2 && arg[0] == '"' && arg[len(arg)-1] == '"' {
				if u, err := strconv.Unquote(arg); err == nil {
					arg = u
				}
			}
			switch name {
			case "rep":
				n, text, _ := strings.Cut(arg, ":")
				mult := 1
				if k, ok := strings.CutSuffix(n, "k"); ok {
					n, mult = k, 1024
				}
				count, _ := strconv.Atoi(n)
				return strings.Repeat(text, count*mult)
			case "b64":
				return base64.StdEncoding.EncodeToString([]byte(arg))
			case "deflate64":
				var b bytes.Buffer
				w, _ := flate.NewWriter(&b, flate.BestSpeed)
				_, _ = w.Write([]byte(arg))
				_ = w.Close()
				return base64.StdEncoding.EncodeToString(b.Bytes())
			}
			return env[name]
		})
		if next == s {
			break
		}
		s = next
	}
	return s
}

// segmentMark is the path segment the segment variants replace.
var segmentMark = regexp.MustCompile(`\[\[(.*?)\]\]`)

// buildSweep turns every (route, variant) into requests. rotate is the short form: a value
// variant goes into one target parameter, a different one from variant to variant; otherwise
// into each target parameter in turn.
func buildSweep(routes []*sweepRoute, variants []*sweepVariant, env map[string]string, rotate bool) []*sweepReq {
	var out []*sweepReq
	for ri, rt := range routes {
		for vi, v := range variants {
			targets := rt.params
			if rotate && (v.kind == "value" || v.kind == "rawvalue") {
				targets = []string{rt.params[(ri+vi)%len(rt.params)]}
			}
			switch v.kind {
			case "value", "rawvalue", "dup", "missing":
				for _, p := range targets {
					out = append(out, buildOne(rt, v, p, env))
				}
			default:
				out = append(out, buildOne(rt, v, "", env))
			}
		}
	}
	return out
}

// buildOne is the route's well-formed request with the variant applied to param.
func buildOne(rt *sweepRoute, v *sweepVariant, param string, env map[string]string) *sweepReq {
	q := &sweepReq{route: rt, variant: v, param: param, method: rt.method, header: http.Header{}}
	payload := expand(v.payload, env)
	type kv struct {
		k, v string
		raw  bool
	}
	var params []kv
	for _, b := range rt.base {
		params = append(params, kv{k: b[0], v: expand(b[1], env)})
	}
	set := func(p kv) {
		for i := range params {
			if params[i].k == p.k {
				params[i] = p
				return
			}
		}
		params = append(params, p)
	}
	switch v.kind {
	case "value":
		set(kv{k: param, v: payload})
	case "rawvalue":
		set(kv{k: param, v: payload, raw: true})
	case "dup":
		first := kv{k: param, v: "x"}
		for _, p := range params {
			if p.k == param {
				first = p
			}
		}
		set(first)
		params = append(params, kv{k: param, v: payload})
	case "missing":
		params = slices.DeleteFunc(params, func(p kv) bool { return p.k == param })
	case "method":
		q.method = payload
	case "header":
		name, val, _ := strings.Cut(payload, ": ")
		q.header.Add(name, val)
	case "host":
		q.host = payload
	}
	path := rt.path
	seg := segmentMark.FindStringSubmatch(path)
	switch {
	case v.kind == "segment" && seg != nil:
		path = strings.Replace(path, seg[0], payload, 1)
	case v.kind == "segment":
		path += "/" + payload
	case seg != nil:
		path = strings.Replace(path, seg[0], url.PathEscape(expand(seg[1], env)), 1)
	}
	q.path = path
	for _, h := range rt.headers {
		q.header.Add(h[0], expand(h[1], env))
	}
	var enc strings.Builder
	for _, p := range params {
		if enc.Len() > 0 {
			enc.WriteByte('&')
		}
		val := p.v
		if !p.raw {
			val = url.QueryEscape(val)
		}
		enc.WriteString(url.QueryEscape(p.k) + "=" + val)
	}
	switch {
	case v.kind == "body":
		q.query = enc.String()
		q.body = []byte(strings.ReplaceAll(payload, `\r\n`, "\r\n"))
		q.header.Set("Content-Type", v.ctype)
	case rt.in == "form":
		q.body = []byte(enc.String())
		if q.header.Get("Content-Type") == "" {
			q.header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case rt.in == "json":
		var b bytes.Buffer
		b.WriteByte('{')
		for i, p := range params {
			if i > 0 {
				b.WriteByte(',')
			}
			name, array := strings.CutSuffix(p.k, "[]")
			k, _ := json.Marshal(name)
			val, _ := json.Marshal(p.v)
			if array {
				val = append(append([]byte{'['}, val...), ']')
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(val)
		}
		b.WriteByte('}')
		q.body = b.Bytes()
		if q.header.Get("Content-Type") == "" {
			q.header.Set("Content-Type", "application/json")
		}
	default:
		q.query = enc.String()
	}
	return q
}
