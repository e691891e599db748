package idp_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The default directory's tenant and SAML app (idp/default.yaml).
const (
	malTenant = "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"
	malIssuer = "https://sp.example.test/saml/metadata"
)

// malErrorText is the first line of Entra's error page (with its typographic apostrophe).
const malErrorText = "Sorry, but we’re having trouble signing you in."

func malDeflate(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// malRedirect is the HTTP-Redirect encoding of an XML message.
func malRedirect(t testing.TB, x string) string {
	return base64.StdEncoding.EncodeToString(malDeflate(t, []byte(x)))
}

func malPOST(x string) string { return base64.StdEncoding.EncodeToString([]byte(x)) }

// malAuthnRequest is a well-formed AuthnRequest for the default app, with body spliced in
// front of the root element (for DOCTYPEs) and extra inside it.
func malAuthnRequest(prolog, inner string) string {
	return prolog + `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_4f0b1a9e2c6d4e8f" Version="2.0" IssueInstant="2025-06-02T09:30:00Z" AssertionConsumerServiceURL="https://sp.example.test/saml/acs"><saml:Issuer>` +
		malIssuer + inner + `</saml:Issuer></samlp:AuthnRequest>`
}

const billionLaughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>`

const externalEntity = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`

// malBomb is 100 MB of zeros, deflated (about 100 KB): the Redirect binding's inflate step
// must stop at its cap instead of allocating the lot.
func malBomb(t testing.TB) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 100 {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

type malCase struct {
	name   string
	method string
	path   string // default /{tenant}/saml2
	query  url.Values
	body   io.Reader // raw POST body (form-encoded unless contentType says otherwise)
	form   url.Values
	code   int // expected AADSTS code
	// notInBody must not appear in the page (e.g. what an external entity would have read).
	notInBody string
}

func TestMalformedSAMLRequests(t *testing.T) {
	srv := idptest.Start(t)
	saml2 := "/" + malTenant + "/saml2"
	hugeForm := "SAMLRequest=" + strings.Repeat("A", 2<<20)            // > 1 MiB body cap
	bigRequest := "SAMLRequest=" + strings.Repeat("QUFB", 230<<10/3*3) // < 1 MiB body, > 256 KiB decoded
	cases := []malCase{
		{name: "redirect/bad base64", method: "GET", query: url.Values{"SAMLRequest": {"%%% not base64 !!!"}}, code: 75005},
		{name: "post/bad base64", method: "POST", form: url.Values{"SAMLRequest": {"<xml/> not base64"}}, code: 75005},
		// 0xff: BTYPE 11, a reserved block type, so inflate must fail at the first byte.
		{name: "redirect/bad deflate", method: "GET", query: url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0xfd, 0x00, 0x13})}}, code: 75005},
		{name: "redirect/plain XML instead of deflate", method: "GET", query: url.Values{"SAMLRequest": {malPOST(malAuthnRequest("", ""))}}, code: 75005},
		// 100 MB of zeros deflate to ~100 KB: a query string Entra refuses before decoding it.
		{name: "redirect/deflate bomb 100MB", method: "GET", query: url.Values{"SAMLRequest": {malBomb(t)}}, code: 90015},
		{name: "redirect/RelayState over 8 KiB", method: "GET", query: url.Values{"SAMLRequest": {malRedirect(t, malAuthnRequest("", ""))}, "RelayState": {strings.Repeat("r", 8<<10+1)}}, code: 90015},
		{name: "post/RelayState over 8 KiB", method: "POST", form: url.Values{"SAMLRequest": {malPOST(malAuthnRequest("", ""))}, "RelayState": {strings.Repeat("r", 8<<10+1)}}, code: 90015},
		{name: "redirect/billion laughs", method: "GET", query: url.Values{"SAMLRequest": {malRedirect(t, malAuthnRequest(billionLaughs, "&lol9;"))}}, code: 75005},
		{name: "post/billion laughs", method: "POST", form: url.Values{"SAMLRequest": {malPOST(malAuthnRequest(billionLaughs, "&lol9;"))}}, code: 75005},
		{name: "post/external entity", method: "POST", form: url.Values{"SAMLRequest": {malPOST(malAuthnRequest(externalEntity, "&xxe;"))}}, code: 75005, notInBody: "root:"},
		{name: "redirect/external entity", method: "GET", query: url.Values{"SAMLRequest": {malRedirect(t, malAuthnRequest(externalEntity, "&xxe;"))}}, code: 75005, notInBody: "root:"},
		{name: "post/doctype without entities", method: "POST", form: url.Values{"SAMLRequest": {malPOST(malAuthnRequest(`<!DOCTYPE samlp:AuthnRequest>`, ""))}}, code: 75005},
		{name: "post/body over 1 MiB", method: "POST", body: strings.NewReader(hugeForm), code: 75005},
		{name: "post/SAMLRequest over 256 KiB decoded", method: "POST", body: strings.NewReader(bigRequest), code: 75005},
		{name: "post/invalid XML (truncated)", method: "POST", form: url.Values{"SAMLRequest": {malPOST(malAuthnRequest("", "")[:120])}}, code: 75005},
		{name: "redirect/invalid XML (not XML)", method: "GET", query: url.Values{"SAMLRequest": {malRedirect(t, "hello, this is not XML")}}, code: 75005},
		{name: "post/invalid XML (mismatched tags)", method: "POST", form: url.Values{"SAMLRequest": {malPOST(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><a></b></samlp:AuthnRequest>`)}}, code: 75005},
		{name: "post/empty XML", method: "POST", form: url.Values{"SAMLRequest": {malPOST("   ")}}, code: 75005},
		{name: "post/wrong root (Assertion)", method: "POST", form: url.Values{"SAMLRequest": {malPOST(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0"/>`)}}, code: 75005},
		{name: "redirect/wrong root (Response)", method: "GET", query: url.Values{"SAMLRequest": {malRedirect(t, `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0"/>`)}}, code: 75005},
		{name: "post/wrong root (no namespace)", method: "POST", form: url.Values{"SAMLRequest": {malPOST(`<AuthnRequest ID="_a" Version="2.0"><Issuer>` + malIssuer + `</Issuer></AuthnRequest>`)}}, code: 75005},
		{name: "redirect/missing SAMLRequest", method: "GET", query: url.Values{"RelayState": {"abc"}}, code: 750054},
		{name: "redirect/empty SAMLRequest", method: "GET", query: url.Values{"SAMLRequest": {""}}, code: 750054},
		{name: "post/missing SAMLRequest", method: "POST", form: url.Values{"RelayState": {"abc"}}, code: 75005},
		{name: "redirect/unknown tenant GUID", method: "GET", path: "/00000000-1111-4222-8333-444444444444/saml2", query: url.Values{"SAMLRequest": {malRedirect(t, malAuthnRequest("", ""))}}, code: 90002},
		{name: "post/unknown tenant domain", method: "POST", path: "/fabrikam.onmicrosoft.com/saml2", form: url.Values{"SAMLRequest": {malPOST(malAuthnRequest("", ""))}}, code: 90002},
	}
	seen := map[int]int{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.path
			if path == "" {
				path = saml2
			}
			u := srv.URL + path
			if c.query != nil {
				u += "?" + c.query.Encode()
			}
			body := c.body
			if c.form != nil {
				body = strings.NewReader(c.form.Encode())
			}
			req, err := http.NewRequest(c.method, u, body)
			if err != nil {
				t.Fatal(err)
			}
			if c.method == "POST" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			before := len(srv.Events())
			start := time.Now()
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatalf("request failed (the server must answer, not drop the connection): %v", err)
			}
			page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v: malformed input must be rejected quickly", d)
			}
			if resp.StatusCode < 400 || resp.StatusCode > 499 {
				t.Errorf("status %d, want 4xx", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want an HTML error page", ct)
			}
			text := string(page)
			code := "AADSTS" + strconv.Itoa(c.code)
			if !strings.Contains(text, malErrorText) || !strings.Contains(text, code+":") {
				t.Errorf("page lacks Entra's error text or %s:\n%.600s", code, text)
			}
			if c.notInBody != "" && strings.Contains(text, c.notInBody) {
				t.Errorf("page contains %q: an external entity was resolved", c.notInBody)
			}
			if rid := resp.Header.Get("x-ms-request-id"); rid == "" || !strings.Contains(text, rid) {
				t.Errorf("x-ms-request-id %q is not the Request Id on the page", rid)
			}
			evs := srv.Events()[before:]
			if len(evs) != 1 {
				t.Fatalf("%d sign-in log events for one request, want 1: %+v", len(evs), evs)
			}
			ev := evs[0]
			if ev.Status != idp.StatusFailure || ev.ErrorCode != c.code || ev.Protocol != "SAML" || ev.Kind == "internal" {
				t.Errorf("event = %+v, want a SAML failure with code %d", ev, c.code)
			}
			if ev.ID != resp.Header.Get("x-ms-request-id") {
				t.Errorf("event ID %q != x-ms-request-id %q", ev.ID, resp.Header.Get("x-ms-request-id"))
			}
			seen[c.code]++
		})
	}

	// The same failures, as the sign-in log serves them over HTTP.
	resp, err := srv.Client().Get(srv.URL + "/_mockidp/signins")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /_mockidp/signins: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var log struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&log); err != nil {
		t.Fatalf("sign-in log is not JSON: %v", err)
	}
	got := map[int]int{}
	for _, e := range log.Value {
		if e["status"] != idp.StatusFailure || e["protocol"] != "SAML" {
			t.Errorf("unexpected log entry %v", e)
			continue
		}
		for _, k := range []string{"id", "correlationId", "createdDateTime", "failureReason"} {
			if s, _ := e[k].(string); s == "" {
				t.Errorf("log entry lacks %s: %v", k, e)
			}
		}
		code, _ := e["errorCode"].(float64)
		got[int(code)]++
	}
	if len(log.Value) != len(cases) {
		t.Errorf("sign-in log has %d entries, want %d (one per request)", len(log.Value), len(cases))
	}
	for code, n := range seen {
		if got[code] != n {
			t.Errorf("sign-in log has %d entries with errorCode %d, want %d", got[code], code, n)
		}
	}
}
