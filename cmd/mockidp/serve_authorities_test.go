package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// authoritiesConfig has one app registration per signInAudience and the MSA tenant.
const authoritiesConfig = `tenants:
  - id: 5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f
    displayName: Tailspin
    verifiedDomains: [tailspin.onmicrosoft.com]
    users:
      - {id: 6e7f8091-2b3c-4d4e-9f50-6b7c8d9e0f1a, userPrincipalName: kim@tailspin.onmicrosoft.com, password: Passw0rd!}
    appRegistrations:
      - {appId: 11111111-aaaa-4aaa-8aaa-000000000001, displayName: One Tenant, web: {redirectUris: ["http://localhost:9/cb"]}}
      - {appId: 11111111-aaaa-4aaa-8aaa-000000000002, displayName: Any Org, signInAudience: AzureADMultipleOrgs, web: {redirectUris: ["http://localhost:9/cb"]}}
      - {appId: 11111111-aaaa-4aaa-8aaa-000000000003, displayName: Everyone, signInAudience: AzureADandPersonalMicrosoftAccount, web: {redirectUris: ["http://localhost:9/cb"]}}
      - {appId: 11111111-aaaa-4aaa-8aaa-000000000004, displayName: Personal, signInAudience: PersonalMicrosoftAccount, web: {redirectUris: ["http://localhost:9/cb"]}}
  - id: 9188040d-6c67-4c5b-b112-36a304b66dad
    displayName: Microsoft Accounts
    verifiedDomains: [outlook.com]
    users:
      - {id: 00000000-0000-0000-40c2-5b1a7e3d9f60, userPrincipalName: alice@outlook.com, password: Passw0rd!}
`

// TestServePrintsTenantDiscovery: `mockidp serve` prints, for every app registration, its
// tenant's discovery URL (the portal's Endpoints blade) beside the authority its
// signInAudience calls for (tenant, organizations, common, consumers), and every printed
// discovery URL answers.
func TestServePrintsTenantDiscovery(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "dir.yaml")
	if err := os.WriteFile(cfg, []byte(authoritiesConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	p := serve(t, "--addr", "127.0.0.1:0", "--key-dir", t.TempDir(), "--config", cfg)
	p.waitReady(t, http.DefaultClient)
	defer p.stop(t)
	out := p.output()
	var tenantDocs, docs []string
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "OpenID Connect metadata document (this tenant):"); ok {
			tenantDocs = append(tenantDocs, strings.TrimSpace(v))
		} else if v, ok := strings.CutPrefix(line, "OpenID Connect metadata document:"); ok {
			docs = append(docs, strings.TrimSpace(v))
		}
	}
	if len(tenantDocs) != 4 || len(docs) != 4 {
		t.Fatalf("%d tenant discovery URLs and %d audience ones printed for 4 app registrations:\n%s", len(tenantDocs), len(docs), out)
	}
	for i, seg := range []string{"5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "organizations", "common", "consumers"} {
		if !strings.HasSuffix(tenantDocs[i], "/5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f/v2.0/.well-known/openid-configuration") ||
			!strings.HasSuffix(docs[i], "/"+seg+"/v2.0/.well-known/openid-configuration") {
			t.Errorf("app %d: printed %s and %s, want the tenant's and the %s one", i+1, tenantDocs[i], docs[i], seg)
		}
	}
	for _, u := range append(tenantDocs, docs...) {
		if doc := get(t, http.DefaultClient, u); !bytes.Contains(doc, []byte(`"issuer"`)) {
			t.Errorf("%s: not a discovery document: %.200s", u, doc)
		}
	}
}
