package idp

// AppRegistration is an OIDC/OAuth app registration ("App registrations" in the portal).
type AppRegistration struct {
	// AppID is the Application (client) ID, a GUID.
	AppID string `json:"appId"`
	// DisplayName is the registration's name.
	DisplayName string `json:"displayName"`
	// SignInAudience is AzureADMyOrg (this tenant only, default) or AzureADMultipleOrgs (any
	// Entra tenant).
	SignInAudience string `json:"signInAudience,omitempty"`
	// AssignmentRequired and Assignments work as on EnterpriseApp (AADSTS50105).
	AssignmentRequired bool     `json:"appRoleAssignmentRequired,omitempty"`
	Assignments        []string `json:"assignments,omitempty"`
}
