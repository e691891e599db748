package idp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Provisioning is an enterprise app's Provisioning page with Provisioning Mode "Automatic":
// Entra's provisioning service then calls the app's SCIM 2.0 endpoint to create, update,
// disable and delete the users and groups in scope. The client itself is package
// provision (this package has only the settings, the directory it reads and the control
// route that runs a cycle), so that the mock serves sign-ins without it.
//
// In a config file:
//
//	enterpriseApps:
//	- appId: ...
//	  provisioning:
//	    tenantUrl: https://app.example.test/scim/v2?aadOptscim062020
//	    secretToken: s3cr3t-from-the-app
//	    scope: assigned          # or all
//	    unassignAction: disable  # or delete
type Provisioning struct {
	// TenantURL is "Admin Credentials > Tenant URL": the SCIM base URL, to which the client
	// appends /Users and /Groups. A query flag aadOptscim062020 on it (as Entra reads it from
	// the URL) turns AADOptSCIM062020 on; the flag is not sent on the requests.
	TenantURL string `json:"tenantUrl"`
	// SecretToken is "Admin Credentials > Secret Token", sent as Authorization: Bearer. Entra
	// sends a token of its own when it is empty; the mock then sends none.
	SecretToken string `json:"secretToken,omitempty"`
	// Scope is "Settings > Scope": ProvisionAssigned ("Sync only assigned users and groups",
	// the default: users assigned directly or through a group, and the assigned groups) or
	// ProvisionAll ("Sync all users and groups").
	Scope string `json:"scope,omitempty"`
	// AADOptSCIM062020 is the feature flag of "Known issues and resolutions with SCIM 2.0
	// protocol compliance": PATCH ops in lower case, active as a JSON boolean, single-valued
	// replacements in one op with a value object, and member removal by a filter path
	// (members[value eq "id"]). Off: Entra's default, non-compliant shapes.
	AADOptSCIM062020 bool `json:"aadOptscim062020,omitempty"`
	// UnassignAction is what a cycle does to a provisioned user who leaves the scope
	// (unassigned) or is soft-deleted: UnassignDisable (the default, Entra's soft delete: PATCH
	// active false) or UnassignDelete (DELETE /Users/{id}, what Entra does for "a limited set
	// of gallery applications", not configurable for a custom app: "How provisioning works",
	// Deprovisioning events). A purged user is DELETEd either way.
	UnassignAction string `json:"unassignAction,omitempty"`
	// Mappings override Entra's default user attribute mappings by target attribute (see
	// provision.DefaultUserMappings); a mapping with an empty Source removes the target, unless
	// it only sets Matching (then it marks the default row as the matching attribute).
	Mappings []AttributeMapping `json:"mappings,omitempty"`
}

// AttributeMapping is one row of "Mappings > Provision Microsoft Entra ID Users".
type AttributeMapping struct {
	// Target is the SCIM attribute path, e.g. userName, emails[type eq "work"].value or
	// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department.
	Target string `json:"target"`
	// Source is the directory attribute (userPrincipalName, mail, mailNickname, displayName,
	// givenName, surname, objectId, accountEnabled), empty to drop the target.
	Source string `json:"source,omitempty"`
	// Constant, when set, is sent instead of a directory attribute (mapping type Constant).
	Constant string `json:"constant,omitempty"`
	// Matching is "Match objects using this attribute": the first cycle looks users up by
	// this target (GET /Users?filter=<target> eq "v") instead of userName, Entra's default.
	Matching bool `json:"matching,omitempty"`
}

// The Provisioning.Scope values.
const (
	ProvisionAssigned = "assigned"
	ProvisionAll      = "all"
)

// The Provisioning.UnassignAction values.
const (
	UnassignDisable = "disable"
	UnassignDelete  = "delete"
)

// ProvisioningFlag is the tenant URL query flag that selects Entra's SCIM-compliant PATCH.
const ProvisioningFlag = "aadOptscim062020"

