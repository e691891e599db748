package idp

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// BenchmarkParts measures each shortcut of the hot paths against what it replaced, in the
// same process: "before" runs the replaced code (kept in the tests as the reference the
// equivalence tests compare with), "after" the code the handlers run now.
//
//	go test ./idp/ -run '^$' -bench Parts -benchmem -cpu 1 -count 6
func BenchmarkParts(b *testing.B) {
	s := benchServer(b)
	t, app, u := benchTenantApp(b, s)

	q, _ := url.ParseQuery(benchAuthnQuery())
	raw := q.Get("SAMLRequest")
	x, err := DecodeSAMLRequest(raw, true)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("inflate/before", func(b *testing.B) { // a new DEFLATE reader per request
		loop(b, func(int) {
			d, _ := base64.StdEncoding.DecodeString(raw)
			zr := flate.NewReader(bytes.NewReader(d))
			_, _ = io.ReadAll(io.LimitReader(zr, maxSAMLXML+1))
			_ = zr.Close()
		})
	})
	b.Run("inflate/after", func(b *testing.B) {
		loop(b, func(int) { _, _ = DecodeSAMLRequest(raw, true) })
	})
	// Each request has its own ID and IssueInstant, as an SP's do.
	reqs := make([][]byte, 512)
	for i := range reqs {
		reqs[i] = bytes.Replace(x, []byte("_a1b2c3d4e5f60718293a4b5c6d7e8f90"), []byte("_a1b2c3d4e5f60718293a4b5c6d"+strconv.Itoa(10000+i)), 1)
	}
	b.Run("parse-authnrequest/before", func(b *testing.B) { // every check, the DOM parsed eagerly
		loop(b, func(i int) {
			if _, err := parseSAMLRequestReference(reqs[i%len(reqs)]); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("parse-authnrequest/after", func(b *testing.B) { // round-trip memory, DOM on demand
		var rt roundTrips
		loop(b, func(i int) {
			if _, err := parseSAMLRequest(reqs[i%len(reqs)], &rt); err != nil {
				b.Fatal(err)
			}
		})
	})

	page := loginPage{Action: "/" + benchTenant + "/login", Ctx: s.rand.token(16), AppName: app.DisplayName, Step: "email"}
	b.Run("login-page/before", func(b *testing.B) {
		loop(b, func(int) {
			var buf bytes.Buffer
			_ = pages.ExecuteTemplate(&buf, "login.html", page)
		})
	})
	b.Run("login-page/after", func(b *testing.B) {
		loop(b, func(int) { s.loginPages.render(page) })
	})

	resp, _, err := s.samlResponseBytes(samlResponseInput{Tenant: t, App: app, User: u, Destination: benchACS, InResponseTo: "_r"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("post-page/before", func(b *testing.B) { // base64 string, then the template
		loop(b, func(int) {
			var buf bytes.Buffer
			_ = pages.ExecuteTemplate(&buf, "post.html", postForm{Action: benchACS, Fields: []formField{
				{Name: "SAMLResponse", Value: base64.StdEncoding.EncodeToString(resp)}, {Name: "RelayState", Value: "/dashboard"}}})
		})
	})
	b.Run("post-page/after", func(b *testing.B) {
		loop(b, func(int) {
			s.postFormPage(benchACS, []formField{{Name: "SAMLResponse", b64: resp}, {Name: "RelayState", Value: "/dashboard"}})
		})
	})

	// 10 000 sign-ins started and not finished (abandoned, or still on the sign-in page).
	now := time.Now()
	flows := map[string]*pendingFlow{}
	var q2 expiryQueue[*pendingFlow]
	for i := range 10000 {
		f := &pendingFlow{id: strconv.Itoa(i), created: now.Add(time.Duration(i) * time.Millisecond)}
		flows[f.id] = f
		q2.add(f.created.Add(flowTTL), f.id, f)
	}
	b.Run("flow-sweep-10k/before", func(b *testing.B) { // a walk over every flow per sign-in
		loop(b, func(int) {
			for id, old := range flows {
				if now.Sub(old.created) > flowTTL {
					delete(flows, id)
				}
			}
		})
	})
	b.Run("flow-sweep-10k/after", func(b *testing.B) {
		loop(b, func(int) { q2.sweep(now, flows) })
	})

	k := s.activeOIDCKey(benchTenant)
	claims := idTokenClaims{Aud: benchClientID, Iss: s.issuerV2(benchTenant), Iat: 1, Nbf: 1, Exp: 2, Aio: s.opaque(48), Rh: "0.A", Sub: "s", Tid: benchTenant, Uti: "u", Ver: "2.0"}
	b.Run("jws/before", func(b *testing.B) { // a go-jose signer per token
		loop(b, func(int) {
			payload, _ := json.Marshal(claims)
			signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.Key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid(k)))
			jws, _ := signer.Sign(payload)
			_, _ = jws.CompactSerialize()
		})
	})
	b.Run("jws/after", func(b *testing.B) {
		loop(b, func(int) { _, _ = s.signJWT(benchTenant, claims, false) })
	})

	b.Run("saml-metadata/before", func(b *testing.B) { // built and signed per request
		loop(b, func(int) { _, _ = s.buildMetadata(t, app, s.publishedKeys(app)) })
	})
	b.Run("saml-metadata/after", func(b *testing.B) {
		loop(b, func(int) { _, _ = s.metadata(t, app) })
	})
	b.Run("discovery/before", func(b *testing.B) {
		loop(b, func(int) { encodeJSON(s.discoveryV2(benchTenant, benchTenant, &tenantRegionScope)) })
	})
	b.Run("discovery/after", func(b *testing.B) {
		loop(b, func(int) {
			s.jsonDocs.get("v2 "+s.base()+" "+benchTenant, nil, func() any { return s.discoveryV2(benchTenant, benchTenant, &tenantRegionScope) })
		})
	})

	rollover, err := os.ReadFile(filepath.Join("testdata", "keys", "rollover.crt"))
	if err != nil {
		b.Fatal(err)
	}
	signed := &EnterpriseApp{SAML: SAMLSettings{VerificationCertificates: []string{string(rollover)}}}
	b.Run("verification-certs/before", func(b *testing.B) { // PEM parsed per signed request
		loop(b, func(int) { _, _ = verificationCerts(&signed.SAML) })
	})
	b.Run("verification-certs/after", func(b *testing.B) {
		var c verifyCertCache
		loop(b, func(int) { _, _ = c.get(signed) })
	})
}
