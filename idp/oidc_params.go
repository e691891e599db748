package idp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// maxParamLen bounds one parameter value. Entra refuses very long query strings
// (AADSTS90015) instead of processing them.
const maxParamLen = 8 << 10

// oauthParams reads the request's OAuth parameters (query for GET, form body for POST) and
// refuses duplicated or oversized ones, which RFC 6749 §3.1 forbids and Entra rejects.
func oauthParams(r *http.Request) (url.Values, *Error) {
	var v url.Values
	if r.Method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/x-www-form-urlencoded") {
			// A JSON or multipart body is not parsed: the parameters are simply missing.
			return url.Values{}, nil
		}
		if err := r.ParseForm(); err != nil {
			return nil, errMalformedRequest("the request body could not be parsed").withCause(err)
		}
		v = r.PostForm
	} else {
		var err error
		if v, err = url.ParseQuery(r.URL.RawQuery); err != nil {
			return nil, errMalformedRequest("the query string could not be parsed").withCause(err)
		}
	}
	for k, vals := range v {
		if len(vals) > 1 {
			return nil, errMalformedRequest(fmt.Sprintf("The parameter '%s' is duplicated.", truncate(k, 64)))
		}
		if len(vals[0]) > maxParamLen || len(k) > 256 {
			return nil, errQueryTooLong()
		}
	}
	return v, nil
}

func errQueryTooLong() *Error {
	return codeQueryTooLong.with()
}

// OIDC scopes (the rest name a resource).
var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

// scopeSet is a parsed scope parameter.
type scopeSet struct {
	all      []string
	oidc     []string // openid, profile, email, offline_access
	resource []string // everything else, as sent
}

// parseScope splits scope and checks each value's shape; a value that no resource could
// define gives AADSTS70011.
func parseScope(scope string) (scopeSet, *Error) {
	var ss scopeSet
	for _, sc := range strings.Fields(scope) {
		if slices.Contains(ss.all, sc) {
			continue
		}
		ss.all = append(ss.all, sc)
		if slices.Contains(oidcScopes, strings.ToLower(sc)) {
			ss.oidc = append(ss.oidc, strings.ToLower(sc))
			continue
		}
		for _, c := range sc {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-:/~", c)) {
				return ss, errInvalidScope(truncate(sc, 256))
			}
		}
		ss.resource = append(ss.resource, sc)
	}
	return ss, nil
}

// resolveResource finds the resource the resource scopes name: Microsoft Graph (bare names
// such as User.Read, or https://graph.microsoft.com/...) or an app registration of the
// directory (api://..., <appId>/..., an identifier URI). One resource per request.
func (s *Server) resolveResource(ss scopeSet) (resource, *Error) {
	graph := resource{aud: graphAppID, name: "Microsoft Graph", version: 1}
	if len(ss.resource) == 0 {
		graph.scopes = []string{"User.Read"}
		return graph, nil
	}
	var res *resource
	for _, sc := range ss.resource {
		var r resource
		i := strings.LastIndex(sc, "/")
		switch {
		case i < 0:
			r, r.scopes = graph, []string{sc}
		case strings.HasPrefix(sc, "https://graph.microsoft.com/"):
			r, r.scopes = graph, []string{sc[i+1:]}
		default:
			prefix := sc[:i]
			app := s.appByResource(prefix)
			if app == nil {
				return resource{}, errInvalidScope(truncate(sc, 256))
			}
			r = resource{aud: app.AppID, name: app.DisplayName, version: app.RequestedAccessTokenVersion, app: app, scopes: []string{sc[i+1:]}}
			if r.version == 0 {
				r.version = 1
			}
		}
		if res == nil {
			res = &r
			continue
		}
		if res.aud != r.aud {
			return resource{}, errInvalidScope(truncate(sc, 256))
		}
		res.scopes = append(res.scopes, r.scopes...)
	}
	return *res, nil
}

// appByResource finds an app registration by app ID, api://<appId> or identifier URI.
func (s *Server) appByResource(id string) *AppRegistration {
	for _, t := range s.cfg.Tenants {
		for _, a := range t.AppRegistrations {
			if strings.EqualFold(id, a.AppID) || strings.EqualFold(id, "api://"+a.AppID) ||
				slices.ContainsFunc(a.IdentifierURIs, func(u string) bool { return strings.EqualFold(u, id) }) {
				return a
			}
		}
	}
	return nil
}

// grantedScope is the token response's scope: the resource's scopes, then the OIDC ones
// except offline_access (which Entra does not echo).
func grantedScope(res resource, ss scopeSet) string {
	out := slices.Clone(res.scopes)
	if res.aud != graphAppID {
		out = out[:0]
		for _, sc := range res.scopes {
			out = append(out, "api://"+res.aud+"/"+sc)
		}
	}
	for _, sc := range ss.oidc {
		if sc != "offline_access" {
			out = append(out, sc)
		}
	}
	return strings.Join(out, " ")
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
