package idp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

// sealPlain seals a raw plaintext for purpose with the server's state key, as seal does, so
// that a test can hand the readers plaintexts seal would never write (garbage, old JSON,
// other versions) behind a valid AES-GCM tag.
func sealPlain(s *Server, purpose string, plain []byte) string {
	mac := hmac.New(sha256.New, s.nonceKey)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write(plain)
	ns := s.sealer.NonceSize()
	out := mac.Sum([]byte{sealVersion})[:1+ns]
	out = s.sealer.Seal(out, out[1:1+ns], plain, []byte(purpose))
	return base64.RawURLEncoding.EncodeToString(out)
}

// binaryEnvelope is seal's binary plaintext for purpose around a value's bytes.
func binaryEnvelope(purpose string, value []byte) []byte {
	return append(appendStr([]byte{binaryPlain}, purpose), append([]byte{0}, value...)...)
}

func stateTestServer(t testing.TB) *Server {
	s, err := New(WithConfig(directConfig()), WithClock(NewFrozenClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), WithRand(NewSeededRand(3)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testSession() idpSession {
	at := time.Date(2026, 1, 1, 0, 0, 0, 123, time.UTC)
	return idpSession{TenantID: "0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f", UserID: "not-a-guid", AuthnInstant: at,
		SID: "1d6e9b3f-2a4c-4b7d-8e1f-9c3b2d4e5f60", Expires: at.Add(sessionTTL),
		SAML: []samlParticipant{
			{AppID: "9a4c7e1f-6b2d-4e8a-b3c5-000000000001", NameID: "n@x", NameIDFormat: URIPersistent, SessionIndex: "_2e7f0c4a-3b5d-4c8e-9f2a-0d4c3e5f6a71"},
			{AppID: "my-app", NameID: "", NameIDFormat: "custom:format", SessionIndex: "_x"},
		},
		Apps: []string{"6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a00", "0C5D8A2E-1F3B-4A6C-9D7E-8B2A1C3D4E5F", ""}, MFA: true}
}

func testGrant() sealedGrant {
	return sealedGrant{ID: "3f8a1b2c-4d5e-4f60-8a7b-9c0d1e2f3a4b", App: "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a00",
		AppTenant: "0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f", Tenant: "0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f", User: "u1",
		UPN: "B.Simon@contoso.com", SID: "1d6e9b3f-2a4c-4b7d-8e1f-9c3b2d4e5f60",
		AuthTime: time.Date(2026, 1, 1, 0, 0, 0, 5, time.FixedZone("", 3600)), MFA: true,
		Scopes: []string{"openid", "profile", "offline_access"}, Nonce: "n", Redirect: "https://rp/cb?a=1", Platform: "web",
		Challenge: "cc", Method: "S256", Expires: time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC), Corr: "corr-1",
		Fault: &MintedFault{ID: "f1", Step: 1, Token: "tok", Changed: []string{"x"}}, V1: true, V1Res: "https://graph.microsoft.com", IP: "192.0.2.1"}
}

// TestSealBinaryState: the session and a grant come back from their binary form as they
// went in (times as the same instants; the session's in UTC), and every shortened or
// lengthened value, another version, and a value sealed in the old JSON form are refused.
func TestSealBinaryState(t *testing.T) {
	s := stateTestServer(t)
	sess := testSession()
	v, err := s.seal("session", &sess, sess.Expires)
	if err != nil {
		t.Fatal(err)
	}
	var gotS idpSession
	if err := s.unseal("session", v, &gotS); err != nil || !reflect.DeepEqual(gotS, sess) {
		t.Fatalf("session: %v\n%#v\nwant\n%#v", err, gotS, sess)
	}
	g := testGrant()
	v, err = s.seal(sealCode, g, g.Expires)
	if err != nil {
		t.Fatal(err)
	}
	var gotG sealedGrant
	if err := s.unseal(sealCode, v, &gotG); err != nil {
		t.Fatal(err)
	}
	if !gotG.AuthTime.Equal(g.AuthTime) || !gotG.Expires.Equal(g.Expires) {
		t.Errorf("grant times %v %v, want %v %v", gotG.AuthTime, gotG.Expires, g.AuthTime, g.Expires)
	}
	gotG.AuthTime, gotG.Expires = g.AuthTime, g.Expires
	if !reflect.DeepEqual(gotG, g) {
		t.Errorf("grant:\n%#v\nwant\n%#v", gotG, g)
	}

	bs, _ := sess.appendSealed(nil)
	bg, _ := g.appendSealed(nil)
	for n := range len(bs) + 1 {
		var x idpSession
		if n < len(bs) && x.readSealed(&binReader{b: bs[:n]}) == nil {
			t.Fatalf("session: %d of %d bytes accepted", n, len(bs))
		}
	}
	for n := range len(bg) {
		var x sealedGrant
		if x.readSealed(&binReader{b: bg[:n]}) == nil {
			t.Fatalf("grant: %d of %d bytes accepted", n, len(bg))
		}
	}
	var x idpSession
	if x.readSealed(&binReader{b: append(bs[:len(bs):len(bs)], 0)}) == nil {
		t.Error("session with a trailing byte accepted")
	}
	other := append([]byte{sessionBinV1 + 1}, bs[1:]...)
	if s.unseal("session", sealPlain(s, "session", binaryEnvelope("session", other)), &x) == nil {
		t.Error("session of another version accepted")
	}
	oldSession := `{"p":"session","e":1767312000,"v":{"t":"*DF2KLh87SmydfosqHD1OXw","u":"x","i":1,"s":"*HW6bPypMS32OH5w7LU5fYA","x":1}}`
	if s.unseal("session", sealPlain(s, "session", []byte(oldSession)), &x) == nil {
		t.Error("a session sealed as JSON accepted")
	}
	oldCode := `{"p":"code","v":{"id":"1","app":"a","apt":"t","tid":"t","oid":"u","auth":"2026-01-01T00:00:00Z","exp":"2026-01-01T00:05:00Z"}}`
	var y sealedGrant
	if s.unseal(sealCode, sealPlain(s, sealCode, []byte(oldCode)), &y) == nil {
		t.Error("a code sealed as JSON accepted")
	}
}

// stateRefusals checks that a sealed value (a whole ESTSAUTH value or a code/refresh token
// without its prefix) is answered as Entra answers a value that is not one: no session,
// invalid_grant for a code, "malformed or not valid" for a refresh token; never a panic.
func stateRefusals(t *testing.T, s *Server, v string) {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: v})
	if sess := s.session(r); sess != nil {
		// Only a well-formed session may open; it must have a sid (openSession's check).
		if sess.SID == "" {
			t.Fatalf("session without sid from %q", v)
		}
	}
	if g, _, e := s.openCode(grantPrefix+v, nil); g == nil && (e == nil || e.Status != http.StatusBadRequest || e.OAuth != "invalid_grant") {
		t.Fatalf("code %q: %+v", v, e)
	}
	if g, e := s.openRefresh(grantPrefix+v, nil); g == nil && (e == nil || e.Status != http.StatusBadRequest) {
		t.Fatalf("refresh token %q: %+v", v, e)
	}
}

