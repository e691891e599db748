// Command conformance runs the ssoharness conformance checks against a service provider in a
// real headless Chromium, with the embedded mock Microsoft Entra ID, and writes the reports.
//
// Usage:
//
//	conformance run  [--target FILE] [--only GLOB] [--skip GLOB] [--parallel N] [--report-dir DIR]
//	                 [--browser PATH | --browser-url ws://… …] [--screenshots key|all|none] [--timeout 30s] [--check-timeout 2m]
//	                 [--shard i/n]
//	conformance merge [--report-dir DIR] SHARD-DIR…
//	conformance list [--json] [--protocol SAML|OIDC] [GLOB]
//	conformance validate --target FILE
//	conformance version
//
// With no --target, run checks the built-in reference SPs (strict crewjam/saml and
// coreos/go-oidc based SPs) and passes: the demo of `make demo`.
//
// With --shard i/n, run runs only part i of n of the applicable checks (see docs/ci/sharding.md);
// merge combines the parts' report directories into one run's reports and exit status. A
// repeated --browser-url is a pool of remote browsers the checks are spread over
// (docs/remote-browsers.md).
//
// Exit status: 0 when every check passed (warn, waived and skip allowed), 1 when a check failed
// or could not run, 2 on a usage error (bad flag, bad target file).
package main

func main() { program.Main() }
