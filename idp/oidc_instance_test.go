package idp_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Instance discovery answers in the shape of the real recording, for the mock's own host and
// Entra's; an unknown host is AADSTS50049 and a missing authorization_endpoint AADSTS900144.
func TestInstanceDiscovery(t *testing.T) {
	srv := startOIDC(t)
	own := strings.TrimPrefix(srv.URL, "http://")
	get := func(ae string) (int, map[string]any) {
		t.Helper()
		q := url.Values{"api-version": {"1.1"}}
		if ae != "" {
			q.Set("authorization_endpoint", ae)
		}
		resp, err := http.Get(srv.URL + "/common/discovery/instance?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, m
	}
	// The members of the real recording (reference samples/instance-discovery-2021.json).
	sample := []string{"tenant_discovery_endpoint", "api-version", "metadata"}
	for _, ae := range []string{srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize", "https://login.microsoftonline.com/" + contosoID + "/oauth2/v2.0/authorize"} {
		code, m := get(ae)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %v", ae, code, m)
		}
		if m["tenant_discovery_endpoint"] != srv.URL+"/"+contosoID+"/v2.0/.well-known/openid-configuration" || m["api-version"] != "1.1" {
			t.Errorf("%s: %v", ae, m)
		}
		for _, k := range sample {
			if _, ok := m[k]; !ok {
				t.Errorf("member %q of the recording missing", k)
			}
		}
		md := m["metadata"].([]any)
		first := md[0].(map[string]any)
		if first["preferred_network"] != own || !slices.Contains(first["aliases"].([]any), any(own)) {
			t.Errorf("first cloud = %v, want the mock's own host %s", first, own)
		}
		if len(md) != 6 {
			t.Errorf("%d clouds, want the mock's and Entra's five", len(md))
		}
	}
	if code, m := get("https://idp.example.test/common/oauth2/v2.0/authorize"); code != http.StatusBadRequest || m["error"] != "invalid_instance" || !strings.HasPrefix(m["error_description"].(string), "AADSTS50049:") {
		t.Errorf("unknown host: %d %v", code, m)
	}
	if code, m := get(""); code != http.StatusBadRequest || !strings.HasPrefix(m["error_description"].(string), "AADSTS900144:") {
		t.Errorf("no authorization_endpoint: %d %v", code, m)
	}
}
