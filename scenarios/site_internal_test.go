package scenarios

import "testing"

func TestSite(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://login.example.test:8443/x", "https://sp.example.test/", true},
		{"https://login.example.test", "https://saml.sp-reference.test", false},
		{"https://a.contoso.co.uk", "https://b.fabrikam.co.uk", false},
		{"https://a.github.io", "https://b.github.io", false},
		{"http://127.0.0.1:7443", "http://127.0.0.1:8080", true},
		{"http://login.example.test", "https://login.example.test", false},
	} {
		if got := site(tc.a) == site(tc.b); got != tc.same {
			t.Errorf("site(%s)=%s, site(%s)=%s: same %v, want %v", tc.a, site(tc.a), tc.b, site(tc.b), got, tc.same)
		}
	}
}
