package ginkgosuite_test

import (
	"context"

	"github.com/onsi/ginkgo/v2"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
	"github.com/ssoharness/ssoharness/scenarios/ginkgosuite"
)

// referenceChecks are a few checks of each protocol and kind that the strict built-in
// reference SPs pass: accept and reject faults, and a misconfiguration check.
var referenceChecks = []string{
	"saml.sp.redirect", "saml.audience.wrong", "saml:config.redirect-uri",
	"oidc.code.query", "oidc.id_token.wrong-aud",
}

// The container body runs when RunSpecs builds the tree, after TestGinkgosuite has set
// reportDir; it also shows Describe nested in a (non-Ordered) container.
var _ = ginkgo.Describe("ginkgosuite", func() {
	ginkgosuite.Describe("built-in reference SPs", ginkgosuite.Config{
		Env: func(ctx context.Context) (*scenarios.Env, error) {
			env, _, err := scenarios.StartReferenceEnv(ctx, scenarios.ReferenceOptions{IdP: []idp.Option{idp.WithKeyGenerator(idptest.PooledKeys())}}, nil)
			return env, err
		},
		Options: scenarios.Options{
			Only:           referenceChecks,
			ReportDir:      reportDir,
			Screenshots:    "none",
			KeyRefetchWait: -1, // the reference RPs refetch on an unknown kid at once
			Progress: func(c reports.Check, _, _ int) {
				progress.Lock()
				defer progress.Unlock()
				progress.checks = append(progress.checks, c)
			},
		},
	})
})

// An Env whose target has only OIDC: the entries cover both protocols (the target is not
// known when the tree is built), and the SAML one is skipped when it runs.
var _ = ginkgo.Describe("ginkgosuite", func() {
	ginkgosuite.Describe("OIDC-only env", ginkgosuite.Config{
		Env: func(ctx context.Context) (*scenarios.Env, error) {
			env, _, err := scenarios.StartReferenceEnv(ctx, scenarios.ReferenceOptions{Protocols: []string{"OIDC"}, IdP: []idp.Option{idp.WithKeyGenerator(idptest.PooledKeys())}}, nil)
			return env, err
		},
		Options: scenarios.Options{Only: []string{"saml.sp.redirect"}, Screenshots: "none"},
	})
})

// suiteReport is the report of the whole run, for TestGinkgosuite to inspect.
var suiteReport ginkgo.Report

var _ = ginkgo.ReportAfterSuite("capture the report", func(r ginkgo.Report) { suiteReport = r })
