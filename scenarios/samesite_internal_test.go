package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"

	"github.com/ssoharness/ssoharness/reports"
)

const (
	testIdPHost = "login.example.test"
	testSP      = "https://saml.sp.test"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// signInTrace is the trace of an SP-initiated sign-in as the tab records it: the SP's start
// page sets setCookies and redirects to the IdP, the user signs in there, and the IdP's
// answer comes back to the ACS by method, 5s later, carrying sent.
func signInTrace(method string, setCookies []string, sent []sentCookie, sentKnown bool) []docEntry {
	return []docEntry{
		{URL: testSP + "/login?return=/", Method: "GET", Status: 302, Time: t0, SetCookies: setCookies, rejected: true,
			headers: map[string]string{"set-cookie": strings.Join(setCookies, "\n")}},
		{URL: "https://" + testIdPHost + "/tenant/saml2?SAMLRequest=x", Method: "GET", Status: 200, Time: t0.Add(time.Second)},
		{URL: "https://" + testIdPHost + "/tenant/login", Method: "POST", Status: 200, Time: t0.Add(4 * time.Second)},
		{URL: testSP + "/saml/acs", Method: method, Status: 302, Time: t0.Add(5 * time.Second), Sent: sent, sentKnown: sentKnown, Withheld: []string{}},
		{URL: testSP + "/", Method: "GET", Status: 200, Time: t0.Add(6 * time.Second)},
	}
}

func judge(tr []docEntry) sameSiteFinding {
	return judgeSameSite(sameSiteInput{binding: "redirect", trace: tr, ret: returnIndex(tr, testIdPHost), idpHost: testIdPHost, accepted: true, outcome: "accepted"})
}

func wantAll(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// TestSameSiteVerdicts: pass for SameSite=None; Secure, warn for a state cookie without
// SameSite that rode the POST back on Chromium's 2-minute exception, fail for one
// withheld or refused, on traces as the browser records them.
func TestSameSiteVerdicts(t *testing.T) {
	const req = "refsaml_ab12_req_Xyz"
	t.Run("SameSite=None; Secure passes", func(t *testing.T) {
		f := judge(signInTrace("POST", []string{req + "=v; Path=/saml/acs; Max-Age=3600; HttpOnly; Secure; SameSite=None"},
			[]sentCookie{{Name: req, SameSite: "None"}}, true))
		if f.status != reports.StatusPass {
			t.Fatalf("%s: %s / %s", f.status, f.observed, f.diagnosis)
		}
		wantAll(t, "observed", f.observed, req+" (SameSite=None; Secure)", testSP+"/saml/acs")
	})
	t.Run("no SameSite warns: only Chromium's 2-minute Lax+POST window", func(t *testing.T) {
		f := judge(signInTrace("POST", []string{req + "=v; Path=/saml/acs; Max-Age=3600; HttpOnly; Secure"},
			[]sentCookie{{Name: req}}, true))
		if f.status != reports.StatusWarn {
			t.Fatalf("%s: %s / %s", f.status, f.observed, f.diagnosis)
		}
		wantAll(t, "observed", f.observed, req+" (no SameSite)", "2-minute Lax+POST window")
		wantAll(t, "diagnosis", f.diagnosis, req, "no SameSite attribute", "set by "+testSP+"/login 5s before the POST", "within 2 minutes", "MFA", testSP+"/saml/acs")
		wantAll(t, "fix", f.fix, "refsaml", "http.SameSiteNoneMode", "Give "+req+" SameSite=None; Secure. In refsaml")
	})
	t.Run("over plain http the fix starts with HTTPS, except on loopback", func(t *testing.T) {
		for host, https := range map[string]bool{"http://saml.sp.test": true, "http://127.0.0.1:8080": false} {
			tr := signInTrace("POST", []string{req + "=v; Path=/saml/acs"}, []sentCookie{{Name: req}}, true)
			for i := range tr {
				tr[i].URL = strings.Replace(tr[i].URL, testSP, host, 1)
			}
			f := judge(tr)
			if f.status != reports.StatusWarn || strings.HasPrefix(f.fix, "Serve the SP over HTTPS") != https {
				t.Errorf("%s: %s, fix %s", host, f.status, f.fix)
			}
		}
	})
	t.Run("an unknown SameSite value is no SameSite to Chromium", func(t *testing.T) {
		f := judge(signInTrace("POST", []string{req + "=v; Path=/saml/acs; Secure; SameSite=Nope"}, []sentCookie{{Name: req}}, true))
		if f.status != reports.StatusWarn {
			t.Fatalf("%s: %s", f.status, f.observed)
		}
		wantAll(t, "diagnosis", f.diagnosis, "SameSite=Nope, which Chromium ignores")
	})
	t.Run("without the request's ExtraInfo, the Set-Cookie lines decide", func(t *testing.T) {
		f := judge(signInTrace("POST", []string{"gone=; Max-Age=0", req + "=v; Path=/saml/acs; Secure"}, nil, false))
		if f.status != reports.StatusWarn || strings.Contains(f.observed, "gone") {
			t.Fatalf("%s: %s", f.status, f.observed)
		}
	})
	t.Run("a cookie set by script, sent cross-site without SameSite, warns too", func(t *testing.T) {
		f := judge(signInTrace("POST", nil, []sentCookie{{Name: "js_state"}, {Name: "old_pref", SameSite: "None"}}, true))
		if f.status != reports.StatusWarn {
			t.Fatalf("%s: %s", f.status, f.observed)
		}
		wantAll(t, "diagnosis", f.diagnosis, "js_state", "a script or a subresource")
		if strings.Contains(f.diagnosis, "old_pref") {
			t.Errorf("a SameSite=None cookie from before the sign-in is not one it needs: %s", f.diagnosis)
		}
		if f.fix != genericSameSiteFix {
			t.Errorf("fix for an unknown SP: %s", f.fix)
		}
	})
	t.Run("no cookie carried: the state is elsewhere, pass", func(t *testing.T) {
		f := judge(signInTrace("POST", nil, nil, true))
		if f.status != reports.StatusPass || !strings.Contains(f.observed, "not in a cookie") {
			t.Fatalf("%s: %s", f.status, f.observed)
		}
	})
	t.Run("a GET back carries Lax cookies: pass", func(t *testing.T) {
		f := judge(signInTrace("GET", []string{"mod_auth_openidc_state_x=v; Path=/; Secure"}, []sentCookie{{Name: "mod_auth_openidc_state_x"}}, true))
		if f.status != reports.StatusPass || !strings.Contains(f.observed, "top-level GET") {
			t.Fatalf("%s: %s", f.status, f.observed)
		}
	})
	t.Run("withheld after the window: fail, naming the exception", func(t *testing.T) {
		tr := signInTrace("POST", []string{"mod_auth_openidc_state_x=v; Path=/; Secure; HttpOnly"}, nil, true)
		tr[3].Withheld = []string{"mod_auth_openidc_state_x (SameSiteUnspecifiedTreatedAsLax)"}
		tr[3].Time = t0.Add(3 * time.Minute)
		f := judge(tr)
		if f.status != reports.StatusFail || f.observed != "cookie withheld from the POST back" {
			t.Fatalf("%s: %s", f.status, f.observed)
		}
		wantAll(t, "diagnosis", f.diagnosis, "withheld mod_auth_openidc_state_x (SameSiteUnspecifiedTreatedAsLax)", "has no SameSite attribute", "3m0s before the POST", "within 2 minutes")
		wantAll(t, "fix", f.fix, "mod_auth_openidc", "OIDCCookieSameSite")
	})
	t.Run("withheld as Chromium 156 reports it (Schemeful…): fail, naming the exception", func(t *testing.T) {
		tr := signInTrace("POST", []string{req + "=v; Path=/saml/acs; Secure; HttpOnly"}, nil, true)
		tr[3].Withheld = []string{req + " (SchemefulSameSiteUnspecifiedTreatedAsLax)"}
		tr[3].Time = t0.Add(125 * time.Second)
		f := judge(tr)
		if f.status != reports.StatusFail {
			t.Fatalf("%s: %s", f.status, f.observed)
		}
		wantAll(t, "diagnosis", f.diagnosis, req+" has no SameSite attribute (set by "+testSP+"/login 2m5s before the POST)")
	})
	t.Run("a Lax cookie withheld: fail", func(t *testing.T) {
		tr := signInTrace("POST", []string{"JSESSIONID=1; Path=/; Secure; SameSite=Lax"}, nil, true)
		tr[3].Withheld = []string{"JSESSIONID (SameSiteLax)"}
		f := judge(tr)
		if f.status != reports.StatusFail || strings.Contains(f.diagnosis, "no SameSite attribute") {
			t.Fatalf("%s: %s", f.status, f.diagnosis)
		}
		wantAll(t, "fix", f.fix, "server.servlet.session.cookie.same-site=none")
	})
	t.Run("mellon over plain http: SameSite=None refused as not Secure, fail with mellon's fix", func(t *testing.T) {
		tr := signInTrace("POST", []string{"mellon-cookie=cookietest; Version=1; Path=/; SameSite=None"}, nil, true)
		for i := range tr {
			if !strings.Contains(tr[i].URL, testIdPHost) {
				tr[i].URL = strings.Replace(tr[i].URL, "https://", "http://", 1)
			}
		}
		tr[0].Rejected = []string{"mellon-cookie (SameSiteNoneInsecure)"}
		f := judge(tr)
		if f.status != reports.StatusFail || f.observed != "cookie rejected when the SP set it" {
			t.Fatalf("%s: %s", f.status, f.observed)
		}
		wantAll(t, "diagnosis", f.diagnosis, "mellon-cookie", "SameSiteNoneInsecure", "http://saml.sp.test/login")
		wantAll(t, "fix", f.fix, "MELLON_DISABLE_SAMESITE", "MellonSecureCookie On", "2-minute")
	})
	t.Run("a Secure cookie from a plain-http name: fail, serve over HTTPS", func(t *testing.T) {
		tr := signInTrace("POST", []string{"_shibstate_1=x; Path=/; Secure; SameSite=None"}, nil, true)
		tr[0].URL = "http://saml.sp.test/login"
		tr[0].Rejected = []string{"_shibstate_1 (SecureOnly)"}
		f := judge(tr)
		if f.status != reports.StatusFail {
			t.Fatalf("%s", f.status)
		}
		wantAll(t, "diagnosis", f.diagnosis, "only from a secure origin", "(SecureOnly)")
		wantAll(t, "fix", f.fix, "Serve the SP over HTTPS", "Shibboleth SP", "sameSiteSession")
	})
	t.Run("an unknown SP refused for SameSiteNoneInsecure: the general advice", func(t *testing.T) {
		tr := signInTrace("POST", []string{"st=1; Path=/; SameSite=None"}, nil, true)
		tr[0].Rejected = []string{"st (SameSiteNoneInsecure)"}
		f := judge(tr)
		if f.status != reports.StatusFail {
			t.Fatalf("%s", f.status)
		}
		wantAll(t, "fix", f.fix, "Serve the SP over HTTPS", "2-minute")
	})
}

// TestSameSiteFixPerSP: the warn's fix names the recognised SP's own setting.
func TestSameSiteFixPerSP(t *testing.T) {
	for _, tc := range []struct {
		cookie  string
		headers map[string]string
		sp      string
		setting []string
	}{
		{"mellon-cookie", nil, "mod_auth_mellon", []string{"MellonCookieSameSite None", "MellonSecureCookie On"}},
		{"_shibstate_1700000000_ab12", nil, "Shibboleth SP", []string{"sameSiteSession=\"None\"", "cookieProps=\"https\"", "shibboleth2.xml", "<Sessions"}},
		{"_shibsession_64656661756c74", nil, "Shibboleth SP", []string{"sameSiteSession"}},
		{"mod_auth_openidc_state_Xyz", nil, "mod_auth_openidc", []string{"OIDCCookieSameSite"}},
		{"mod_auth_openidc_session", nil, "mod_auth_openidc", []string{"OIDCCookieSameSite"}},
		{"_oauth2_proxy_csrf", nil, "oauth2-proxy", []string{"--cookie-samesite=none", "--cookie-secure=true"}},
		{"_oauth2_proxy_csrf_abc", nil, "oauth2-proxy", []string{"--cookie-samesite=none"}},
		{".AspNetCore.Correlation.OpenIdConnect.abc", nil, "ASP.NET Core", []string{"SameSiteMode.None", "CorrelationCookie"}},
		{".AspNetCore.OpenIdConnect.Nonce.abc", nil, "ASP.NET Core", []string{"SameSiteMode.None", "NonceCookie"}},
		{"OpenIdConnect.nonce.abc", nil, "ASP.NET (System.Web, OWIN)", []string{"sameSite=\"None\"", "SameSiteCookieManager"}},
		{"JSESSIONID", nil, "Spring Security", []string{"server.servlet.session.cookie.same-site=none"}},
		{"connect.sid", nil, "express-session", []string{"sameSite: 'none'", "secure: true"}},
		{"sid", map[string]string{"x-powered-by": "Express"}, "express-session", []string{"sameSite: 'none'"}},
		{"SimpleSAMLSessionID", nil, "SimpleSAMLphp", []string{"session.cookie.samesite"}},
		{"PHPSESSID", nil, "PHP sessions", []string{"session.cookie_samesite = None"}},
		{"saml_AbCd", nil, "crewjam/saml", []string{"CookieSameSite: http.SameSiteNoneMode"}},
		{"refsaml_ab12_req_Xyz", nil, "refsaml", []string{"http.SameSiteNoneMode"}},
		{"refoidc_login", nil, "refoidc", []string{"SameSite=None; Secure"}},
		{"state", nil, "go-oidc", []string{"http.SameSiteNoneMode"}},
		{"someapp_state", nil, "", []string{genericSameSiteFix}},
	} {
		t.Run(tc.cookie, func(t *testing.T) {
			tr := signInTrace("POST", []string{tc.cookie + "=v; Path=/; Secure; HttpOnly"}, []sentCookie{{Name: tc.cookie}}, true)
			for k, v := range tc.headers {
				tr[0].headers[k] = v
			}
			f := judge(tr)
			if f.status != reports.StatusWarn {
				t.Fatalf("%s: %s", f.status, f.observed)
			}
			wantAll(t, "fix", f.fix, append([]string{tc.sp}, tc.setting...)...)
			wantAll(t, "diagnosis", f.diagnosis, tc.cookie)
		})
	}
}

// TestRecogniseSP: the cookies the sign-in needs decide before the SP's other cookies, and
// cookie names before headers.
func TestRecogniseSP(t *testing.T) {
	if p := recogniseSP([]string{"mellon-cookie"}, []string{"JSESSIONID", "mellon-cookie"}, nil); p == nil || p.name != "mod_auth_mellon" {
		t.Errorf("needed mellon-cookie: %v", p)
	}
	if p := recogniseSP([]string{"st"}, []string{"st", "_shibsession_x"}, nil); p == nil || p.name != "Shibboleth SP" {
		t.Errorf("another cookie of the SP: %v", p)
	}
	if p := recogniseSP([]string{"connect.sid"}, nil, map[string][]string{"x-powered-by": {"PHP/8.2"}}); p == nil || !strings.HasPrefix(p.name, "express") {
		t.Errorf("cookie before header: %v", p)
	}
	if p := recogniseSP([]string{"x"}, nil, map[string][]string{"x-powered-by": {"PHP/8.2"}}); p == nil || p.name != "PHP sessions" {
		t.Errorf("header: %v", p)
	}
	if p := recogniseSP([]string{"x"}, []string{"y"}, nil); p != nil {
		t.Errorf("unknown: %v", p.name)
	}
	for _, p := range spCookieProfiles {
		if p.name == "" || p.fix == "" || len(p.cookies) == 0 {
			t.Errorf("incomplete profile %+v", p)
		}
	}
}

func TestInsecureOrigin(t *testing.T) {
	for u, want := range map[string]bool{
		"http://saml.sp.test/acs": true, "https://saml.sp.test/acs": false, "http://127.0.0.1:8080/acs": false,
		"http://localhost:8080/acs": false, "http://app.localhost/acs": false, "http://[::1]:8080/acs": false, "http://10.0.0.5/acs": true,
	} {
		if got := insecureOrigin(u); got != want {
			t.Errorf("insecureOrigin(%s) = %v", u, got)
		}
	}
}

func TestParseSetCookie(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		line string
		want setCookieLine
	}{
		{"a=b; Path=/; Secure; HttpOnly; SameSite=None", setCookieLine{name: "a", sameSite: "None", secure: true}},
		{"a=b; samesite=lax", setCookieLine{name: "a", sameSite: "Lax"}},
		{"a=b; SameSite=Strict; secure", setCookieLine{name: "a", sameSite: "Strict", secure: true}},
		{"a=b; Path=/", setCookieLine{name: "a"}},
		{"a=b; SameSite", setCookieLine{name: "a", raw: "SameSite="}},
		{"a=; Max-Age=0", setCookieLine{name: "a", deleted: true}},
		{"a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", setCookieLine{name: "a", deleted: true}},
		{"a=; Expires=Thu, 01-Jan-1970 00:00:00 GMT", setCookieLine{name: "a", deleted: true}},
		{"a=b; Expires=Fri, 01 Jan 2027 00:00:00 GMT; Max-Age=60", setCookieLine{name: "a"}},
	} {
		if got := parseSetCookie(tc.line, at); got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.line, got, tc.want)
		}
	}
}

