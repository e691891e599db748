package idp

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestPostFormPageMatchesTemplate holds the assembled auto-post page to post.html's output,
// for field values and actions with everything the template escapes (and what it does not).
func TestPostFormPageMatchesTemplate(t *testing.T) {
	if postParts() == nil {
		t.Fatal("post.html could not be cut at its values; the page is rendered by the template every time")
	}
	s := &Server{}
	values := []string{"", "PHNhbWxwOlJlc3BvbnNlIElEPSJf+/=", `a"b&c'd+e<f>g`, "\x00nul", "zoë 日本 😀", "bad\xff\xfeutf8",
		"\ufdd0\ufffe\uffff", "tab\tnl\ncr\r", "javascript:alert(1)", "https://sp.example.test/acs?a=1&b=2#f"}
	actions := []string{"https://sp.example.test/saml/acs", "https://sp.example.test/acs?a=1&b=<2>&c=\"3\"",
		"http://localhost:8080/signin-oidc", "javascript:alert(1)", "https://sp.example.test/ä ö?x=y z", "", "/relative'path+x"}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() string {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	for i := 0; i < 400; i++ {
		action := actions[i%len(actions)]
		if i%11 == 10 {
			action = random()
		}
		var fields, plain []formField
		for j := 0; j < i%4; j++ {
			f := formField{Name: values[(i+j)%len(values)], Value: values[(i*3+j)%len(values)]}
			switch (i + j) % 5 {
			case 0:
				f.Value = random()
			case 1:
				f.Value, f.b64 = "", []byte(random()+values[i%len(values)]) // a SAML message, Base64-encoded in place
			}
			fields = append(fields, f)
			plain = append(plain, formField{Name: f.Name, Value: f.value()})
		}
		for round := 0; round < 2; round++ { // the second round uses the cached action
			var want bytes.Buffer
			if err := pages.ExecuteTemplate(&want, "post.html", postForm{Action: action, Fields: plain}); err != nil {
				t.Fatal(err)
			}
			if got := s.postFormPage(action, fields); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("action %q fields %q:\n got: %s\nwant: %s", action, fields, got, want.Bytes())
			}
		}
	}
}

// TestLoginPageCacheMatchesTemplate: login.html served from the cache (the first and later
// renders) is the template's output, for both steps and awkward app names and logins; error
// pages and odd handles bypass the cache.
func TestLoginPageCacheMatchesTemplate(t *testing.T) {
	s := &Server{}
	rng := rand.New(rand.NewPCG(5, 6))
	hex := func() string {
		const digits = "0123456789abcdef"
		b := make([]byte, 32)
		for i := range b {
			b[i] = digits[rng.IntN(16)]
		}
		return string(b)
	}
	apps := []string{"", "Contoso SAML App", `R&D <"app"> 'x' + ü`, "\x00\ufdd0\ufffe"}
	logins := []string{"", "B.Simon@contoso.com", `a"b'c<d>&e+f@x`, "zoë@日本.example"}
	actions := []string{"/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/login", "/common/login", "javascript:x", "/a b?c=<d>&e"}
	cached := 0
	for i := 0; i < 600; i++ {
		p := loginPage{Action: actions[i%len(actions)], Ctx: hex(), AppName: apps[(i/4)%len(apps)], Login: logins[(i/16)%len(logins)],
			Step: []string{"email", "password"}[i%2]}
		switch i % 13 {
		case 5:
			p.ErrorCode, p.ErrorText, p.RequestID, p.Correlated = 50126, "Your account or password is incorrect.", hex(), hex()
		case 7:
			p.Ctx = `not"hex&`
		case 9:
			p.Ctx = ""
		}
		var want bytes.Buffer
		if err := pages.ExecuteTemplate(&want, "login.html", p); err != nil {
			t.Fatal(err)
		}
		got := s.loginPages.render(p)
		if got == nil {
			if p.ErrorCode == 0 && i%13 != 7 && i%13 != 9 {
				t.Fatalf("page %+v not served from the cache", p)
			}
			continue
		}
		cached++
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("page %+v:\n got: %s\nwant: %s", p, got, want.Bytes())
		}
	}
	if cached < 400 {
		t.Fatalf("only %d pages came from the cache", cached)
	}
}
