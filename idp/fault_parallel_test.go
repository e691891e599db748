package idp_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestFaultsParallelContexts runs 50 sign-ins at once against one server, each in its own
// browser context with its own fault armed (every fifth with none), and checks that every
// context got its own fault and no other: by what reached the SP and by the sign-in log.
func TestFaultsParallelContexts(t *testing.T) {
	rig := newFaultRig(t)
	// Faults whose mark is visible in what reaches the SP.
	marks := map[idp.FaultID]func(got string) bool{
		"saml.audience.wrong":     func(x string) bool { return strings.Contains(x, "<Audience>https://other-app.example.test/") },
		"saml.destination.wrong":  func(x string) bool { return strings.Contains(x, `Destination="https://other-app.example.test/`) },
		"saml.recipient.wrong":    func(x string) bool { return strings.Contains(x, `Recipient="https://other-app.example.test/`) },
		"saml.issuer.wrong":       func(x string) bool { return strings.Contains(x, "72f988bf-86f1-41af-91ab-2d7cd011db47") },
		"saml.sig.none":           func(x string) bool { return !strings.Contains(x, "<Signature") },
		"saml.sign.sha1":          func(x string) bool { return strings.Contains(x, "rsa-sha1") },
		"saml.nameid.comment":     func(x string) bool { return strings.Contains(x, "<!---->") },
		"saml.audience.missing":   func(x string) bool { return !strings.Contains(x, "AudienceRestriction") },
		"oidc.state.wrong":        func(x string) bool { return strings.Contains(x, "state=ssoharness-forged-state") },
		"oidc.id_token.wrong-aud": func(x string) bool { return strings.Contains(x, `"aud": "d3b4c1a2-`) },
		"oidc.id_token.alg-none":  func(x string) bool { return strings.Contains(x, `"alg": "none"`) },
		"oidc.nonce.missing":      func(x string) bool { return !strings.Contains(x, `"nonce"`) },
		"oidc.userinfo.wrong-sub": func(x string) bool { return strings.Contains(x, `"given_name":"Alex"`) },
	}
	var ids []idp.FaultID
	for id := range marks {
		ids = append(ids, id)
	}
	type ctxResult struct {
		fault idp.FaultID // "" = none armed
		token string
		oidc  bool
		got   string
	}
	results := make([]ctxResult, 50)
	var wg sync.WaitGroup
	for i := range results {
		var fault idp.FaultID
		if i%5 != 4 {
			fault = ids[i%len(ids)]
		}
		b := idptest.NewBrowser(nil)
		results[i].fault = fault
		if fault != "" {
			af, err := rig.srv.ArmContext(fault)
			if err != nil {
				t.Fatal(err)
			}
			results[i].token = af.Token
			if err := b.SetCookie(rig.srv.URL, af.Cookie()); err != nil {
				t.Fatal(err)
			}
		}
		oidc := strings.HasPrefix(string(fault), "oidc.") || (fault == "" && i%2 == 0)
		results[i].oidc = oidc
		wg.Go(func() {
			if oidc {
				authz, tokens, ui := rig.oidcSignIn(t, b)
				results[i].got = "state=" + authz.Get("state") + "\n" + strings.Join(rig.jwtLines(t, "", tokens["id_token"].(string)), "\n") + "\n" + ui
			} else {
				x, _ := rig.samlSignIn(t, b, i)
				results[i].got = string(x)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	tokens := map[string][]idp.Event{}
	for _, ev := range rig.srv.Events() {
		if ev.Fault != nil {
			tokens[ev.Fault.Token] = append(tokens[ev.Fault.Token], ev)
		}
	}
	for i, r := range results {
		name := fmt.Sprintf("context %d (%s)", i, r.fault)
		for id, mark := range marks {
			if strings.HasPrefix(string(id), "oidc.") != r.oidc {
				continue // a mark is read in its own protocol's messages
			}
			if has := mark(r.got); has != (id == r.fault) {
				t.Errorf("%s: mark of %s present=%v", name, id, has)
			}
		}
		if r.fault == "" {
			continue
		}
		evs := tokens[r.token]
		if len(evs) == 0 {
			t.Errorf("%s: the sign-in log has no event with this context's fault", name)
		}
		for _, ev := range evs {
			if ev.Fault.ID != r.fault {
				t.Errorf("%s: the log shows fault %s for this context", name, ev.Fault.ID)
			}
		}
	}
	if armed := rig.srv.ArmedFaults(); len(armed) != 40 {
		t.Errorf("%d armed faults listed, want 40", len(armed))
	}
	for _, a := range rig.srv.ArmedFaults() {
		if a.Used != 1 {
			t.Errorf("fault %s (token %s…) used %d times, want 1", a.Fault, a.Token[:6], a.Used)
		}
	}
}
