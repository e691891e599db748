package refsp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/refsp/refoidc"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// findingSignIns is how many clean sign-ins each reference SP makes for the request
// findings: two, so that what must change from one sign-in to the next (the AuthnRequest
// ID, the state) can be seen to.
const findingSignIns = 2

// findingSAML signs in findingSignIns times, in fresh browsers, at a reference SAML SP with
// weakness w for each binding, and returns the run's results as the findings read them, with
// the SP's claim to sign its requests read from its metadata as the harness reads a target's.
func findingSAML(t *testing.T, w refsaml.Weakness) scenarios.FindingInput {
	in := scenarios.FindingInput{Protocol: "SAML"}
	for _, binding := range []string{refsaml.BindingRedirect, refsaml.BindingPOST} {
		s, err := refsaml.New(refsaml.Config{Name: "ref", Weakness: w, Binding: binding})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		cfg := idp.DefaultConfig()
		tn := cfg.Tenants[0]
		app := tn.EnterpriseApps[0]
		app.SAML.Identifiers = []idp.Identifier{{Value: s.EntityID(), Default: true}}
		app.SAML.ReplyURLs = []idp.ReplyURL{{URL: s.ACSURL(), Default: true}}
		srv := idptest.Start(t, idp.WithConfig(cfg))
		tn = srv.Config().Tenants[0]
		s.SetIdPMetadataURL(srv.MetadataURL(tn, tn.EnterpriseApps[0]))
		p, err := idptest.NewBrowser(nil).Get(s.URL() + "/saml/metadata")
		if err != nil {
			t.Fatal(err)
		}
		md, err := idp.ParseSPMetadata([]byte(p.Body))
		if err != nil {
			t.Fatalf("the SP's metadata: %v", err)
		}
		in.SignsRequests = in.SignsRequests || md.AuthnRequestsSigned
		in.Results = append(in.Results, signIns(t, srv, s.LoginURL(), "saml.sp."+map[string]string{refsaml.BindingRedirect: "redirect", refsaml.BindingPOST: "post"}[binding], w == refsaml.Strict))
	}
	return in
}

