package idp

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkSSO is a SAML sign-in of a browser that has an IdP session already (single
// sign-on): one AuthnRequest answered with the Response, the session cookie opened (once,
// session_request.go) and re-issued only when the app is new to the session.
func BenchmarkSSO(b *testing.B) {
	s := benchServer(b)
	_, app, _ := benchTenantApp(b, s)
	ssoURL := mustURL(benchBase + "/" + benchTenant + "/saml2?" + benchAuthnQuery())
	loginURL := mustURL(benchBase + "/" + benchTenant + "/login")
	ctx := flowCtx(b, serve(s, get(ssoURL)))
	serve(s, post(loginURL, emailBody(ctx)))
	w := serve(s, post(loginURL, passwordBody(ctx)))
	var session string
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			session = c.Name + "=" + c.Value
		}
	}
	if session == "" {
		b.Fatal("no session cookie")
	}
	var last []byte
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNow()
	for i := 0; i < b.N; i++ {
		r := get(ssoURL)
		r.Header = http.Header{"Cookie": {benchBrowser + "; " + session}}
		w := serve(s, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "SAMLResponse") {
			b.Fatalf("SSO: %d %.300s", w.Code, w.Body.Bytes())
		}
		last = w.Body.Bytes()
	}
	cpu := cpuNow() - cpu0
	reportSignIn(b, cpu, samlSignatures(b, last), s.signerOf(s.activeKey(app)))
}
