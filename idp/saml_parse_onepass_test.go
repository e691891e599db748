package idp

import (
	"fmt"
	"reflect"
	"testing"
)

// TestParseSAMLRequestOnePass: the one pass returns what the three passes return (the same
// error text, the same message, the same root attributes on a refusal) for every input of
// TestParseSAMLRequestShortcuts and for inputs aimed at the one pass: an unmarshalling error
// before a check's, content after the root, and namespace names a second translation of the
// token decoder would misread.
func TestParseSAMLRequestOnePass(t *testing.T) {
	const ns = `xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`
	req := func(id, inner string) string {
		return `<samlp:AuthnRequest ` + ns + ` ID="` + id + `" Version="2.0"><saml:Issuer>https://sp.example.test</saml:Issuer>` +
			inner + `</samlp:AuthnRequest>`
	}
	inputs := samlParseInputs(t)
	for _, s := range []string{
		`<samlp:AuthnRequest ` + ns + ` ID="_u" AssertionConsumerServiceIndex="x"><e a="1" a="2"/></samlp:AuthnRequest>`,
		`<samlp:AuthnRequest ` + ns + ` ID="_u" AssertionConsumerServiceIndex="x"><!DOCTYPE y></samlp:AuthnRequest>`,
		`<samlp:AuthnRequest ` + ns + ` ID="_u" AssertionConsumerServiceIndex="x"/>`,
		`<samlp:AuthnRequest ` + ns + ` ID="_u" AssertionConsumerServiceIndex="3" ForceAuthn="true" IsPassive="1"/>`,
		req("_t1", "") + `<!DOCTYPE y>`, req("_t2", "") + `<Second/>`, req("_t3", "") + `<a>`, req("_t4", "") + `<!-- after -->`,
		req("_t5", `<samlp:NameIDPolicy Format="f"/><samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>a</saml:AuthnContextClassRef></samlp:RequestedAuthnContext><samlp:Scoping ProxyCount="1"><samlp:RequesterID>r</samlp:RequesterID></samlp:Scoping>`),
		req("_t6", `<e a="1" b:a="2" xmlns:b="urn:b"/>`), req("_t7", `<e xmlns:b="urn:x" xmlns:c="urn:x" b:a="1" c:a="2"/>`),
		`<p:AuthnRequest xmlns:p="q" xmlns:q="urn:oasis:names:tc:SAML:2.0:protocol" ID="_n1"/>`,
		`<AuthnRequest xmlns="q" xmlns:q="urn:oasis:names:tc:SAML:2.0:protocol" ID="_n2"/>`,
		`<p:AuthnRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:urn:oasis:names:tc:SAML:2.0:protocol="x" ID="_n3"/>`,
		`<p:AuthnRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:q="" ID="_n4"><q:x/></p:AuthnRequest>`,
		`<p:AuthnRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" ID="_n5" xml:lang="en"><p:x xmlns:p="urn:other"/></p:AuthnRequest>`,
	} {
		inputs = append(inputs, []byte(s))
	}
	var rt1, rt2 roundTrips
	for round := range 2 {
		for i, b := range inputs {
			want, wantErr := parseSAMLRequestPasses(b, &rt1)
			got, gotErr := parseSAMLRequest(b, &rt2)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("round %d input %d %.120q: error %v, want %v", round, i, b, gotErr, wantErr)
			}
			if (got == nil) != (want == nil) {
				t.Fatalf("input %d: parsed %+v, want %+v", i, got, want)
			}
			if got == nil {
				continue
			}
			g, w := *got, *want
			g.doc, w.doc = nil, nil
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("input %d %.120q: parsed\n%+v\nwant\n%+v", i, b, g, w)
			}
		}
	}
}

// FuzzParseSAMLRequestOnePass: on any input the one pass and the three passes agree.
func FuzzParseSAMLRequestOnePass(f *testing.F) {
	f.Add([]byte(`<p:AuthnRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:s="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1"><s:Issuer>i</s:Issuer></p:AuthnRequest>`))
	f.Add([]byte(`<p:AuthnRequest xmlns:p="q" xmlns:q="urn:oasis:names:tc:SAML:2.0:protocol" ID="_n1"/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		want, wantErr := parseSAMLRequestPasses(b, nil)
		got, gotErr := parseSAMLRequest(b, nil)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || (got == nil) != (want == nil) {
			t.Fatalf("%q: %v %v, want %v %v", b, got, gotErr, want, wantErr)
		}
		if got != nil {
			g, w := *got, *want
			g.doc, w.doc = nil, nil
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("%q: parsed %+v, want %+v", b, g, w)
			}
		}
	})
}