// findingOIDC signs in findingSignIns times at a reference RP (with PKCE) with weakness w.
func findingOIDC(t *testing.T, w refoidc.Weakness) scenarios.FindingInput {
	cfg := idp.DefaultConfig()
	tn := cfg.Tenants[0]
	reg := tn.AppRegistrations[0]
	rp, err := refoidc.New(refoidc.Config{Name: "ref", Weakness: w, TenantID: tn.ID, ClientID: reg.AppID,
		ClientSecret: reg.PasswordCredentials[0].SecretText, PKCE: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rp.Close)
	reg.Web.RedirectURIs = []string{rp.RedirectURL()}
	srv := idptest.Start(t, idp.WithConfig(cfg))
	rp.SetIssuer(srv.URL + "/" + tn.ID + "/v2.0")
	return scenarios.FindingInput{Protocol: "OIDC", Results: []reports.Check{signIns(t, srv, rp.LoginURL(), "oidc.code.pkce", w == refoidc.Strict)}}
}

// signIns signs in findingSignIns times from start, each in a fresh browser, and keeps the
// IdP's log as the evidence of a check with this ID. With must, every sign-in must succeed
// (the strict SP); a weak one may be refused, by the IdP too (id-token-in-query).
func signIns(t *testing.T, srv *idp.Server, start, id string, must bool) reports.Check {
	ev := scenarios.Evidence{User: user}
	for range findingSignIns {
		p, err := idptest.NewBrowser(nil).SignIn(start, user, password)
		if err != nil {
			t.Fatal(err)
		}
		if pg := page(p); must && !pg.SignedIn {
			t.Fatalf("%s: the clean sign-in was refused: %s", start, pg)
		}
		ev.Pages = append(ev.Pages, page(p))
	}
	ev.Events = srv.Events()
	proto := "SAML"
	if strings.HasPrefix(id, "oidc.") {
		proto = "OIDC"
	}
	return reports.Check{ID: id, Protocol: proto, Kind: scenarios.KindFault, Status: reports.StatusPass, Evidence: scenarios.RecordEvidence(ev)}
}

// TestOracleFindings is the oracle of the request findings (what the SP itself sends): for
// each finding a weak variant of a reference SP lists, the strict SP's clean sign-ins must
// pass it and the weak variant's must fail it (warn, for a finding whose expectation is
// warn). It keeps the table in testdata/oracle-findings.md (checked on every run; -update
// rewrites it).
func TestOracleFindings(t *testing.T) {
	type row struct {
		id, expected, weak       string
		strict, weakened         scenarios.Verdict
		strictInput, weakenInput scenarios.FindingInput
	}
	var rows []*row
	t.Run("findings", func(t *testing.T) { // waits for its parallel subtests
		for _, c := range scenarios.Catalog() {
			if c.Kind != scenarios.KindFinding {
				continue
			}
			r := &row{id: c.ID, expected: c.Expected}
			if c.Protocol == "SAML" {
				w, ok := refsaml.WeaknessForFinding(c.ID)
				if !ok {
					continue
				}
				r.weak = string(w)
			} else {
				w, ok := refoidc.WeaknessForFinding(c.ID)
				if !ok {
					continue
				}
				r.weak = string(w)
			}
			rows = append(rows, r)
			t.Run(c.ID, func(t *testing.T) {
				t.Parallel()
				judge := func(in scenarios.FindingInput) scenarios.Verdict {
					v, ok := scenarios.JudgeFindingInput(c.ID, in)
					if !ok {
						t.Fatalf("%s is not a finding", c.ID)
					}
					return v
				}
				if c.Protocol == "SAML" {
					r.strict = judge(findingSAML(t, refsaml.Strict))
					r.weakened = judge(findingSAML(t, refsaml.Weakness(r.weak)))
				} else {
					r.strict = judge(findingOIDC(t, refoidc.Strict))
					r.weakened = judge(findingOIDC(t, refoidc.Weakness(r.weak)))
				}
				if r.strict.Status != reports.StatusPass {
					t.Errorf("the strict reference SP: %s %s%s, want pass", r.strict.Status, r.strict.Observed, r.strict.Reason)
				}
				want := reports.StatusFail
				if c.Expected == "warn" {
					want = reports.StatusWarn
				}
				if r.weakened.Status != want {
					t.Errorf("the SP with %s: %s %s%s, want %s", r.weak, r.weakened.Status, r.weakened.Observed, r.weakened.Reason, want)
				}
			})
		}
	})
	t.Run("table", func(t *testing.T) {
		if len(rows) < 7 {
			t.Fatalf("%d findings have a weak variant, want the 7 request findings", len(rows))
		}
	})
	if t.Failed() {
		return
	}
	var table strings.Builder
	table.WriteString("# Oracle of the request findings: what the reference SPs send\n\n")
	table.WriteString("Generated by `go test ./refsp/ -run OracleFindings -update`; checked on every run.\n")
	fmt.Fprintf(&table, "Each SP signs in %d times in fresh browsers (SAML: by HTTP-Redirect and by HTTP-POST; OIDC: with\n", findingSignIns)
	table.WriteString("PKCE), and the finding judges the requests the IdP logged. Weak: the variant that lists the\nfinding in refsp/refsaml/weakness.go or refsp/refoidc/weakness.go.\n\n")
	table.WriteString("| finding | expected | strict SP | verdict | weakened SP (switch) | verdict |\n|---|---|---|---|---|---|\n")
	slices.SortFunc(rows, func(a, b *row) int { return strings.Compare(a.id, b.id) })
	for _, r := range rows {
		fmt.Fprintf(&table, "| `%s` | %s | %s | %s | %s (`%s`) | %s |\n", r.id, r.expected, stable(r.strict.Observed), r.strict.Status, stable(r.weakened.Observed), r.weak, r.weakened.Status)
	}
	t.Log("\n" + table.String())
	path := filepath.Join("testdata", "oracle-findings.md")
	if *update {
		if err := os.WriteFile(path, []byte(table.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != table.String() {
		t.Errorf("the table differs from %s (run with -update and review)", path)
	}
}

// stable takes what changes from run to run (ports, tenant-free URLs stay) out of an
// observation, so that the table is the same at every run.
func stable(s string) string {
	for _, f := range strings.Fields(s) {
		if i := strings.Index(f, "127.0.0.1:"); i >= 0 {
			s = strings.ReplaceAll(s, strings.TrimRight(f[i:], ",;"), "127.0.0.1:…")
		}
	}
	s = instant.ReplaceAllString(s, "<time>")
	return strings.ReplaceAll(s, "|", "\\|")
}

// instant is a timestamp in an observation.
var instant = regexp.MustCompile(`\d{4}-\d\d-\d\dT[\d:.]+Z`)

// TestRegistryFindings holds the weakness registries to the catalog's findings: each finding
// a weakness lists is a finding of its SP's protocol, mapped back to that weakness.
func TestRegistryFindings(t *testing.T) {
	findings := map[string]string{}
	for _, c := range scenarios.Catalog() {
		if c.Kind == scenarios.KindFinding {
			findings[c.Protocol+" "+c.ID] = c.ID
		}
	}
	for _, w := range refsaml.Weaknesses() {
		for _, f := range w.Findings() {
			if _, ok := findings["SAML "+f]; !ok {
				t.Errorf("refsaml %s lists %q, not a SAML finding of the catalog", w, f)
			}
			if got, _ := refsaml.WeaknessForFinding(f); got != w {
				t.Errorf("refsaml %s lists %s, but it maps to %q", w, f, got)
			}
		}
	}
	for _, w := range refoidc.Weaknesses() {
		for _, f := range w.Findings() {
			if _, ok := findings["OIDC "+f]; !ok {
				t.Errorf("refoidc %s lists %q, not an OIDC finding of the catalog", w, f)
			}
			if got, _ := refoidc.WeaknessForFinding(f); got != w {
				t.Errorf("refoidc %s lists %s, but it maps to %q", w, f, got)
			}
		}
	}
}
