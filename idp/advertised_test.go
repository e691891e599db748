package idp_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestAdvertisedEndpointsAnswer walks every discovery and federation metadata document the
// mock serves and requests every URL on its own host that they advertise: each must reach
// a handler (not Entra's "endpoint does not exist" page, AADSTS900561) and must not fail
// with a 5xx. An RP configured from a document must never meet a 404 where Entra answers.
// Bad or missing parameters are fine: Entra answers those with an error, and so do we.
func TestAdvertisedEndpointsAnswer(t *testing.T) {
	srv := idptest.Start(t)
	tenant := srv.Config().Tenants[0]
	tid := tenant.ID
	var samlApp string
	for _, a := range tenant.EnterpriseApps {
		samlApp = a.AppID
		break
	}
	docs := []string{
		"/" + tid + "/v2.0/.well-known/openid-configuration",
		"/common/v2.0/.well-known/openid-configuration",
		"/organizations/v2.0/.well-known/openid-configuration",
		"/consumers/v2.0/.well-known/openid-configuration",
		"/" + tid + "/.well-known/openid-configuration",
		"/common/.well-known/openid-configuration",
		"/" + tid + "/federationmetadata/2007-06/federationmetadata.xml",
		"/common/federationmetadata/2007-06/federationmetadata.xml",
		"/organizations/federationmetadata/2007-06/federationmetadata.xml",
	}
	if samlApp != "" {
		docs = append(docs, "/"+tid+"/federationmetadata/2007-06/federationmetadata.xml?appid="+samlApp)
	}
	seen := map[string][]string{} // advertised URL → the documents that advertise it
	for _, d := range docs {
		body := advGet(t, srv.Client(), srv.URL+d)
		var urls []string
		if strings.Contains(d, "openid-configuration") {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			urls = advJSONStrings(v)
		} else {
			x := etree.NewDocument()
			if err := x.ReadFromBytes(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))); err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			for _, e := range x.FindElements("//*") {
				urls = append(urls, e.Text())
				for _, a := range e.Attr {
					if a.Key == "entityID" { // an identifier, not an endpoint
						continue
					}
					urls = append(urls, a.Value)
				}
			}
		}
		for _, u := range urls {
			u = strings.TrimSpace(u)
			if !strings.HasPrefix(u, srv.URL+"/") {
				continue
			}
			// The common documents advertise a template; an RP fills in its tenant.
			u = strings.ReplaceAll(u, "{tenantid}", tid)
			seen[u] = append(seen[u], d)
		}
	}
	if len(seen) < 10 {
		t.Fatalf("only %d advertised URLs found on the mock's host; the walk is not reading the documents", len(seen))
	}
	keys := make([]string, 0, len(seen))
	for u := range seen {
		keys = append(keys, u)
	}
	slices.Sort(keys)
	for _, u := range keys {
		resp, err := srv.Client().Get(u)
		if err != nil {
			t.Errorf("GET %s: %v", u, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound && bytes.Contains(b, []byte("AADSTS900561")) || resp.StatusCode >= 500 {
			t.Errorf("GET %s (advertised by %s): %d %.200q", u, strings.Join(seen[u], ", "), resp.StatusCode, b)
			continue
		}
		t.Logf("GET %s: %d", u, resp.StatusCode)
	}
}

func advGet(t *testing.T, c *http.Client, u string) []byte {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %.300q", u, resp.StatusCode, b)
	}
	return b
}

// advJSONStrings lists every string in a decoded JSON value, at any depth, but for
// issuers.
func advJSONStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, advJSONStrings(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range v {
			if k == "issuer" { // an identifier, not an endpoint
				continue
			}
			out = append(out, advJSONStrings(e)...)
		}
		return out
	}
	return nil
}
