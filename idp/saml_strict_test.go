package idp_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// strictAuthn is an AuthnRequest for the default app with the root attributes attrs (which
// name the ID and, if any, the Destination).
func strictAuthn(attrs string) string {
	return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` + attrs +
		` Version="2.0" IssueInstant="2025-06-02T09:30:00Z" AssertionConsumerServiceURL="https://sp.example.test/saml/acs"><saml:Issuer>` +
		malIssuer + `</saml:Issuer></samlp:AuthnRequest>`
}

// TestStrictSAMLRequests: a request that is not well-formed (an attribute twice), whose ID is
// not an xs:ID, or whose Destination is not the Login URL it was sent to, is Entra's error
// page with Entra's code — and the sign-in log has the request's fields all the same, for
// the SP-side findings. A browser with a session gets no Response for such a request.
func TestStrictSAMLRequests(t *testing.T) {
	srv := idptest.Start(t)
	tenant := srv.Config().Tenants[0]
	login := srv.LoginURL(tenant)
	b := idptest.NewBrowser(nil)
	// Sign in first (IdP-initiated), so that a request that got through would be answered
	// at once from the session.
	p := mustPage(t)(b.Get(srv.UserAccessURL(tenant, tenant.EnterpriseApps[0])))
	p = mustPage(t)(b.Submit(p, "email-form", map[string]string{"login": "B.Simon@contoso.com"}))
	p = mustPage(t)(b.Submit(p, "password-form", map[string]string{"passwd": "Passw0rd!"}))
	if f, ok := p.Form(""); !ok || f.Fields.Get("SAMLResponse") == "" {
		t.Fatalf("sign-in did not answer:\n%s", p)
	}
	send := func(path, x string) (*idptest.Page, idp.Event) {
		t.Helper()
		before := len(srv.Events())
		p := mustPage(t)(b.Get(srv.URL + path + "?" + url.Values{"SAMLRequest": {malRedirect(t, x)}}.Encode()))
		evs := srv.Events()[before:]
		if len(evs) == 0 {
			t.Fatal("no sign-in log event")
		}
		return p, evs[0]
	}
	saml2 := "/" + malTenant + "/saml2"
	cases := []struct {
		name, path, attrs string
		code              int
		field, value      string // an event field the refusal must still log
		text              string
	}{
		{name: "duplicate ID attribute", attrs: `ID="_first" ID="_second"`, code: 75005, field: "ID", value: "_first"},
		{name: "duplicate Destination attribute", attrs: `ID="_d" Destination="` + login + `" Destination="https://evil.example/"`, code: 75005, field: "Destination", value: login},
		{name: "same attribute under two prefixes", attrs: `ID="_p" xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2"`, code: 75005, field: "ID", value: "_p"},
		{name: "ID starting with a digit", attrs: `ID="6c1c178c166d486687be4aaf5e482730"`, code: 7500529, field: "ID", value: "6c1c178c166d486687be4aaf5e482730",
			text: "6c1c178c166d486687be4aaf5e482730"},
		{name: "ID starting with a hyphen", attrs: `ID="-abc"`, code: 7500529, field: "ID", value: "-abc"},
		{name: "ID starting with a dot", attrs: `ID=".abc"`, code: 7500529, field: "ID", value: ".abc"},
		{name: "ID with a colon", attrs: `ID="id:1"`, code: 7500529, field: "ID", value: "id:1"},
		{name: "ID with a space", attrs: `ID="id 1"`, code: 7500529, field: "ID", value: "id 1"},
		{name: "ID with a slash", attrs: `ID="_a/b"`, code: 7500529, field: "ID", value: "_a/b"},
		{name: "wrong Destination", attrs: `ID="_w" Destination="https://login.microsoftonline.com/` + malTenant + `/saml2"`, code: 75008,
			field: "Destination", value: "https://login.microsoftonline.com/" + malTenant + "/saml2", text: "Received SAML request with an unexpected destination"},
		{name: "Destination of another tenant", attrs: `ID="_o" Destination="` + srv.URL + `/common/saml2"`, code: 75008, field: "IssueInstant", value: "2025-06-02T09:30:00Z"},
		{name: "Destination with a query", attrs: `ID="_q" Destination="` + login + `?x=1"`, code: 75008, field: "Destination", value: login + "?x=1"},
		{name: "relative Destination", attrs: `ID="_r" Destination="` + saml2 + `"`, code: 75008, field: "Destination", value: saml2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.path
			if path == "" {
				path = saml2
			}
			p, ev := send(path, strictAuthn(c.attrs))
			code := "AADSTS" + strconv.Itoa(c.code) + ":"
			if p.Status != 400 || !strings.Contains(p.Body, malErrorText) || !strings.Contains(p.Body, code) || !strings.Contains(p.Body, c.text) {
				t.Errorf("want Entra's %s page with %q:\n%.800s", code, c.text, p)
			}
			if strings.Contains(p.Body, "SAMLResponse") {
				t.Error("a Response was made for the refused request")
			}
			if ev.ErrorCode != c.code || ev.Status != idp.StatusFailure || ev.Request[c.field] != c.value {
				t.Errorf("event: code %d, status %s, %s %q; want %d, failure, %q (request fields %v)",
					ev.ErrorCode, ev.Status, c.field, ev.Request[c.field], c.code, c.value, ev.Request)
			}
		})
	}

	// Good IDs and Destinations are answered from the session at once.
	upper := strings.Replace(login, "http://", "HTTP://", 1)
	for _, ok := range []struct{ name, path, attrs string }{
		{"letter, digits, '-', '.'", saml2, `ID="id6c1c-178c.166d"`},
		{"non-ASCII letters", saml2, `ID="ñandú_1"`},
		{"Destination is the Login URL", saml2, `ID="_l" Destination="` + login + `"`},
		{"Destination without case", saml2, `ID="_u" Destination="` + strings.ToUpper(upper[:len(upper)-len("/saml2")]) + `/saml2"`},
		{"Destination of the verified-domain path it was sent to", "/contoso.com/saml2", `ID="_v" Destination="` + srv.URL + `/contoso.com/saml2"`},
		{"Destination with the tenant GUID, sent to the domain path", "/contoso.com/saml2", `ID="_g" Destination="` + login + `"`},
	} {
		p, ev := send(ok.path, strictAuthn(ok.attrs))
		if f, found := p.Form(""); !found || f.Fields.Get("SAMLResponse") == "" || ev.ErrorCode != 0 {
			t.Errorf("%s: not answered (code %d):\n%.600s", ok.name, ev.ErrorCode, p)
		}
	}
}
