package refgraph

import (
	"fmt"

	"github.com/ssoharness/ssoharness/idp"
)

// Demo directory of the graph.* oracle: a tenant whose users fill three pages of the
// importer's default $top (10), with a guest, a disabled and a deleted user, and the
// importer's app registration (User.Read.All as an application permission, admin consent
// granted, a client secret).
const (
	// DemoTenantID is the demo tenant.
	DemoTenantID = "6a1f7c3e-2b9d-4e58-a0c4-1d7e9f3b5a20"
	// DemoAppID is the importer's Application (client) ID.
	DemoAppID = "6b2e8d4f-3c0e-4f69-b1d5-2e8f0a4c6b31"
	// DemoSecret is its client secret.
	DemoSecret = "Rg7Q~refgraph.importer-secret_0123456789"
	// DemoUsers is the number of ordinary (enabled member) users.
	DemoUsers = 25
)

// DemoTenant is the demo directory (a new value each call: runs change it).
func DemoTenant() *idp.Tenant {
	no := false
	t := &idp.Tenant{ID: DemoTenantID, DisplayName: "Contoso (import)", VerifiedDomains: []string{"contosoimport.onmicrosoft.com"}}
	for i := range DemoUsers {
		t.Users = append(t.Users, &idp.User{ID: fmt.Sprintf("a1000000-0000-4000-8000-%012d", i),
			UserPrincipalName: fmt.Sprintf("user%02d@contosoimport.onmicrosoft.com", i), DisplayName: fmt.Sprintf("User %02d", i),
			Password: "Import-Passw0rd!"})
	}
	t.Users = append(t.Users,
		&idp.User{ID: "a2000000-0000-4000-8000-000000000001", UserPrincipalName: "guest_fabrikam.com#EXT#@contosoimport.onmicrosoft.com",
			DisplayName: "Guest", Mail: "guest@fabrikam.com", UserType: "Guest", Password: "Import-Passw0rd!"},
		&idp.User{ID: "a2000000-0000-4000-8000-000000000002", UserPrincipalName: "disabled@contosoimport.onmicrosoft.com",
			DisplayName: "Disabled", AccountEnabled: &no, Password: "Import-Passw0rd!"},
		&idp.User{ID: "a2000000-0000-4000-8000-000000000003", UserPrincipalName: "deleted@contosoimport.onmicrosoft.com",
			DisplayName: "Deleted", Password: "Import-Passw0rd!", DeletedDateTime: "2026-11-30T10:00:00Z"})
	t.AppRegistrations = []*idp.AppRegistration{{AppID: DemoAppID, DisplayName: "Reference importer",
		PasswordCredentials: []*idp.PasswordCredential{{KeyID: "a3000000-0000-4000-8000-000000000001", SecretText: DemoSecret}},
		RequiredResourceAccess: []idp.RequiredResourceAccess{{ResourceAppID: "00000003-0000-0000-c000-000000000000",
			ResourceAccess: []idp.ResourceAccess{{ID: "User.Read.All", Type: "Role"}}}}}}
	return t
}
