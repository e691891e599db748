// Package refsp holds the reference service providers the conformance catalog is checked
// against: a SAML SP (package refsp/refsaml, on crewjam/saml) and an OpenID Connect RP
// (package refsp/refoidc, on coreos/go-oidc), each strict by default and with switches that
// turn off one validation at a time. They are product code: `make demo` (conformance
// without a target) and `conformance --reference-sp` serve them.
//
// Each SP's weaknesses live in one registry (its weakness.go, a table of
// refsp/internal/weakness): name, description and the catalog faults the weakness lets
// through. This package maps each fault of the catalog to the weakness that makes a correct
// SP's verdict go wrong, so that tests (and the harness's self-check) can show that a strict
// SP refuses every bad response and the matching weak SP accepts it.
//
//	w, ok := refsp.SAMLWeakness("saml.audience.wrong") // refsaml.SkipAudience
//
// The oracle matrix (testdata/oracle-matrix.md, `go test ./refsp/ -run OracleMatrix`) runs
// every fault against the strict SP and the matching weak one.
//
// The reference SCIM server (package refsp/refscim, standard library) is the scim.* checks'
// counterpart: strict, or with one of the weaknesses of its own table; its oracle is
// testdata/oracle-scim.md (`go test ./refsp -run OracleSCIM`), and testdata/
// scim-real-servers.md holds the same checks' verdicts on SCIMMY and elimity-com/scim.
package refsp
