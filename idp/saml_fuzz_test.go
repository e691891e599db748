package idp_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
)

// maxDecodedSAML is DecodeSAMLRequest's documented cap on the decoded XML (256 KiB).
const maxDecodedSAML = 256 << 10

// FuzzDecodeSAMLRequest feeds arbitrary SAMLRequest values through the decoder, the parser
// and the whole /{tenant}/saml2 handler. Seeds: testdata/fuzz/FuzzDecodeSAMLRequest (real-
// shaped AuthnRequests and a LogoutRequest, deflated for Redirect and plain for POST) and
// the f.Add cases below.
//
//	go test ./idp/ -run XXX -fuzz FuzzDecodeSAMLRequest -fuzztime 60s
func FuzzDecodeSAMLRequest(f *testing.F) {
	f.Add("", true)
	f.Add("", false)
	f.Add("%%%", true)
	f.Add("PHNhbWxwOkF1dGhuUmVxdWVzdC8+", false) // <samlp:AuthnRequest/> without its namespace
	f.Add("8wgBAA==", true)                      // a deflate stream that ends early
	f.Add("AwA=", true)                          // an empty deflate stream
	f.Add(malPOST(malAuthnRequest(billionLaughs, "&lol9;")), false)
	f.Add(malRedirect(f, malAuthnRequest(externalEntity, "&xxe;")), true)
	f.Add(malPOST(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="1" Version="2.0"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">`+goldenEntityID+`</Issuer></samlp:AuthnRequest>`), false)

	// One server per fuzzing process, with the committed keys (no key generation).
	srv, err := idp.New(idp.WithConfig(goldenConfig(idp.SignAssertion, idp.AlgorithmSHA256)))
	if err != nil {
		f.Fatal(err)
	}
	saml2 := "/" + goldenTenantID + "/saml2"

	f.Fuzz(func(t *testing.T, value string, redirect bool) {
		b, err := idp.DecodeSAMLRequest(value, redirect)
		if err == nil {
			if len(b) > maxDecodedSAML {
				t.Fatalf("decoded %d bytes, beyond the %d-byte cap", len(b), maxDecodedSAML)
			}
			if m, err := idp.ParseSAMLRequest(b); err == nil && m.XMLName.Space != "urn:oasis:names:tc:SAML:2.0:protocol" {
				t.Fatalf("accepted a root element outside the SAML protocol namespace: %v", m.XMLName)
			}
		}

		// The handler turns panics into an error page, so a panic shows as an "internal"
		// event rather than a crash; it, a 5xx and an answer that is not Entra's fail here
		// (checkEntraAnswer).
		var req *http.Request
		if redirect {
			req = httptest.NewRequest(http.MethodGet, saml2+"?"+url.Values{"SAMLRequest": {value}}.Encode(), nil)
		} else {
			req = httptest.NewRequest(http.MethodPost, saml2, strings.NewReader(url.Values{"SAMLRequest": {value}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		serveFuzz(t, srv, req, value)
	})
}
