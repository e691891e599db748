package load

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The mock's sign-in page, password step with an error (as idp/templates/login.html renders
// it).
const mockPasswordPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title>
<style>.error{color:#e81123}</style></head><body><div class="box"><div class="logo">Microsoft</div>
<div id="identity">B.Simon@contoso.com</div>
<h1>Enter password</h1>
<form id="password-form" method="post" action="/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/login">
<input type="hidden" name="ctx" value="abc&amp;def">
<input type="hidden" name="step" value="password">
<input type="hidden" name="login" value="B.Simon@contoso.com">
<div class="error" id="passwordError" data-aadsts="50126">Your account or password is incorrect. If you don't remember your password, reset it now.</div>
<input type="password" id="i0118" name="passwd" placeholder="Password" autocomplete="current-password" autofocus>
<input type="submit" id="idSIButton9" value="Sign in">
</form>
<div class="details">Request Id: 1d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6<br>AADSTS50126</div>
</div></body></html>`

func TestParseMockSignInPage(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:7443/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/saml2?SAMLRequest=x")
	p := parsePage(base, []byte(mockPasswordPage))
	if len(p.forms) != 1 {
		t.Fatalf("%d forms", len(p.forms))
	}
	f := p.forms[0]
	if f.id != "password-form" || f.method != "POST" || f.action != "http://127.0.0.1:7443/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/login" {
		t.Errorf("form %q %s %s", f.id, f.method, f.action)
	}
	if got := f.values().Encode(); got != "ctx=abc%26def&login=B.Simon%40contoso.com&passwd=&step=password" {
		t.Errorf("fields %s (the submit button must not be one)", got)
	}
	if f.credentialKind() != LoginPassword {
		t.Errorf("kind %v", f.credentialKind())
	}
	f.fill("someone@else", "pw")
	if f.get("passwd") != "pw" || f.get("login") != "B.Simon@contoso.com" {
		t.Errorf("fill: passwd %q login %q (a hidden login keeps its value)", f.get("passwd"), f.get("login"))
	}
	if p.autoSubmit {
		t.Error("the sign-in page does not submit itself")
	}
	if p.title != "Sign in to your account" || strings.Contains(p.text, "e81123") {
		t.Errorf("title %q text %q", p.title, p.text)
	}
	want := "AADSTS50126: Your account or password is incorrect. If you don't remember your password, reset it now."
	if got := p.problem(); got != want {
		t.Errorf("problem() = %q, want %q", got, want)
	}
}

func TestParseEmailStep(t *testing.T) {
	p := parsePage(nil, []byte(`<form id="email-form" method="post" action="/common/login">
<input type="hidden" name="ctx" value="c1"><input type="hidden" name="step" value="email">
<input type="email" id="i0116" name="login" value="" placeholder="Email"><input type="submit" value="Next"></form>`))
	f := p.forms[0]
	if f.credentialKind() != LoginForm {
		t.Fatalf("kind %v, want the user step", f.credentialKind())
	}
	f.fill("B.Simon@contoso.com", "pw")
	if f.get("login") != "B.Simon@contoso.com" || f.has("passwd") || f.action != "/common/login" {
		t.Errorf("after fill: %v (action %s)", f.values(), f.action)
	}
}

// A saml-idp-like user form: selects, a textarea, checkboxes, buttons, and a second form.
func TestParseAttributeForm(t *testing.T) {
	p := parsePage(nil, []byte(`<form action="/signin" method="post" class="form-profile">
<input class="form-control" id="userName" name="userName" required="" value="saml.jackson@example.com">
<select class="form-control" id="nameIdFormat" name="nameIdFormat">
  <option>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</option>
  <option>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</option>
</select>
<select name="userType"><option>
   Admin
 </option><option selected>Editor</option></select>
<select name="lang"><option value="en">English</option><option value="fr" selected>French</option></select>
<textarea name="bio">
line one &amp; two</textarea>
<input type="checkbox" name="remember" checked><input type="checkbox" name="spam" value="yes">
<input type="radio" name="r" value="a"><input type="radio" name="r" value="b" checked>
<input name="off" value="x" disabled>
<input type="text" name="email" value="old@example.com">
<button id="btn-sign-in" class="btn btn-primary" type="submit">Sign in</button>
<input name="_authnRequest" type='hidden' value='eyJpZCI6Il8xIn0='>
</form>
<form class="form-horizontal"><input name="attributeName" type="text"></form>
<script>$('#x').click(function(){});</script>`))
	if len(p.forms) != 2 {
		t.Fatalf("%d forms", len(p.forms))
	}
	f := p.forms[0]
	want := map[string]string{
		"userName": "saml.jackson@example.com", "nameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"userType": "Editor", "lang": "fr", "bio": "line one & two", "remember": "on", "r": "b",
		"email": "old@example.com", "_authnRequest": "eyJpZCI6Il8xIn0=",
	}
	got := f.values()
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.Get(k), v)
		}
	}
	for _, k := range []string{"spam", "off"} {
		if got.Has(k) {
			t.Errorf("%s submitted", k)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v", got)
	}
	if f.credentialKind() != LoginForm {
		t.Errorf("kind %v", f.credentialKind())
	}
	f.fill("B.Simon@contoso.com", "pw")
	if f.get("userName") != "B.Simon@contoso.com" || f.get("email") != "B.Simon@contoso.com" || f.get("_authnRequest") != "eyJpZCI6Il8xIn0=" {
		t.Errorf("after fill: %v", f.values())
	}
	if p.forms[1].method != "GET" {
		t.Errorf("a form without method is GET, got %s", p.forms[1].method)
	}
	if p.autoSubmit {
		t.Error("not an auto-posting page")
	}
}

func TestParseAutoPost(t *testing.T) {
	for name, body := range map[string]string{
		"mock": `<html><body onload="document.forms[0].submit()"><form method="POST" name="hiddenform" action="https://sp.example.test/saml/acs">
<input type="hidden" name="SAMLResponse" value="PHNhbWxwOlJlc3BvbnNlLz4="><input type="hidden" name="RelayState" value="r&amp;1">
<noscript><input type="submit" value="Submit"></noscript></form></body></html>`,
		"saml-idp": `<html><head><title>Keep Calm and Single Sign-On!</title></head><body>
<form method="post" name="hiddenform" action="https://sp.example.test/saml/acs">
<input type="hidden" name="SAMLResponse" value="PHNhbWxwOlJlc3BvbnNlLz4=">
<input type="hidden" name="RelayState" value="r&amp;1"></form>
<script language="javascript" type="text/javascript">window.setTimeout(function(){document.forms[0].submit();}, 0);</script></body></html>`,
	} {
		p := parsePage(nil, []byte(body))
		if !p.autoSubmit || len(p.forms) != 1 {
			t.Fatalf("%s: autoSubmit %v, %d forms", name, p.autoSubmit, len(p.forms))
		}
		f := p.forms[0]
		if f.method != "POST" || f.action != "https://sp.example.test/saml/acs" || f.get("SAMLResponse") != "PHNhbWxwOlJlc3BvbnNlLz4=" || f.get("RelayState") != "r&1" {
			t.Errorf("%s: %s %s %v", name, f.method, f.action, f.values())
		}
		if f.credentialKind() != LoginNone {
			t.Errorf("%s: kind %v", name, f.credentialKind())
		}
	}
}

func TestProblem(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`<title>Sign in to your account</title><h1 id="heading">Sign in</h1><div id="error-page" data-aadsts="50105">
<p>Sorry, but we’re having trouble signing you in.</p>
<p id="error-message">AADSTS50105: Your administrator has configured the application Contoso SAML App to block users. Please contact your admin.</p>
<div class="details">Request Id: <span>x</span></div></div>`,
			"AADSTS50105: Your administrator has configured the application Contoso SAML App to block users."},
		{`<title>Error</title><h1>Internal Server Error</h1><p>boom</p>`, "Error: Internal Server Error boom"},
		{`<div class="alert-danger">SAML AuthnRequest Parse Error: bad</div>`, "SAML AuthnRequest Parse Error: bad"},
	} {
		if got := parsePage(nil, []byte(tc.body)).problem(); got != tc.want {
			t.Errorf("problem() = %q, want %q", got, tc.want)
		}
	}
}

func jws(header, payload string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(header)) + "." + e([]byte(payload)) + "." + e([]byte("signature-bytes"))
}

func TestCountJWS(t *testing.T) {
	e := base64.RawURLEncoding.EncodeToString
	rs256 := jws(`{"typ":"JWT","alg":"RS256","kid":"k1"}`, `{"sub":"x"}`)
	graph := jws(`{"typ":"JWT","nonce":"abc","alg":"RS256"}`, `{"aud":"00000003-0000-0000-c000-000000000000"}`)
	for _, tc := range []struct {
		tok  string
		want bool
	}{
		{rs256, true},
		{graph, true},
		{jws(`{"alg":"none"}`, `{}`), false},
		{jws(`{"alg":"NONE"}`, `{}`), false},
		{e([]byte(`{"alg":"none"}`)) + "." + e([]byte(`{}`)) + ".", false}, // unsecured JWT
		{jws(`{"typ":"JWT"}`, `{}`), false},                                // no alg
		{jws(`not json`, `{}`), false},
		{rs256 + ".x.y", false}, // five parts: JWE
		{"1.AXYZabc_-", false},  // the mock's opaque code
		{"6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", false},
		{"a.b.c", false}, // base64 but no JSON header
		{"", false},
		{rs256 + "==", true}, // trailing padding is tolerated
	} {
		if got := isJWS(tc.tok); got != tc.want {
			t.Errorf("isJWS(%.40q) = %v, want %v", tc.tok, got, tc.want)
		}
	}
	if n := countJWS("1.Acode", rs256, graph, "", "refresh-opaque"); n != 2 {
		t.Errorf("countJWS = %d, want 2", n)
	}
	var claims struct {
		Nonce string `json:"nonce"`
	}
	if err := jwtClaims(jws(`{"alg":"RS256"}`, `{"nonce":"n-1"}`), &claims); err != nil || claims.Nonce != "n-1" {
		t.Errorf("jwtClaims: %v %q", err, claims.Nonce)
	}
}

func TestCheckSAMLResponse(t *testing.T) {
	const ok = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" InResponseTo="_req1" Version="2.0">
<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/t/</Issuer>
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a"><Issuer>x</Issuer>
<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature></Assertion></samlp:Response>`
	if n, err := checkSAMLResponse([]byte(ok), "_req1"); err != nil || n != 2 {
		t.Errorf("ok: %d, %v; want 2 signatures", n, err)
	}
	if _, err := checkSAMLResponse([]byte(ok), "_other"); err == nil || !strings.Contains(err.Error(), "InResponseTo") {
		t.Errorf("wrong InResponseTo: %v", err)
	}
	const failed = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" InResponseTo="_req1"><samlp:Status>
<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode>
<samlp:StatusMessage>AADSTS50105: not assigned&#xD;
Trace ID: 1</samlp:StatusMessage></samlp:Status></samlp:Response>`
	if _, err := checkSAMLResponse([]byte(failed), "_req1"); err == nil || err.Error() != "SAML Response status Requester: AADSTS50105: not assigned" {
		t.Errorf("failed status: %v", err)
	}
	for _, bad := range []string{
		`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`,
		`not xml <`,
		``,
		`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`,
	} {
		if _, err := checkSAMLResponse([]byte(bad), ""); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestErrorTally(t *testing.T) {
	var tally errorTally
	for i := range 5 {
		tally.add(errors.New("AADSTS50126: incorrect. Request Id: " + []string{
			"0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", "1d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6"}[i%2]))
	}
	tally.add(errors.New("GET http://127.0.0.1:4001/x: connection refused"))
	tally.add(errors.New("GET http://127.0.0.1:4002/x: connection refused"))
	tally.add(errors.New("other"))
	top, more := tally.top(2)
	if len(top) != 2 || top[0].Count != 5 || top[1].Count != 2 || more != 1 {
		t.Errorf("top = %+v, more %d", top, more)
	}
	if !strings.Contains(top[0].Message, "0c1d2e3f") {
		t.Errorf("the first message is kept as it was: %q", top[0].Message)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i))
	}
	if p := percentile(d, 50); p != 100 {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(d, 99); p != 198 {
		t.Errorf("p99 = %v", p)
	}
	if p := percentile(d[:1], 99); p != 1 {
		t.Errorf("p99 of one = %v", p)
	}
}

func TestRunResultLine(t *testing.T) {
	rr := RunResult{Protocol: ProtocolSAML, Flavor: "entra", Concurrency: 8, Window: 10 * time.Second, SignIns: 4213,
		Rate: 421.3, P50: 18200 * time.Microsecond, P99: 41 * time.Millisecond, CPUMeasured: true,
		ServerCPUPerSignIn: 1410 * time.Microsecond, SignaturesPerSignIn: 1, SigsMin: 1, SigsMax: 1,
		SignatureCost: 1120 * time.Microsecond, Overhead: 1.2589}
	want := "entra              saml c=8    10.0s    4213 sign-ins    421.3/s  p50   18.2ms  p99   41.0ms  errors 0  server CPU 1.41 ms/sign-in  sigs/sign-in 1  RSA-2048 sign 1.120 ms  overhead 1.26×"
	if got := rr.Line(); got != want {
		t.Errorf("Line() =\n%s\nwant\n%s", got, want)
	}
	rr.CPUMeasured, rr.Overhead = false, 0
	if got := rr.Line(); !strings.Contains(got, "server CPU n/a") || !strings.Contains(got, "overhead n/a") {
		t.Errorf("unmeasured: %s", got)
	}
}

func TestFlavorByName(t *testing.T) {
	for _, n := range FlavorNames() {
		f, err := FlavorByName(n)
		if err != nil || f.Name != n || (f.SAML == nil && f.OIDC == nil) || f.ReadyPath == "" {
			t.Errorf("FlavorByName(%s) = %+v, %v", n, f, err)
		}
	}
	if _, err := FlavorByName("keycloak"); err == nil {
		t.Error("unknown flavor accepted")
	}
	a, b := Entra(), Entra()
	a.SAML.ACSURL = "changed"
	if b.SAML.ACSURL == "changed" {
		t.Error("flavors share state")
	}
}
