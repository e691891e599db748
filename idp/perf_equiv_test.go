package idp

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/go-jose/go-jose/v4"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// The performance work keeps outcomes: these tests hold each shortcut to what it replaced.

// samlParseInputs are AuthnRequests and XML that trips each of ParseSAMLRequest's checks.
func samlParseInputs(t *testing.T) [][]byte {
	const ns = `xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`
	req := func(id, inner string) string {
		return `<samlp:AuthnRequest ` + ns + ` ID="` + id + `" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">` +
			`<saml:Issuer>https://sp.example.test/saml/metadata</saml:Issuer>` + inner + `</samlp:AuthnRequest>`
	}
	in := []string{
		req("_a1", ""), req("_a2", ""), req("_a3", `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"/>`),
		req("_a4", `<!-- c --><?pi x?>`), req("_a5", `<x::Element></::Element>`), req("_a6", `<Element ::attr="foo"></Element>`),
		req("_a7", `<e :="v"/>`), req("_a8", `<e x:="v"/>`), req("_a9", `<x:e xmlns:x="u" x:a:b="1"/>`),
		`<x::Root/>`, `<Root></x::Element></Root>`, `<x:>`, `</x:>`, `<Root><![CDATA[text "hello"]]></Root>`,
		`<!DOCTYPE x><samlp:AuthnRequest ` + ns + `/>`, `<samlp:LogoutRequest ` + ns + ` ID="_l"><saml:NameID>n</saml:NameID></samlp:LogoutRequest>`,
		`<?xml version="1.0" encoding="EUC-JP"?><Root></Root>`, `<Root xmlns="http://example.com/1" x:attr="y"/>`,
		`<a><b></a>`, `<a>`, ``, `not xml`, `<samlp:AuthnRequest ` + ns + `>` + "\x00" + `</samlp:AuthnRequest>`,
		// Well-formed, but refused by the round-trip check (an unbound prefix, an empty CDATA).
		req("_a12", `<e xmlns:x="u" x:b="1" y:b="2"/>`), req("_a13", `<e><![CDATA[]]></e>`),
		req("_a10", strings.Repeat(`<x>`, 1023)+strings.Repeat(`</x>`, 1023)),             // 1024 deep: etree's limit, accepted
		req("_a11", strings.Repeat(`<x>`, 1024)+strings.Repeat(`</x>`, 1024)),             // 1025 deep: refused
		`<a:b>` + strings.Repeat(`<x>`, 1030) + strings.Repeat(`</x>`, 1030) + `</a:c>`,   // too deep and badly closed
		`<Root>` + strings.Repeat(`<x>`, 1030) + strings.Repeat(`</x>`, 1030) + `</Root>`, // too deep, wrong namespace
	}
	out := make([][]byte, 0, len(in)+16)
	for _, s := range in {
		out = append(out, []byte(s))
	}
	// The fuzz seeds: real SPs' requests.
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecodeSAMLRequest", "*"))
	for _, f := range seeds {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) < 3 {
			continue
		}
		v, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		if err != nil {
			continue
		}
		if x, err := DecodeSAMLRequest(v, strings.Contains(lines[2], "true")); err == nil {
			out = append(out, x)
		}
	}
	return out
}

// TestParseSAMLRequestShortcuts: with the round-trip memory (warm or cold) and the DOM
// parsed only on demand, parsing returns what the original sequence of checks returned
// (the same error text, the same message), and etree accepts what is accepted.
func TestParseSAMLRequestShortcuts(t *testing.T) {
	inputs := samlParseInputs(t)
	if len(inputs) < 40 { // the crafted ones and the fuzz seeds
		t.Fatalf("only %d inputs", len(inputs))
	}
	var rt roundTrips
	for round := 0; round < 2; round++ {
		for i, b := range inputs {
			want, wantErr := parseSAMLRequestReference(b)
			got, gotErr := parseSAMLRequest(b, &rt)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("round %d input %d %.80q: error %v, want %v", round, i, b, gotErr, wantErr)
			}
			if wantErr != nil {
				continue
			}
			if got.ID != want.ID || got.Issuer != want.Issuer || got.XMLName != want.XMLName {
				t.Fatalf("input %d: parsed %+v, want %+v", i, got, want)
			}
			if _, err := got.document(); err != nil {
				t.Fatalf("input %d: accepted, but the DOM does not parse: %v", i, err)
			}
		}
	}
	if len(rt.passed) == 0 {
		t.Fatal("the round-trip memory was never used")
	}
}

// parseSAMLRequestReference is ParseSAMLRequest as it was before the shortcuts: the token
// scan, xrv.Validate, xml.Unmarshal, the namespace check and an eager etree parse.
func parseSAMLRequestReference(b []byte) (*samlRequest, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid XML: %w", err)
		}
		if dir, ok := tok.(xml.Directive); ok {
			return nil, fmt.Errorf("XML directives are not allowed (%.20s...)", string(dir))
		}
	}
	if err := xrv.Validate(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("XML does not round-trip: %w", err)
	}
	m := &samlRequest{raw: b}
	if err := xml.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("invalid SAML message: %w", err)
	}
	if m.XMLName.Space != nsProtocol {
		return nil, fmt.Errorf("root element {%s}%s is not a SAML 2.0 protocol message", m.XMLName.Space, m.XMLName.Local)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("invalid XML: %w", err)
	}
	m.doc = doc
	return m, nil
}

