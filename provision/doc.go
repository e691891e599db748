// Package provision is Microsoft Entra ID's provisioning service for the mock (package
// idp): the SCIM 2.0 client that creates, updates, disables and deletes an enterprise
// app's users and groups in the app's SCIM endpoint, as Entra's "Automatic" provisioning
// does, with Entra's default attribute mappings, both of its PATCH dialects and a
// provisioning log in the words of Entra's.
//
// # Setting up
//
// An enterprise app is provisioned when its config has a provisioning section
// (idp.Provisioning: tenantUrl, secretToken, scope assigned|all, aadOptscim062020,
// unassignAction disable|delete, mappings). Three ways to run it:
//
//   - from Go: svc := provision.Attach(server); svc.TestConnection(ctx, app);
//     svc.Cycle(ctx, app) after each batch of directory changes (idp.Server's
//     SetAccountEnabled, SetUserAttribute, AssignToApp, UnassignFromApp, AddGroupMember,
//     RemoveGroupMember, DeleteUser, PurgeUser);
//   - `mockidp provision --app APP [--config FILE] [--cycles N] [--json]`: Test Connection and
//     the initial cycle, the log printed;
//   - `mockidp serve` attaches the service: POST /_mockidp/provisioning/{appId}/cycle (control
//     API, bearer token) runs a cycle and answers {"value": [log entries]}.
//
// # What a cycle sends
//
// Test Connection is GET /Users?filter=userName eq "<random GUID>" with Authorization:
// Bearer <secret token>; it passes on 200 with an empty ListResponse.
//
// The first cycle is the initial cycle. For each user in scope (scope assigned: assigned to
// the app directly or through a group; all: every user) it queries GET /Users?filter=userName
// eq "<UPN>" (or the target of the mapping marked matching, e.g. externalId eq "<alias>");
// none found: POST /Users with the mapped attributes; one found: the user is
// matched (and PATCHed where it differs); more: DuplicateTargetEntries. A disabled user is
// not created (Skipped). Then each group in scope: GET /Groups?excludedAttributes=members&
// filter=displayName eq "<name>", POST /Groups without members (schemas core Group and
// Microsoft's ADSCIM Group), then PATCH Add members (the provisioned users among its members).
//
// Later cycles are incremental: only what changed since the last export, from the escrow
// the service keeps per app (SCIM id and last values of each user and group): a changed
// attribute is a PATCH; a user disabled in the directory, unassigned (unassignAction disable)
// or soft-deleted is a Disable (PATCH active false); unassigned with unassignAction delete or
// purged from the directory, a DELETE /Users/{id}; group renames and member changes are
// PATCHes on /Groups/{id}; a group leaving the scope is a DELETE /Groups/{id}. A failed export
// stays in the escrow and is retried by the next cycle, as Entra retries it. A user disabled
// for leaving the scope is no longer managed: deleting it later sends nothing. Source for
// these rules: "How Application Provisioning works in Microsoft Entra ID" (incremental cycle
// steps 7–9, Deprovisioning, Known limitations: a disabled user is not provisioned).
//
// # The two dialects
//
// Entra's default SCIM job sends ops capitalised ("Add", "Replace", "Remove"), one op per
// attribute with a path, active as the string "True"/"False", and removes group members with
// {"op":"Remove","path":"members","value":[{"value":"<id>"}]}. With the aadOptscim062020
// flag on the tenant URL (idp.Provisioning.AADOptSCIM062020) ops are lower case, active is a
// JSON boolean, single-valued replacements are bundled into one {"op":"replace","value":
// {"displayName":…,"name.givenName":…}}, filtered paths (emails[type eq "work"].value) keep an
// op of their own, and members are removed with {"op":"remove","path":"members[value eq
// \"<id>\"]"}. Source: "Known issues and resolutions with SCIM 2.0 protocol compliance of the
// Microsoft Entra user provisioning service" (its samples for disabling a user, adding a
// single-value attribute, replacing several attributes, removing a member), and "Tutorial:
// Develop and plan provisioning for a SCIM endpoint" (request and response samples: Create
// User, Get User by query, Update User, Disable User, Create Group, Update Group
// [Add/Remove Members], 204 expected on group PATCH).
//
// Dialect builds each request alone (TestConnection, GetUserByUserName, CreateUser,
// GetUserBy, PatchUser, SetActive, DeleteUser, GetGroupByDisplayName, CreateGroup, AddMembers,
// RemoveMembers, RenameGroup, DeleteGroup, ServiceProviderConfig, Schemas) and Client sends
// it; Classify names the error Entra's log shows for a response: checks send exactly
// Entra's requests and diagnose in its words with them.
//
// # Mappings
//
// DefaultUserMappings is Entra's default user mapping of a non-gallery SCIM app: userName ←
// userPrincipalName (the matching attribute), active ← Switch([IsSoftDeleted]…) (false when
// the user is disabled, out of scope or deleted), displayName, title ← jobTitle,
// emails[type eq "work"].value ← mail, preferredLanguage, name.givenName, name.familyName,
// name.formatted, addresses[type eq "work"].*, phoneNumbers[type eq …].value, externalId ←
// mailNickname, and the enterprise extension's employeeNumber, department and manager.
// Attributes the mock's directory does not hold yet (jobTitle, department, manager, …) are
// left out of requests, as Entra leaves out null values. idp.Provisioning.Mappings override
// rows by target.
//
// # The provisioning log
//
// Each LogEntry is one object's processing in a cycle: provisioningAction Create, Update,
// Disable, Delete or Other; status Success, Failure or Skipped; the SCIM exchanges (method,
// path, status, bodies); and on failure the error code Entra's log shows, from "How to
// analyze the provisioning logs": EntryConflict (409), SystemForCrossDomainIdentity
// ManagementBadResponse (400), Unauthorized / InsufficientRights (401 / 403), InvalidAnchor
// (404 on an object the service created), UnprocessableEntity, TooManyRequests,
// InternalServerError, NotImplemented, DuplicateTargetEntries,
// SystemForCrossDomainIdentityManagementMultipleEntriesInResponse,
// SystemForCrossDomainIdentityManagementServiceIncompatible (a response it cannot use),
// Timeout, WebExceptionProtocolError. ServiceUnavailable (502–504) is the mock's name: the
// docs list none.
//
// # Not modelled
//
// Entra's own bearer token when the secret token is empty, provisioning on demand,
// quarantine, scoping filters, reference attributes (manager as the manager's SCIM id),
// the 40-minute schedule (cycles run when asked), and escrow retries with back-off.
package provision
