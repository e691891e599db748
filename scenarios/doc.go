// Package scenarios is the conformance harness: the catalog of checks, the targets that
// describe an SP, the runner that drives a real Chromium through each check against the SP
// with the embedded mock Entra ID, and the judge that turns what was observed into verdicts.
//
// # The catalog
//
// Catalog lists every check in report order: the fault checks (one per fault of idp's
// catalog: the mock mints a good or bad response and the SP must accept or refuse it), the
// misconfiguration checks (config.*: what the SP sends against what the app in Entra
// accepts, explained in the portal's words), and the findings (sp.error-page; what the SP
// itself sends: saml.request.*, oidc.request.*), which are judged once per run over the
// evidence of the other checks. Select picks checks by ID or glob, as `conformance run --only/--skip` do.
//
// # A run
//
// Start builds the environment from a Target (LoadTarget reads and validates one): the mock
// IdP configured as the admin set up Entra, the host mappings, the certificates to trust.
// Run runs the selected checks, each in a fresh browser context of one Chromium, with the
// check's fault armed for that context only, and returns the reports.Run every report is
// written from. Session runs single checks, for test frameworks (see ginkgosuite).
//
// # Verdicts
//
// Judge decides a fault check from its Evidence alone: the SP's Pages (signed in or not, as
// whom), the Logout's effects, and the IdP's sign-in events (what the SP sent, what was
// minted, every token and message). It is pure, so the runner, the Ginkgo suite, the
// oracle tests and a replay of recorded evidence (reports.Check.Evidence, RecordedCheck) all
// get the same verdict from the same observations. The rules, in order: an IdP refusal or a
// step not taken is an error; a premise the SP's own requests did not meet (no nonce, no
// PKCE, no userinfo call, another binding; a certificate the SP never trusted) is a skip with
// the reason; a fault not delivered to every sign-in is an error; then the outcome against
// the expectation — a refusal is a refusal whatever its status code (how the SP refuses is
// the sp.error-page finding), a sign-out passes by its effects. A target's Override changes
// an expectation, with a reason, and the verdict is then "waived".
//
// Identities are recognised on the SP's page by any directory user's UPN, mail, object ID or
// display name, or by the NameID or sub the IdP sent in the check; Target.Success can
// capture the identity with a regular expression.
package scenarios
