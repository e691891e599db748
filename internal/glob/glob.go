// Package glob is the one pattern syntax of ssoharness for check and fault IDs: `conformance
// run --only/--skip`, `conformance list`, the expectations of a target file, `mockidp
// faults` and idp.MatchFaults all read patterns with it.
//
// A pattern is
//
//   - an ID, which matches itself: saml.xsw.3;
//   - a glob in the syntax of path.Match: "*" matches any run of characters, dots included
//     (IDs have no "/"), "?" one character, "[abc]", "[a-z]" and "[^a]" one character of a
//     class, and "\" quotes the next character: saml.xsw.*, oidc.*, saml.xsw.[12];
//   - either of those after a protocol prefix "saml:" or "oidc:" (any case), which keeps
//     only the IDs of that protocol, for the config checks that exist for both:
//     saml:config.*, oidc:config.redirect-uri.
//
// Where a command takes several patterns (a repeated flag, or one value with commas:
// --only saml.xsw.*,oidc.nonce.*), an ID is selected when it matches any of them.
package glob

import (
	"path"
	"strings"
)

// Match reports whether id, a check or fault ID of protocol ("SAML" or "OIDC", any case),
// matches pattern (see the package documentation). A malformed glob matches only the ID
// spelled exactly like it.
func Match(pattern, protocol, id string) bool {
	if p, g, ok := strings.Cut(pattern, ":"); ok && !strings.Contains(p, ".") {
		if !strings.EqualFold(p, protocol) {
			return false
		}
		pattern = g
	}
	ok, _ := path.Match(pattern, id)
	return ok || pattern == id
}

// MatchAny reports whether id matches any of the patterns; each element may itself be a
// comma-separated list. Blank elements are ignored, so no patterns match nothing.
func MatchAny(patterns []string, protocol, id string) bool {
	for _, list := range patterns {
		for _, p := range strings.Split(list, ",") {
			if p = strings.TrimSpace(p); p != "" && Match(p, protocol, id) {
				return true
			}
		}
	}
	return false
}
