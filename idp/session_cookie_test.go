package idp

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// sessionRequest is a request carrying the ESTSAUTH cookie the recorder was last sent.
func sessionRequest(t *testing.T, rec *httptest.ResponseRecorder) (*http.Request, *http.Cookie) {
	t.Helper()
	var c *http.Cookie
	for _, x := range rec.Result().Cookies() {
		if x.Name == sessionCookie {
			c = x
		}
	}
	if c == nil {
		t.Fatal("no ESTSAUTH cookie was set")
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	return r, c
}

// TestSessionCookie: the session is the cookie. Ten SAML apps (persistent NameIDs) and ten
// OIDC apps keep it under 3 KB; the server keeps nothing per session (the store is
// untouched until sign-out); a session changed twice in one response sends one cookie; an
// altered cookie, an expired one and a signed-out one are no session.
func TestSessionCookie(t *testing.T) {
	clock := NewFrozenClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st := NewMemoryStore(clock)
	s, err := New(WithConfig(directConfig()), WithClock(clock), WithStore(st))
	if err != nil {
		t.Fatal(err)
	}
	tn := s.cfg.Tenants[0]
	u := tn.Users[0]
	rec := httptest.NewRecorder()
	sess := s.newSession(rec, tn, u)
	for i := range 10 {
		s.addSAMLParticipant(rec, sess, samlParticipant{AppID: fmt.Sprintf("9a4c7e1f-6b2d-4e8a-b3c5-d7e9f1a2b4%02d", i),
			NameID: "q6zqSbjbtZ2ItqPYDxLs0AvDwVGe4UpHcnX3XQ8dcFw", NameIDFormat: URIPersistent, SessionIndex: "_" + s.rand.guid()})
		s.addSessionApp(rec, sess, fmt.Sprintf("6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a%02d", i))
	}
	s.setSessionMFA(rec, sess)
	if n := len(rec.Result().Cookies()); n != 1 {
		t.Fatalf("%d Set-Cookie headers for one response, want 1", n)
	}
	r, c := sessionRequest(t, rec)
	t.Logf("ESTSAUTH with 10 SAML and 10 OIDC apps: %d bytes", len(c.Value))
	if len(c.Value) >= 3000 {
		t.Errorf("ESTSAUTH is %d bytes with 10 SAML and 10 OIDC apps, want < 3000", len(c.Value))
	}
	if st.Len() != 0 {
		t.Errorf("the store holds %d items for an open session, want none", st.Len())
	}
	got := s.session(r)
	if got == nil || got.SID != sess.SID || len(got.SAML) != 10 || got.SAML[3] != sess.SAML[3] || len(got.Apps) != 10 || !got.MFA ||
		!got.AuthnInstant.Equal(sess.AuthnInstant) {
		t.Fatalf("session from the cookie %+v, want %+v", got, sess)
	}

	bad := httptest.NewRequest("GET", "/", nil)
	bad.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.Value[:len(c.Value)-3] + "AAA"})
	if s.session(bad) != nil {
		t.Error("an altered cookie is a session")
	}
	clock.Advance(sessionTTL)
	if s.session(r) != nil {
		t.Error("a cookie past sessionTTL is a session")
	}
	clock.Advance(-sessionTTL)

	out := httptest.NewRecorder()
	s.endSession(out, r, got)
	if s.session(r) != nil {
		t.Error("a signed-out session's cookie is still a session")
	}
	if cl := out.Result().Cookies(); len(cl) != 1 || cl[0].MaxAge >= 0 {
		t.Errorf("sign-out did not clear the cookie: %v", cl)
	}
}

// TestStateID: GUIDs (bare and "_"-prefixed) take 17 bytes, everything else comes back as
// it was.
func TestStateID(t *testing.T) {
	for _, v := range []string{"0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f", "_0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f",
		"0C5D8A2E-1F3B-4A6C-9D7E-8B2A1C3D4E5F", "contoso.com", "", "*x", "_*x", "!", "!!a", "_", "my-app"} {
		b := appendID(nil, v)
		r := &binReader{b: b}
		if got := r.id(); got != v || r.end() != nil {
			t.Errorf("%q -> %x -> %q (%v)", v, b, got, r.err)
		}
		if _, ok := guidBytes(v); ok && len(b) != 17 {
			t.Errorf("GUID %q written as %x", v, b)
		}
	}
}