// TestExpiryQueueMatchesMapWalk drives a map swept by the queue and one swept by walking it
// (as startSignIn and finishAuthorize did) with a clock that jumps both ways, and requires the
// same contents after every step.
func TestExpiryQueueMatchesMapWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	type entry struct{ deadline time.Time }
	walk := map[string]*entry{}
	queued := map[string]*entry{}
	var q expiryQueue[*entry]
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for step := 0; step < 4000; step++ {
		switch r := rng.IntN(100); {
		case r < 10:
			now = now.Add(-time.Duration(rng.IntN(40)) * time.Minute) // a clock set back
		case r < 40:
			now = now.Add(time.Duration(rng.IntN(300)) * time.Second)
		case r < 50 && len(walk) > 0: // finished elsewhere (a completed flow)
			for k := range walk {
				delete(walk, k)
				delete(queued, k)
				break
			}
		}
		// The sweep at an insertion, then the insertion.
		for k, e := range walk {
			if now.After(e.deadline) {
				delete(walk, k)
			}
		}
		q.sweep(now, queued)
		e := &entry{deadline: now.Add(time.Duration(rng.IntN(30)) * time.Minute)}
		k := strconv.Itoa(step)
		walk[k], queued[k] = e, e
		q.add(e.deadline, k, e)
		if len(walk) != len(queued) {
			t.Fatalf("step %d: %d entries, want %d", step, len(queued), len(walk))
		}
		for k, e := range walk {
			if queued[k] != e {
				t.Fatalf("step %d: %s missing", step, k)
			}
		}
	}
	if len(q.items) > 4*len(queued)+64 {
		t.Fatalf("the queue holds %d entries for a map of %d", len(q.items), len(queued))
	}
}

// TestSignJWTMatchesJose: the compact JWS written directly is the one go-jose made (header
// member order, encodings, signature), for v1 (with x5t) and v2 headers.
func TestSignJWTMatchesJose(t *testing.T) {
	cert, err := parseCertPEM(filepath.Join("testdata", "keys", "signing.crt"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := parseKeyPEM(filepath.Join("testdata", "keys", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	tid := "11111111-1111-4111-8111-111111111111"
	s := &Server{signers: GoSigner(), oidc: &oidcState{keys: map[string][]*SigningKey{tid: {{Cert: cert, Key: key, Active: true, Published: true}}}}}
	claims := []any{
		idTokenClaims{Aud: "a", Iss: "https://login.example.test/" + tid + "/v2.0", Iat: 1, Nbf: 2, Exp: 3, Name: `<b>&"Zoë"</b>`, Sub: "s", Tid: tid, Ver: "2.0"},
		accessTokenV1{Aud: "00000003-0000-0000-c000-000000000000", Amr: []string{"pwd"}, Scp: "User.Read openid", Ver: "1.0"},
		map[string]any{"nested": map[string]any{"x": []int{1, 2}}, "u": "\u2028"},
	}
	for _, c := range claims {
		for _, v1 := range []bool{false, true} {
			got, err := s.signJWT(tid, c, v1)
			if err != nil {
				t.Fatal(err)
			}
			payload, _ := json.Marshal(c)
			opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid(s.oidc.keys[tid][0]))
			if v1 {
				opts = opts.WithHeader("x5t", kid(s.oidc.keys[tid][0]))
			}
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
			if err != nil {
				t.Fatal(err)
			}
			jws, err := signer.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			want, err := jws.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("v1=%v %T:\n got %s\nwant %s", v1, c, got, want)
			}
		}
	}
}

// TestMetadataCache: the signed metadata is served again while its inputs stay, and made
// anew (and still verifies) when a certificate is published or the URL changes; the clock
// does not enter into it.
func TestMetadataCache(t *testing.T) {
	clock := NewFrozenClock(time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC))
	s, err := New(WithConfig(directConfig()), WithClock(clock), WithRand(NewSeededRand(9)))
	if err != nil {
		t.Fatal(err)
	}
	tn := s.Tenant(directTenantID)
	app := tn.EnterpriseApps[0]
	first, err := s.Metadata(tn, app)
	if err != nil {
		t.Fatal(err)
	}
	first[100] ^= 1 // a caller's copy: editing it must not reach the cache
	again, _ := s.Metadata(tn, app)
	first[100] ^= 1
	if !bytes.Equal(first, again) {
		t.Fatal("a second fetch with nothing changed made a different document")
	}
	clock.Advance(3 * 365 * 24 * time.Hour)
	if later, _ := s.Metadata(tn, app); !bytes.Equal(first, later) {
		t.Fatal("the document changed with the clock alone")
	}
	if _, err := s.appFaultCert(app, certRollover); err != nil {
		t.Fatal(err)
	}
	rolled, _ := s.Metadata(tn, app)
	// Three roles list each certificate; the Signature's KeyInfo has the signing one.
	if n := bytes.Count(rolled, []byte("<X509Certificate>")); n != 7 || bytes.Count(first, []byte("<X509Certificate>")) != 4 {
		t.Fatalf("publishing a certificate did not make a document listing it (%d certificates, had %d)",
			n, bytes.Count(first, []byte("<X509Certificate>")))
	}
	s.URL = "https://elsewhere.example.test"
	moved, _ := s.Metadata(tn, app)
	if !bytes.Contains(moved, []byte("https://elsewhere.example.test/"+directTenantID+"/saml2")) {
		t.Fatal("a new URL did not make a new document")
	}
	directVerify(t, "metadata", bytes.TrimPrefix(moved, utf8BOM), s.activeKey(app).Cert, clock.Now().Add(-3*365*24*time.Hour))
}