// TestSealStateRefusals: old JSON values, other versions and garbage behind a valid tag get
// the Entra-shaped refusals of stateRefusals.
func TestSealStateRefusals(t *testing.T) {
	s := stateTestServer(t)
	sess := testSession()
	bs, _ := sess.appendSealed(nil)
	g := testGrant()
	bg, _ := g.appendSealed(nil)
	for _, purpose := range []string{"session", sealCode, sealRefresh} {
		for _, plain := range [][]byte{
			[]byte(`{"p":"` + purpose + `","v":{}}`), []byte(`{"p":"` + purpose + `","v":null}`), {}, {0}, {1, 2, 3},
			binaryEnvelope(purpose, nil), binaryEnvelope(purpose, []byte{9}), binaryEnvelope(purpose, bs[:len(bs)/2]),
			binaryEnvelope(purpose, bg[:len(bg)/2]), binaryEnvelope(purpose, append([]byte{2}, bg[1:]...)),
			binaryEnvelope(purpose, []byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}),
		} {
			stateRefusals(t, s, sealPlain(s, purpose, plain))
		}
	}
	for _, v := range []string{"", "A", "!!", "AQ", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		stateRefusals(t, s, v)
	}
}

// FuzzSealedState: any plaintext behind a valid tag, and any value at all, opens or is
// refused Entra's way, never a panic.
func FuzzSealedState(f *testing.F) {
	sess := testSession()
	bs, _ := sess.appendSealed(nil)
	g := testGrant()
	bg, _ := g.appendSealed(nil)
	f.Add(bs, "")
	f.Add(bg, "")
	f.Add([]byte(`{"p":"session","v":{}}`), "AQ")
	s := stateTestServer(f)
	f.Fuzz(func(t *testing.T, value []byte, raw string) {
		for _, purpose := range []string{"session", sealCode, sealRefresh} {
			stateRefusals(t, s, sealPlain(s, purpose, binaryEnvelope(purpose, value)))
			stateRefusals(t, s, sealPlain(s, purpose, value))
		}
		stateRefusals(t, s, raw)
	})
}
