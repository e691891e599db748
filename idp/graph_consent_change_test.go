package idp_test

import (
	"net/http"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// SetAdminConsent at run time: the next app-only token has no roles and Graph answers 403;
// granting it again restores the roles. A token minted before the change keeps its roles.
func TestGraphSetAdminConsent(t *testing.T) {
	srv := idptest.Start(t, idp.WithConfig(graphTestConfig()))
	const scope = "https://graph.microsoft.com/.default"
	before := graphToken(t, srv, importerID, scope)
	if err := srv.SetAdminConsent(importerID, false); err != nil {
		t.Fatal(err)
	}
	if g, ok := srv.AdminConsentGranted(importerID); !ok || g {
		t.Fatalf("AdminConsentGranted = %v, %v after revoking", g, ok)
	}
	if st, _, m := graphGet(t, srv, graphToken(t, srv, importerID, scope), "/v1.0/users"); st != http.StatusForbidden {
		t.Errorf("revoked: %d %v, want 403", st, m)
	} else if code, _, _ := graphErrCode(m); code != "Authorization_RequestDenied" {
		t.Errorf("revoked: code %q", code)
	}
	if st, _, _ := graphGet(t, srv, before, "/v1.0/users"); st != http.StatusOK {
		t.Errorf("a token minted before the revocation: %d, want 200 (it keeps its roles)", st)
	}
	if err := srv.SetAdminConsent(importerID, true); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := graphGet(t, srv, graphToken(t, srv, importerID, scope), "/v1.0/users"); st != http.StatusOK {
		t.Errorf("granted again: %d, want 200", st)
	}
	if err := srv.SetAdminConsent("no-such-app", true); err == nil {
		t.Error("an unknown app: no error")
	}
}
