package idp

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSealState: sealing and opening the session cookie (two SAML apps, one OIDC app)
// and an authorization code, as a sign-in does.
func BenchmarkSealState(b *testing.B) {
	s, err := New(WithConfig(directConfig()), WithClock(NewFrozenClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), WithRand(NewSeededRand(3)))
	if err != nil {
		b.Fatal(err)
	}
	now := s.clock.Now()
	sess := &idpSession{TenantID: s.rand.guid(), UserID: s.rand.guid(), AuthnInstant: now, SID: s.rand.guid(), Expires: now.Add(sessionTTL),
		Apps: []string{s.rand.guid()}, MFA: true}
	for i := range 2 {
		sess.SAML = append(sess.SAML, samlParticipant{AppID: s.rand.guid(), NameID: fmt.Sprintf("user%d@contoso.com", i),
			NameIDFormat: URIPersistent, SessionIndex: "_" + s.rand.guid()})
	}
	g := sealedGrant{ID: s.rand.guid(), App: s.rand.guid(), AppTenant: sess.TenantID, Tenant: sess.TenantID, User: sess.UserID,
		UPN: "B.Simon@contoso.com", SID: sess.SID, AuthTime: now, Scopes: []string{"openid", "profile", "email", "offline_access"},
		Nonce: "n-0S6_WzA2Mj", Redirect: "https://rp.example.test/callback", Platform: "web",
		Challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Method: "S256", Expires: now.Add(5 * time.Minute), Corr: s.rand.guid()}
	sv, _ := s.seal("session", sess, sess.Expires)
	cv, _ := s.seal(sealCode, g, g.Expires)
	b.Run("session-seal", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := s.seal("session", sess, sess.Expires); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("session-open", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var x idpSession
			if err := s.unseal("session", sv, &x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("code-seal", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := s.seal(sealCode, g, g.Expires); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("code-open", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var x sealedGrant
			if err := s.unseal(sealCode, cv, &x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(len(sv)), "session-bytes")
	b.ReportMetric(float64(len(cv)), "code-bytes")
}