// TestTabRecordsCookies: what the tab keeps of the ExtraInfo events, as Chromium 156 sends
// them (recorded with a probe: a cookie without SameSite, sent on a cross-site POST at
// once, withheld 2m5s later as SchemefulSameSiteUnspecifiedTreatedAsLax; an HTTP/2
// response's headers in lower case with Set-Cookie lines joined by "\n").
func TestTabRecordsCookies(t *testing.T) {
	tb := &tab{extra: map[network.RequestID][]*network.EventRequestWillBeSentExtraInfo{}, resp: map[network.RequestID][]*network.EventResponseReceivedExtraInfo{}}
	tb.extra["r"] = []*network.EventRequestWillBeSentExtraInfo{{RequestID: "r", AssociatedCookies: []*network.AssociatedCookie{
		{Cookie: &network.Cookie{Name: "fresh"}, ExemptionReason: network.CookieExemptionReasonNone},
		{Cookie: &network.Cookie{Name: "none", SameSite: network.CookieSameSiteNone}},
		{Cookie: &network.Cookie{Name: "probe"}, BlockedReasons: []network.CookieBlockedReason{network.CookieBlockedReasonSchemefulSameSiteUnspecifiedTreatedAsLax}, ExemptionReason: network.CookieExemptionReasonNone},
		{Cookie: &network.Cookie{Name: "elsewhere"}, BlockedReasons: []network.CookieBlockedReason{network.CookieBlockedReasonDomainMismatch}},
	}}}
	tb.resp["r"] = []*network.EventResponseReceivedExtraInfo{{RequestID: "r", Headers: network.Headers{
		"server": "Apache", "set-cookie": "a=1; Path=/; Secure; SameSite=None\nb=2; Path=/",
	}}}
	d := &docEntry{id: "r"}
	tb.attachExtra(d)
	tb.attachResponseExtra(d)
	if len(d.Sent) != 2 || d.Sent[0] != (sentCookie{Name: "fresh"}) || d.Sent[1] != (sentCookie{Name: "none", SameSite: "None"}) || !d.sentKnown {
		t.Errorf("sent %+v", d.Sent)
	}
	if len(d.Withheld) != 1 || d.Withheld[0] != "probe (SchemefulSameSiteUnspecifiedTreatedAsLax)" {
		t.Errorf("withheld %v", d.Withheld)
	}
	if len(d.SetCookies) != 2 || d.SetCookies[1] != "b=2; Path=/" || d.headers["server"] != "Apache" {
		t.Errorf("set-cookies %q, headers %v", d.SetCookies, d.headers)
	}
}
