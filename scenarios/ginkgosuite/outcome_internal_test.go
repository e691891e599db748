package ginkgosuite

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

func entryNames(es []reportEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.name)
	}
	return out
}

func TestOutcome(t *testing.T) {
	base := reports.Check{ID: "saml.audience.wrong", Protocol: "SAML", Kind: scenarios.KindFault, Expected: "reject", DurationMS: 42}
	with := func(f func(*reports.Check)) reports.Check {
		c := base
		f(&c)
		return c
	}
	tests := []struct {
		name        string
		res         reports.Check
		skip        string
		failHas     []string // "" fail when empty
		entries     []string
		alwaysShown string // the entry that must be always visible, if any
	}{
		{name: "pass", res: with(func(c *reports.Check) { c.Status, c.Observed = reports.StatusPass, "refused (403)" }),
			entries: []string{entryOutcome}},
		{name: "skip", res: with(func(c *reports.Check) {
			c.Status, c.Reason = reports.StatusSkip, "the target declares no sign-out URL (saml.signIn[].logoutUrl)"
		}), skip: "the target declares no sign-out URL (saml.signIn[].logoutUrl)", entries: []string{entryOutcome}},
		{name: "skip without reason", res: with(func(c *reports.Check) { c.Status = reports.StatusSkip }),
			skip: "skipped by the harness", entries: []string{entryOutcome}},
		{name: "warn", res: with(func(c *reports.Check) {
			c.Status, c.Expected, c.Observed, c.Diagnosis, c.Fix = reports.StatusWarn, "warn", "accepted as B.Simon@contoso.com", "the certificate expired", "check NotAfter"
		}), entries: []string{entryOutcome, entryWarning}, alwaysShown: entryWarning},
		{name: "waived", res: with(func(c *reports.Check) {
			c.Status, c.Reason = reports.StatusWaived, "expectation overridden by the target (accept instead of reject): legacy partner"
		}), entries: []string{entryOutcome, entryWaived}, alwaysShown: entryWaived},
		{name: "fail", res: with(func(c *reports.Check) {
			c.Status, c.Observed, c.Diagnosis, c.Fix = reports.StatusFail, "accepted as B.Simon@contoso.com", "The SP accepted a response where Audience was changed", "check the Audience"
		}), failHas: []string{"saml.audience.wrong failed", "expected:  reject", "observed:  accepted as B.Simon@contoso.com",
			"diagnosis: The SP accepted a response where Audience was changed", "fix:       check the Audience"},
			entries: []string{entryOutcome}},
		{name: "error", res: with(func(c *reports.Check) {
			c.Status, c.Diagnosis = reports.StatusError, "the check could not run: timeout"
		}), failHas: []string{"saml.audience.wrong could not run", "observed:  (nothing)", "diagnosis: the check could not run: timeout"},
			entries: []string{entryOutcome}},
		{name: "config check key", res: reports.Check{ID: "config.redirect-uri", Protocol: "OIDC", Kind: scenarios.KindConfig, Expected: "configured",
			Status: reports.StatusFail, Observed: "IdP refused: AADSTS50011"},
			failHas: []string{"oidc:config.redirect-uri failed (OIDC config check)", "expected:  configured"}, entries: []string{entryOutcome}},
		{name: "unknown status is not a pass", res: with(func(c *reports.Check) { c.Status = "maybe" }),
			failHas: []string{`ended with status "maybe"`}, entries: []string{entryOutcome}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			skip, fail, entries := outcome(tt.res)
			if skip != tt.skip {
				t.Errorf("skip = %q, want %q", skip, tt.skip)
			}
			if (fail != "") != (len(tt.failHas) > 0) {
				t.Errorf("fail = %q, want a failure: %v", fail, len(tt.failHas) > 0)
			}
			for _, s := range tt.failHas {
				if !strings.Contains(fail, s) {
					t.Errorf("fail message lacks %q:\n%s", s, fail)
				}
			}
			if got := entryNames(entries); !slices.Equal(got, tt.entries) {
				t.Errorf("entries = %v, want %v", got, tt.entries)
			}
			for _, e := range entries {
				switch {
				case e.name == entryOutcome:
					r, ok := e.value.(result)
					if !ok || r.ID != tt.res.ID || r.Status != tt.res.Status || r.Observed != tt.res.Observed || r.DurationMS != tt.res.DurationMS {
						t.Errorf("outcome entry = %#v, want the check's result", e.value)
					}
					if e.visibility != ginkgo.ReportEntryVisibilityFailureOrVerbose {
						t.Errorf("outcome entry visibility %v", e.visibility)
					}
				case e.name == tt.alwaysShown:
					if e.visibility != ginkgo.ReportEntryVisibilityAlways {
						t.Errorf("%s visibility %v, want always", e.name, e.visibility)
					}
					if s, _ := e.value.(string); s == "" || (tt.res.Reason != "" && !strings.Contains(s, tt.res.Reason)) ||
						(tt.res.Diagnosis != "" && !strings.Contains(s, tt.res.Diagnosis)) || (tt.res.Fix != "" && !strings.Contains(s, tt.res.Fix)) {
						t.Errorf("%s = %q, want the reason / diagnosis and fix", e.name, s)
					}
				}
			}
		})
	}
}

