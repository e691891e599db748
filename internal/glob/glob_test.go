package glob

import "testing"

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, protocol, id string
		want                  bool
	}{
		{"saml.xsw.3", "SAML", "saml.xsw.3", true},
		{"saml.xsw.3", "SAML", "saml.xsw.30", false},
		{"saml.xsw.*", "SAML", "saml.xsw.3", true},
		{"saml.*", "SAML", "saml.cert.not-yet-valid", true},
		{"*", "OIDC", "oidc.nonce.missing", true},
		{"*.missing", "OIDC", "oidc.nonce.missing", true},
		{"oidc.*.missing", "OIDC", "oidc.nonce.missing", true},
		{"oidc.*.missing", "OIDC", "oidc.nonce.wrong", false},
		{"saml.xsw.?", "SAML", "saml.xsw.3", true},
		{"saml.xsw.[12]", "SAML", "saml.xsw.3", false},
		{"saml.xsw.[12]", "SAML", "saml.xsw.2", true},
		{"saml:config.*", "SAML", "config.samesite", true},
		{"SAML:config.*", "saml", "config.samesite", true},
		{"oidc:config.*", "SAML", "config.samesite", false},
		{"oidc:config.samesite", "OIDC", "config.samesite", true},
		{"saml.[", "SAML", "saml.[", true}, // malformed: only itself
		{"saml.[", "SAML", "saml.x", false},
		{"", "SAML", "saml.xsw.3", false},
	} {
		if got := Match(tc.pattern, tc.protocol, tc.id); got != tc.want {
			t.Errorf("Match(%q, %q, %q) = %v, want %v", tc.pattern, tc.protocol, tc.id, got, tc.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		id       string
		want     bool
	}{
		{nil, "saml.xsw.3", false},
		{[]string{"", " , "}, "saml.xsw.3", false},
		{[]string{"oidc.*", "saml.xsw.*"}, "saml.xsw.3", true},
		{[]string{"oidc.* , saml.xsw.3"}, "saml.xsw.3", true},
		{[]string{"oidc.*,saml.cert.*"}, "saml.xsw.3", false},
	} {
		if got := MatchAny(tc.patterns, "SAML", tc.id); got != tc.want {
			t.Errorf("MatchAny(%q, %q) = %v, want %v", tc.patterns, tc.id, got, tc.want)
		}
	}
}
