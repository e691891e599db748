package idp

import (
	"fmt"
	"net/http/httptest"
	"testing"
)

// BenchmarkTakeFaultUnfaulted is the fault lookup of a sign-in no fault applies to, with the
// in-memory store: nothing armed, next-sign-in faults armed for other users, context faults
// of other browsers (not read on this path), and a browser whose cookie names a disarmed
// fault.
func BenchmarkTakeFaultUnfaulted(b *testing.B) {
	for _, c := range []struct {
		name        string
		users, ctxs int
		staleCookie bool
	}{{"none", 0, 0, false}, {"8-other-user", 8, 0, false}, {"64-contexts", 0, 64, false}, {"stale-cookie", 0, 0, true}} {
		b.Run(c.name, func(b *testing.B) {
			s := benchServer(b)
			t, app, u := benchTenantApp(b, s)
			for i := range c.users {
				if _, err := s.Arm(Arming{Fault: "saml.issuer.wrong", User: fmt.Sprintf("nobody%d@example.com", i)}); err != nil {
					b.Fatal(err)
				}
			}
			for range c.ctxs {
				if _, err := s.ArmContext("saml.audience.wrong"); err != nil {
					b.Fatal(err)
				}
			}
			r := httptest.NewRequest("GET", "/", nil)
			if c.staleCookie {
				af, _ := s.ArmContext("saml.audience.wrong")
				s.Disarm(af.Token)
				r.AddCookie(af.Cookie())
			}
			keys := app.faultKeys()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if s.takeFault(r, ProtocolSAML, t, keys, u) != nil {
					b.Fatal("a fault applied")
				}
			}
		})
	}
}