func TestResultString(t *testing.T) {
	r := result{Status: reports.StatusPass, Expected: "accept", Observed: "accepted as B.Simon@contoso.com"}
	if got, want := r.String(), "pass (expected accept): accepted as B.Simon@contoso.com"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// Every check of the catalog gets labels Ginkgo accepts (a bad one would stop the suite's
// tree construction).
func TestLabelsValid(t *testing.T) {
	for _, c := range scenarios.Catalog() {
		ls := labels(c)
		if len(ls) != 4 || ls[0] != strings.ToLower(c.Protocol) || ls[1] != c.Kind || ls[2] != c.Expected || ls[3] != c.ID {
			t.Errorf("%s: labels %v", c.Key(), ls)
		}
		for _, l := range ls {
			if _, err := types.ValidateAndCleanupLabel(l, types.CodeLocation{}); err != nil {
				t.Errorf("%s: label %q: %v", c.Key(), l, err)
			}
		}
	}
}

func writeTarget(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

const oidcOnly = `
name: OIDC only
oidc:
  clientId: 6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b
  signIn:
    - url: https://app.example.test/login
      redirectUri: https://app.example.test/signin-oidc
`

func TestPlan(t *testing.T) {
	env := func(context.Context) (*scenarios.Env, error) { return nil, nil }
	protocols := func(cs []scenarios.Check) []string {
		var out []string
		for _, c := range cs {
			if !slices.Contains(out, c.Protocol) {
				out = append(out, c.Protocol)
			}
		}
		return out
	}
	t.Run("env only: both protocols", func(t *testing.T) {
		cs, tg, err := plan(Config{Env: env, Options: scenarios.Options{Only: []string{"saml.sp.*", "oidc.code.*", "config.method"}}})
		if err != nil || tg != nil {
			t.Fatal(err, tg)
		}
		if got := protocols(cs); !slices.Equal(got, []string{"SAML", "OIDC"}) {
			t.Errorf("protocols %v", got)
		}
		if want := scenarios.Select([]string{"saml.sp.*", "oidc.code.*", "config.method"}, nil); len(cs) != len(want) {
			t.Errorf("%d checks, want %d", len(cs), len(want))
		}
	})
	t.Run("target file: its protocols", func(t *testing.T) {
		cs, tg, err := plan(Config{TargetFile: writeTarget(t, oidcOnly), Options: scenarios.Options{Skip: []string{"oidc.id_token.*"}}})
		if err != nil {
			t.Fatal(err)
		}
		if tg == nil || tg.Name != "OIDC only" {
			t.Fatalf("target %+v", tg)
		}
		if got := protocols(cs); !slices.Equal(got, []string{"OIDC"}) {
			t.Errorf("protocols %v", got)
		}
		for _, c := range cs {
			if strings.HasPrefix(c.ID, "oidc.id_token.") {
				t.Errorf("%s not skipped", c.ID)
			}
		}
	})
	t.Run("target in Go: validated, defaults filled in", func(t *testing.T) {
		tg := &scenarios.Target{Name: "SAML in Go", SAML: &scenarios.SAMLTarget{EntityID: "https://sp.example.test",
			ACSURLs: []string{"https://sp.example.test/acs"}, SignIn: []scenarios.SAMLSignIn{{URL: "https://sp.example.test/login"}}}}
		cs, got, err := plan(Config{Target: tg, TargetFile: "ignored.yaml", Options: scenarios.Options{Only: []string{"saml.sp.redirect", "oidc.code.query"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got != tg || tg.SAML.SignIn[0].Binding != "redirect" {
			t.Errorf("target not validated: %+v", tg.SAML.SignIn[0])
		}
		if len(cs) != 1 || cs[0].ID != "saml.sp.redirect" {
			t.Errorf("checks %v", cs)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for name, cfg := range map[string]Config{
			"nothing":        {},
			"missing file":   {TargetFile: filepath.Join(t.TempDir(), "nope.yaml")},
			"invalid file":   {TargetFile: writeTarget(t, "name: x\nsaml: {signIn: []}\n")},
			"invalid target": {Target: &scenarios.Target{}},
		} {
			if _, _, err := plan(cfg); err == nil {
				t.Errorf("%s: no error", name)
			} else if !strings.HasPrefix(err.Error(), "ginkgosuite: ") {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}