// normalize fills the defaults and reads the flag from the tenant URL.
func (p *Provisioning) normalize(path string) error {
	u, err := url.Parse(p.TenantURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s.tenantUrl %q: want the app's SCIM base URL, e.g. https://app.example.test/scim/v2", path, p.TenantURL)
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, ProvisioningFlag) {
			p.AADOptSCIM062020 = true
		}
	}
	switch p.Scope {
	case "":
		p.Scope = ProvisionAssigned
	case ProvisionAssigned, ProvisionAll:
	default:
		return fmt.Errorf("%s.scope %q: want assigned or all", path, p.Scope)
	}
	switch p.UnassignAction {
	case "":
		p.UnassignAction = UnassignDisable
	case UnassignDisable, UnassignDelete:
	default:
		return fmt.Errorf("%s.unassignAction %q: want disable or delete", path, p.UnassignAction)
	}
	for i, m := range p.Mappings {
		if m.Target == "" {
			return fmt.Errorf("%s.mappings[%d].target: required (a SCIM attribute path)", path, i)
		}
		if m.Source != "" && !knownProvisioningSource(m.Source) {
			return fmt.Errorf("%s.mappings[%d].source %q: unknown attribute (want userPrincipalName, mail, mailNickname, displayName, givenName, surname, objectId or accountEnabled)", path, i, m.Source)
		}
	}
	return nil
}

// BaseURL is TenantURL without the query flags Entra reads from it: the URL requests go to.
func (p *Provisioning) BaseURL() string {
	u, err := url.Parse(p.TenantURL)
	if err != nil {
		return p.TenantURL
	}
	u.RawQuery = ""
	return strings.TrimSuffix(u.String(), "/")
}

// ProvisioningRunner runs provisioning cycles for the control API. Package provision
// implements it (provision.Attach); the idp package cannot import it.
type ProvisioningRunner interface {
	// RunCycle runs one cycle for the app (the first is the initial cycle) and returns its
	// provisioning log entries, JSON-encodable.
	RunCycle(ctx context.Context, appID string) (any, error)
}

// provisioningHook holds the runner the control route calls.
type provisioningHook struct {
	mu     sync.Mutex
	runner ProvisioningRunner
}

// SetProvisioningRunner attaches the provisioning client that POST
// /_mockidp/provisioning/{appId}/cycle runs (provision.Attach calls it).
func (s *Server) SetProvisioningRunner(r ProvisioningRunner) {
	s.provisioning.mu.Lock()
	defer s.provisioning.mu.Unlock()
	s.provisioning.runner = r
}

// handleProvisioningCycle is POST /_mockidp/provisioning/{appId}/cycle: runs a cycle and
// answers its provisioning log. ServeHTTP does not hold the directory lock for this route,
// since the cycle reads the directory itself (ProvisioningView) while it runs.
func (s *Server) handleProvisioningCycle(w http.ResponseWriter, r *http.Request) {
	s.provisioning.mu.Lock()
	run := s.provisioning.runner
	s.provisioning.mu.Unlock()
	if run == nil {
		controlError(w, http.StatusNotFound, "not_found", "no provisioning client is attached to this server (mockidp serve attaches one; from Go: provision.Attach)")
		return
	}
	if _, err := s.ProvisioningView(r.PathValue("appId")); err != nil {
		controlError(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	log, err := run.RunCycle(r.Context(), r.PathValue("appId"))
	if err != nil {
		controlError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": log}, true)
}

// isProvisioningCycle reports whether r runs a cycle (which must not hold the directory lock).
func isProvisioningCycle(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/_mockidp/provisioning/")
}

func knownProvisioningSource(s string) bool {
	switch strings.ToLower(s) {
	case "userprincipalname", "mail", "mailnickname", "displayname", "givenname", "surname", "objectid", "accountenabled":
		return true
	}
	return false
}
