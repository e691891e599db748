package idp_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// provisionedDefault is the default directory with its SAML app provisioning somewhere.
func provisionedDefault(t *testing.T) (*idp.Server, string) {
	cfg := idp.DefaultConfig()
	app := cfg.Tenants[0].EnterpriseApps[0]
	app.Provisioning = &idp.Provisioning{TenantURL: "https://scim.example.test/scim/v2?aadOptscim062020"}
	s := idptest.Start(t, idp.WithConfig(cfg))
	return s, app.AppID
}

func signIn(t *testing.T, s *idp.Server, upn string) string {
	t.Helper()
	tenant := s.Config().Tenants[0]
	p, err := idptest.NewBrowser(s.Client()).SignIn(s.UserAccessURL(tenant, tenant.EnterpriseApps[0]), upn, "Passw0rd!")
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(p.Status, " ", p.Body)
}

// TestDirectoryChangesReachSignIn: a change made at run time is what the next sign-in sees.
func TestDirectoryChangesReachSignIn(t *testing.T) {
	s, appID := provisionedDefault(t)
	if err := s.SetAccountEnabled("AlexW@contoso.com", false); err != nil {
		t.Fatal(err)
	}
	if got := signIn(t, s, "AlexW@contoso.com"); !strings.Contains(got, "AADSTS50057") {
		t.Errorf("disabled AlexW signs in: %.300s", got)
	}
	if err := s.SetAccountEnabled("AlexW@contoso.com", true); err != nil {
		t.Fatal(err)
	}
	if err := s.UnassignFromApp(appID, "SSO Users"); err != nil {
		t.Fatal(err)
	}
	if got := signIn(t, s, "AlexW@contoso.com"); !strings.Contains(got, "AADSTS50105") {
		t.Errorf("unassigned AlexW signs in: %.300s", got)
	}
	if err := s.AssignToApp(appID, "AlexW@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if got := signIn(t, s, "AlexW@contoso.com"); strings.Contains(got, "AADSTS") {
		t.Errorf("AlexW assigned again: %.300s", got)
	}
	if err := s.DeleteUser("AlexW@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if got := signIn(t, s, "AlexW@contoso.com"); !strings.Contains(got, "AADSTS50034") {
		t.Errorf("deleted AlexW signs in: %.300s", got)
	}
	v, err := s.ProvisioningView(appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Deleted) != 1 || v.Deleted[0].UserPrincipalName != "AlexW@contoso.com" || v.Deleted[0].Purged {
		t.Errorf("deleted users: %+v", v.Deleted)
	}
	if err := s.PurgeUser("AlexW@contoso.com"); err != nil || !s.DeletedUsers()[0].Purged {
		t.Errorf("purge: %v %+v", err, s.DeletedUsers())
	}
	if !v.Settings.AADOptSCIM062020 || v.Settings.Scope != idp.ProvisionAssigned || v.Settings.UnassignAction != idp.UnassignDisable ||
		v.Settings.BaseURL() != "https://scim.example.test/scim/v2" {
		t.Errorf("settings after normalize: %+v base %s", v.Settings, v.Settings.BaseURL())
	}
}

// TestDirectoryChangesErrors: bad input is an error naming what exists, never a panic.
func TestDirectoryChangesErrors(t *testing.T) {
	s, appID := provisionedDefault(t)
	for name, err := range map[string]error{
		"unknown user":      s.SetAccountEnabled("nobody@contoso.com", false),
		"unknown attribute": s.SetUserAttribute("AlexW@contoso.com", "favouriteColour", "blue"),
		"bad UPN":           s.SetUserAttribute("AlexW@contoso.com", "userPrincipalName", "alex"),
		"taken UPN":         s.SetUserAttribute("AlexW@contoso.com", "userPrincipalName", "B.Simon@contoso.com"),
		"unknown app":       s.AssignToApp("no-such-app", "AlexW@contoso.com"),
		"unknown principal": s.AssignToApp(appID, "nobody"),
		"not assigned":      s.UnassignFromApp(appID, "MeganB@contoso.com"),
		"unknown group":     s.AddGroupMember("No Such Group", "AlexW@contoso.com"),
		"not a member":      s.RemoveGroupMember("Sales", "AlexW@contoso.com"),
		"purge nobody":      s.PurgeUser("nobody@contoso.com"),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := s.ProvisioningView("Contoso OIDC Web"); err == nil {
		t.Error("ProvisioningView of an app without provisioning: no error")
	}
}

// TestDirectoryChangesConcurrent runs sign-ins, provisioning views and changes at once;
// under -race it shows the directory lock covers them.
func TestDirectoryChangesConcurrent(t *testing.T) {
	s, appID := provisionedDefault(t)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				signIn(t, s, []string{"B.Simon@contoso.com", "AlexW@contoso.com", "MeganB@contoso.com"}[i])
				if _, err := s.ProvisioningView(appID); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			s.SetAccountEnabled("AlexW@contoso.com", i%2 == 0)
			s.SetUserAttribute("B.Simon@contoso.com", "displayName", fmt.Sprint("B.Simon ", i))
			s.AddGroupMember("Sales", "MeganB@contoso.com")
			s.RemoveGroupMember("Sales", "MeganB@contoso.com")
			s.AssignToApp(appID, "MeganB@contoso.com")
			s.UnassignFromApp(appID, "MeganB@contoso.com")
		}
	}()
	wg.Wait()
}
