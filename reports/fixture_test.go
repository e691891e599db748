package reports_test

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/reports"
)

// t0 is when the fixture run started.
var t0 = time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)

// at is t0 + ms milliseconds.
func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// Strings of the fixture that tests look for.
const (
	// auditHighlight is the fault's change in the SAML Response of saml.audience.wrong: it
	// has every character HTML escapes.
	auditHighlight = `<saml:Audience>https://evil.example/sp?a=1&b="2"</saml:Audience>`
	// xssPayload must appear escaped, never as markup.
	xssPayload = `<script>alert("pwned")</script>`
	// missingShot is a screenshot that does not exist.
	missingShot = "shots/never-written.png"
)

// writePNG writes a w×h PNG filled with c at dir/rel.
func writePNG(t testing.TB, dir, rel string, w, h int, c color.Color) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	// A darker band so that the image is not uniform.
	for x := 0; x < w; x++ {
		img.Set(x, h/2, color.Black)
	}
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// fixture returns a realistic run with every status, and the report directory holding its
// screenshots (shots/*.png). One step references missingShot, which does not exist.
func fixture(t testing.TB) (*reports.Run, string) {
	t.Helper()
	dir := t.TempDir()
	writePNG(t, dir, "shots/saml-happy-1.png", 64, 40, color.RGBA{0x1a, 0x7f, 0x37, 0xff})
	writePNG(t, dir, "shots/saml-happy-2.png", 64, 40, color.RGBA{0x09, 0x69, 0xda, 0xff})
	writePNG(t, dir, "shots/saml-audience-1.png", 80, 50, color.RGBA{0xcf, 0x22, 0x2e, 0xff})
	writePNG(t, dir, "shots/oidc-nonce-1.png", 48, 30, color.RGBA{0x9a, 0x67, 0x00, 0xff})

	const sp = "https://sp.example.test"
	const idp = "http://127.0.0.1:7443"
	const tenant = "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"
	samlReq := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    ID="_a1b2c3" Version="2.0" IssueInstant="2026-05-04T09:30:00Z"
    AssertionConsumerServiceURL="https://sp.example.test/saml/acs">
  <saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sp.example.test</saml:Issuer>
</samlp:AuthnRequest>`
	samlResp := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" InResponseTo="_a1b2c3">
  <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
    <saml:Conditions NotBefore="2026-05-04T09:29:55Z" NotOnOrAfter="2026-05-04T10:30:00Z">
      <saml:AudienceRestriction>
        ` + auditHighlight + `
      </saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="displayname"><saml:AttributeValue>` + xssPayload + `</saml:AttributeValue></saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>`
	idToken := `{
  "header": {"alg": "RS256", "kid": "k1", "typ": "JWT"},
  "claims": {
    "aud": "6731de76-14a6-49ae-97bc-6eba6914391e",
    "iss": "https://login.microsoftonline.com/` + tenant + `/v2.0",
    "nonce": "n-0S6_WzA2Mj",
    "preferred_username": "B.Simon@contoso.com"
  }
}`

	checks := []reports.Check{
		{
			ID: "saml.happy.sp-initiated", Protocol: "SAML", Kind: "fault",
			Description: "SP-initiated sign-in with a correct response is accepted.",
			Expected:    "accept", Observed: "accepted as B.Simon@contoso.com", Status: reports.StatusPass,
			Started: at(100), DurationMS: 1840,
			References: []string{"https://learn.microsoft.com/en-us/entra/identity-platform/single-sign-on-saml-protocol"},
			Steps: []reports.Step{
				{Time: at(100), Name: "open the SP", URL: sp + "/", Status: 302},
				{Time: at(600), Name: "IdP sign-in page", URL: idp + "/" + tenant + "/saml2", Status: 200, Screenshot: "shots/saml-happy-1.png", Note: "Sign in"},
				{Time: at(1200), Name: "credentials typed", Note: "B.Simon@contoso.com"},
				{Time: at(1940), Name: "outcome", URL: sp + "/profile", Status: 200, Screenshot: "shots/saml-happy-2.png", Note: "Welcome, B.Simon"},
			},
			Payloads: []reports.Payload{{Kind: "SAMLRequest", Format: "xml", Decoded: samlReq}},
			SignInLog: []reports.SignInEvent{
				{Time: at(550), Kind: "authn-request", Binding: "HTTP-Redirect", Status: "success",
					Request: map[string]string{"Issuer": sp, "AssertionConsumerServiceURL": sp + "/saml/acs"}},
				{Time: at(1250), Kind: "credentials", Status: "success", User: "B.Simon@contoso.com"},
			},
		},
		{
			ID: "saml.audience.wrong", Protocol: "SAML", Kind: "fault",
			Description: "The assertion's Audience is another SP's entity ID; the SP must refuse it.",
			Expected:    "reject", Observed: "accepted as B.Simon@contoso.com", Status: reports.StatusFail,
			Started: at(150), DurationMS: 2210,
			Diagnosis: "The SP accepted an assertion whose <Audience> is not its Identifier (Entity ID).\nAny other app of the tenant could replay its assertions to this SP.",
			Fix:       "Check that AudienceRestriction/Audience equals the SP's entity ID (Entra: Basic SAML Configuration > Identifier).",
			References: []string{
				"https://docs.oasis-open.org/security/saml/v2.0/saml-core-2.0-os.pdf",
				"SAML Core 2.0 §2.5.1.4",
				"javascript:alert(1)",
			},
			Steps: []reports.Step{
				{Time: at(150), Name: "open the SP", URL: sp + "/", Status: 302},
				{Time: at(700), Name: "IdP sign-in page", URL: idp + "/" + tenant + "/saml2?SAMLRequest=x&RelayState=<y>", Status: 200},
				{Time: at(2360), Name: "outcome", URL: sp + "/profile", Status: 200, Screenshot: "shots/saml-audience-1.png", Note: `heading "Welcome, B.Simon" <b>`},
			},
			Payloads: []reports.Payload{
				{Kind: "SAMLResponse", Format: "xml", Decoded: samlResp, Highlights: []string{auditHighlight, ""}},
			},
			SignInLog: []reports.SignInEvent{
				{Time: at(1300), Kind: "credentials", Binding: "HTTP-POST", Status: "success", User: "B.Simon@contoso.com",
					Fault: "audience.wrong", Changed: []string{"Audience: https://sp.example.test → https://evil.example/sp?a=1&b=\"2\""}},
			},
		},
		{
			ID: "saml.signature.missing", Protocol: "SAML", Kind: "fault",
			Description: "The response is not signed; the SP must refuse it.",
			Expected:    "reject", Observed: "browser crashed", Status: reports.StatusError,
			Started: at(200), DurationMS: 30000,
			Diagnosis: "The browser tab crashed before the SP answered.",
			Fix:       "Re-run; if it persists, run with --parallel 1.",
			Steps: []reports.Step{
				{Time: at(200), Name: "open the SP", URL: sp + "/", Status: 302},
				{Time: at(30200), Name: "outcome", Screenshot: missingShot, Note: "target crashed"},
			},
		},
		{
			ID: "oidc.nonce.replayed", Protocol: "OIDC", Kind: "fault",
			Description: "The ID token repeats the nonce of an earlier sign-in.",
			Expected:    "warn", Observed: "accepted as B.Simon@contoso.com", Status: reports.StatusWarn,
			Started: at(2500), DurationMS: 1430,
			Diagnosis: "The SP does not check that a nonce is used once.",
			Fix:       "Store the nonce in the session and clear it after the first use.",
			Steps: []reports.Step{
				{Time: at(2500), Name: "open the SP", URL: sp + "/oidc/login", Status: 302, Screenshot: "shots/oidc-nonce-1.png"},
			},
			Payloads: []reports.Payload{
				{Kind: "id_token", Format: "json", Decoded: idToken, Highlights: []string{`"nonce": "n-0S6_WzA2Mj"`}},
			},
			SignInLog: []reports.SignInEvent{
				{Time: at(2900), Kind: "authorize", Binding: "form_post", Status: "success", User: "B.Simon@contoso.com",
					Request: map[string]string{"client_id": "6731de76-14a6-49ae-97bc-6eba6914391e", "redirect_uri": sp + "/oidc/callback"}},
				{Time: at(3100), Kind: "token", Binding: "POST", Status: "failure", ErrorCode: 50148,
					FailureReason: "The code_verifier does not match the code_challenge supplied in the authorization request."},
			},
		},
		{
			ID: "oidc.logout.front-channel", Protocol: "OIDC", Kind: "fault",
			Description: "Front-channel logout signs the user out of the SP.",
			Expected:    "accept", Status: reports.StatusSkip,
			Started: at(2600), DurationMS: 0,
			Reason: "the target declares no front-channel logout URL (oidc.logout)",
		},
		{
			ID: "saml.cert.expiring", Protocol: "SAML", Kind: "config",
			Description: "The SP's IdP signing certificate is not about to expire.",
			Expected:    "configured", Observed: "certificate expires in 21 days", Status: reports.StatusWaived,
			Started: at(2700), DurationMS: 35,
			Reason: "rotation scheduled for 2026-05-20 (CHG-1234)",
		},
		{
			ID: "oidc.happy.code-flow", Protocol: "OIDC", Kind: "fault",
			Description: "Authorization code flow with PKCE is accepted.",
			Expected:    "accept", Observed: "accepted as AlexW@contoso.com", Status: reports.StatusPass,
			Started: at(4000), DurationMS: 1220,
		},
		{
			ID: "oidc.audience.wrong", Protocol: "OIDC", Kind: "fault",
			Description: "The ID token's aud is another client's ID.",
			Expected:    "reject", Observed: "accepted as B.Simon@contoso.com", Status: reports.StatusFail,
			Started: at(4100), DurationMS: 990,
			Diagnosis: "The SP accepted an ID token issued to another application.",
			Fix:       "Validate aud against the SP's client ID.",
		},
	}
	run := &reports.Run{
		Tool: "ssoharness conformance (devel)",
		Target: reports.Target{
			Name:      "Contoso Expenses",
			File:      "targets/contoso-expenses.yaml",
			Protocols: []string{"SAML", "OIDC"},
			URLs:      map[string]string{"saml.login": sp + "/saml/login", "oidc.login": sp + "/oidc/login"},
		},
		IdP:        reports.IdP{URL: idp, TenantID: tenant, Apps: []string{"Contoso Expenses"}},
		Browser:    "HeadlessChrome/156.0.8078.79",
		Parallel:   4,
		Started:    t0,
		Finished:   at(31200),
		DurationMS: 31200,
		Checks:     checks,
	}
	run.Recount()
	return run, dir
}

// fixtureCounts are the fixture's checks by status.
var fixtureCounts = map[reports.Status]int{
	reports.StatusPass: 2, reports.StatusFail: 2, reports.StatusWarn: 1,
	reports.StatusWaived: 1, reports.StatusSkip: 1, reports.StatusError: 1,
}
