package idp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// rfPair is two replicas A and B of one mock IdP: the same config and keys, one shared
// MemoryStore. B may not generate a key of its own: whatever it signs with must be a key
// of the config (the same as A's) or one a fault stored, so a fault key B made itself
// (instead of using A's) fails the test.
type rfPair struct {
	a, b       *faultRig
	mu         sync.Mutex
	bGenerated int
	// lenient: B may make a fault key A has not made (the first replica to need one does).
	lenient bool
}

func newRFPair(t *testing.T) *rfPair {
	t.Helper()
	sp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "SP reached") }))
	t.Cleanup(sp.Close)
	cfg := idp.DefaultConfig()
	tn := cfg.Tenants[0]
	app := tn.EnterpriseApps[0]
	app.SAML.Identifiers = []idp.Identifier{{Value: "https://sp.example.test/saml/metadata", Default: true}}
	app.SAML.ReplyURLs = []idp.ReplyURL{{URL: sp.URL + "/saml/acs", Default: true}}
	tn.AppRegistrations[0].Web.RedirectURIs = []string{sp.URL + "/callback"}
	clock := idp.NewFrozenClock(faultClockAt)
	store := idp.NewMemoryStore(clock)

	// A's keys: the pool's, counted, so that B gets the same ones for its config and none else.
	pool := idptest.PooledKeys()
	var made int
	genA := func() (*rsa.PrivateKey, error) { made++; return pool() }
	a := idptest.Start(t, idp.WithConfig(cfg), idp.WithClock(clock), idp.WithStore(store), idp.WithKeyGenerator(genA))
	p := &rfPair{}
	same, n := idptest.PooledKeys(), made
	genB := func() (*rsa.PrivateKey, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if n > 0 {
			n--
			return same()
		}
		p.bGenerated++
		if !p.lenient {
			return nil, errors.New("replica B generated a key: it should have used the one in the store")
		}
		return rsa.GenerateKey(rand.Reader, 2048) // not the pool's: A's next key differs
	}
	b := idptest.Start(t, idp.WithConfig(cfg), idp.WithClock(clock), idp.WithStore(store), idp.WithKeyGenerator(genB))
	rig := func(s *idp.Server) *faultRig {
		tt := s.Config().Tenants[0]
		return &faultRig{srv: s, tenant: tt, app: tt.EnterpriseApps[0], reg: tt.AppRegistrations[0], sp: sp}
	}
	p.a, p.b = rig(a), rig(b)
	if !bytes.Equal(a.AppKeys(p.a.app)[0].Cert.Raw, b.AppKeys(p.b.app)[0].Cert.Raw) {
		t.Fatal("A and B do not share the app's signing certificate")
	}
	t.Cleanup(func() {
		if p.bGenerated > 0 && !p.lenient {
			t.Errorf("replica B generated %d keys instead of using the stored fault keys", p.bGenerated)
		}
	})
	return p
}

// browserWith returns a browser context carrying the armed fault's cookie (the cookie jar
// ignores ports, so both replicas' origins get it).
func browserWith(t *testing.T, srv *idp.Server, af *idp.ArmedFault) *idptest.Browser {
	t.Helper()
	br := idptest.NewBrowser(nil)
	if err := br.SetCookie(srv.URL, af.Cookie()); err != nil {
		t.Fatal(err)
	}
	return br
}

func usedOf(srv *idp.Server, token string) (int, bool) {
	for _, a := range srv.ArmedFaults() {
		if a.Token == token {
			return a.Used, true
		}
	}
	return 0, false
}

const wrongAudience = "https://other-app.example.test/"
const wrongIssuer = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// TestReplicaFaultsArmOnAMintOnB: a fault armed on A (for a context, and for the next two
// sign-ins of anyone) is minted by B and A, its uses are counted once across both, and a
// used-up fault is minted by neither.
func TestReplicaFaultsArmOnAMintOnB(t *testing.T) {
	p := newRFPair(t)
	af, err := p.a.srv.ArmContext("saml.audience.wrong")
	if err != nil {
		t.Fatal(err)
	}
	br := browserWith(t, p.a.srv, af)
	if used, ok := usedOf(p.b.srv, af.Token); !ok || used != 0 {
		t.Fatalf("B lists the fault armed on A: %v, used %d", ok, used)
	}
	if x, _ := p.b.samlSignIn(t, br, 1); !bytes.Contains(x, []byte(wrongAudience)) {
		t.Errorf("B did not mint the context fault armed on A")
	}
	if used, _ := usedOf(p.a.srv, af.Token); used != 1 {
		t.Errorf("A counts %d uses of the fault B minted, want 1", used)
	}
	if x, _ := p.a.samlSignIn(t, br, 2); bytes.Contains(x, []byte(wrongAudience)) {
		t.Errorf("A minted the context fault again after B used it up")
	}
	if x, _ := p.b.samlSignIn(t, idptest.NewBrowser(nil), 3); bytes.Contains(x, []byte(wrongAudience)) {
		t.Errorf("another context got the context fault")
	}

	next, err := p.a.srv.Arm(idp.Arming{Fault: "saml.issuer.wrong", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := p.b.samlSignIn(t, idptest.NewBrowser(nil), 4); !bytes.Contains(x, []byte(wrongIssuer)) {
		t.Errorf("B did not mint use 1 of the fault armed on A")
	}
	if used, _ := usedOf(p.b.srv, next.Token); used != 1 {
		t.Errorf("B counts %d uses, want 1", used)
	}
	if used, _ := usedOf(p.a.srv, next.Token); used != 1 {
		t.Errorf("A counts %d uses, want 1", used)
	}
	if x, _ := p.a.samlSignIn(t, idptest.NewBrowser(nil), 5); !bytes.Contains(x, []byte(wrongIssuer)) {
		t.Errorf("A did not mint use 2")
	}
	for _, s := range []*idp.Server{p.a.srv, p.b.srv} {
		if _, ok := usedOf(s, next.Token); ok {
			t.Errorf("%s still lists the used-up fault", s.URL)
		}
	}
	if x, _ := p.b.samlSignIn(t, idptest.NewBrowser(nil), 6); bytes.Contains(x, []byte(wrongIssuer)) {
		t.Errorf("B minted a used-up fault")
	}
	if x, _ := p.a.samlSignIn(t, idptest.NewBrowser(nil), 7); bytes.Contains(x, []byte(wrongIssuer)) {
		t.Errorf("A minted a used-up fault")
	}
}

// TestReplicaFaultsConcurrentUses: of many sign-ins on both replicas at once, exactly Count
// get the fault.
func TestReplicaFaultsConcurrentUses(t *testing.T) {
	p := newRFPair(t)
	if _, err := p.b.srv.Arm(idp.Arming{Fault: "saml.issuer.wrong", Count: 5}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := p.a
			if i%2 == 1 {
				r = p.b
			}
			x, _ := r.samlSignIn(t, idptest.NewBrowser(nil), 10+i)
			if bytes.Contains(x, []byte(wrongIssuer)) {
				mu.Lock()
				got++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got != 5 { // 4 sign-ins per replica: only a shared count reaches 5
		t.Errorf("%d of 8 concurrent sign-ins on A and B got a fault armed for 5", got)
	}
}

// responseCert is the certificate in the KeyInfo of the Response's assertion signature.
func responseCert(t *testing.T, x []byte) (*etree.Element, *x509.Certificate) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(x); err != nil {
		t.Fatal(err)
	}
	sig := doc.FindElement("//Assertion/Signature")
	if sig == nil {
		t.Fatal("the assertion is not signed")
	}
	der, _ := base64.StdEncoding.DecodeString(sig.FindElement("./KeyInfo/X509Data/X509Certificate").Text())
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return sig.Parent(), cert
}

// metadataCerts are the signing certificates of the app's federation metadata as served.
func metadataCerts(t *testing.T, r *faultRig) []*x509.Certificate {
	t.Helper()
	resp, err := http.Get(r.srv.MetadataURL(r.tenant, r.app))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(body, []byte("\ufeff"))); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	var out []*x509.Certificate
	seen := map[string]bool{}
	for _, el := range doc.FindElements("//IDPSSODescriptor/KeyDescriptor//X509Certificate") {
		der, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(el.Text()))
		if c, err := x509.ParseCertificate(der); err == nil && !seen[string(der)] {
			seen[string(der)] = true
			out = append(out, c)
		}
	}
	return out
}

// TestReplicaFaultsCertificates: the certificate a certificate fault armed on A publishes is
// in B's metadata, B signs with the same one (and its signature verifies with it), and B
// signs an untrusted-key fault with A's untrusted key.
func TestReplicaFaultsCertificates(t *testing.T) {
	p := newRFPair(t)
	before := len(metadataCerts(t, p.b))
	af, err := p.a.srv.ArmContext("saml.cert.rollover")
	if err != nil {
		t.Fatal(err)
	}
	certsA, certsB := metadataCerts(t, p.a), metadataCerts(t, p.b)
	if len(certsB) != before+1 || len(certsA) != len(certsB) {
		t.Fatalf("metadata certificates: B %d (was %d), A %d; want the rollover certificate A's arming published in both", len(certsB), before, len(certsA))
	}
	for i := range certsA {
		if !certsA[i].Equal(certsB[i]) {
			t.Errorf("metadata certificate %d differs between A and B", i)
		}
	}
	x, _ := p.b.samlSignIn(t, browserWith(t, p.a.srv, af), 1)
	signed, cert := responseCert(t, x)
	if cert.Equal(p.b.srv.AppKeys(p.b.app)[0].Cert) || !cert.Equal(certsB[len(certsB)-1]) {
		t.Errorf("B signed the rollover fault with %s, not with the certificate its metadata published", cert.Subject)
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certsB})
	vc.Clock = dsig.NewFakeClockAt(faultClockAt)
	if _, err := vc.Validate(signed.Copy()); err != nil {
		t.Errorf("B's signature does not verify with B's metadata: %v", err)
	}

	un, err := p.a.srv.ArmContext("saml.sig.untrusted-key")
	if err != nil {
		t.Fatal(err)
	}
	xa, _ := p.a.samlSignIn(t, browserWith(t, p.a.srv, un), 2)
	un2, _ := p.a.srv.ArmContext("saml.sig.untrusted-key")
	xb, _ := p.b.samlSignIn(t, browserWith(t, p.a.srv, un2), 3)
	_, ca := responseCert(t, xa)
	_, cb := responseCert(t, xb)
	if !ca.Equal(cb) {
		t.Errorf("A and B sign the untrusted-key fault with different keys")
	}
	for _, c := range metadataCerts(t, p.b) {
		if c.Equal(cb) {
			t.Errorf("the untrusted key is published")
		}
	}
}

// jwksOf fetches a replica's tenant key set.
func jwksOf(t *testing.T, r *faultRig) jose.JSONWebKeySet {
	t.Helper()
	return r.jwks(t)
}

// idTokenKid is the kid of an ID token's header.
func idTokenKid(t *testing.T, tokens map[string]any) (*jwt.JSONWebToken, string) {
	t.Helper()
	tok, err := jwt.ParseSigned(tokens["id_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	return tok, tok.Headers[0].KeyID
}

// TestReplicaFaultsKeyRotation: oidc.key.rotation armed on A; its second sign-in, on B, signs
// with a rotation key B makes and publishes, which A's key set lists too, and B's ID token
// verifies with A's key set; A signs the next rotation with the same key. Disarming on B
// unpublishes it for A.
func TestReplicaFaultsKeyRotation(t *testing.T) {
	p := newRFPair(t)
	p.lenient = true // B is the first to need the rotation key
	af, err := p.a.srv.ArmContext("oidc.key.rotation")
	if err != nil {
		t.Fatal(err)
	}
	br := browserWith(t, p.a.srv, af)
	_, tokens, _ := p.a.oidcSignIn(t, br) // step 0: the current key
	_, ownKid := idTokenKid(t, tokens)
	_, tokens, _ = p.b.oidcSignIn(t, br)
	tok, kid := idTokenKid(t, tokens)
	if kid == ownKid {
		t.Fatalf("B's second sign-in is signed with the current key %s", kid)
	}
	setA, setB := jwksOf(t, p.a), jwksOf(t, p.b)
	found := setA.Key(kid)
	if len(found) != 1 || len(setB.Key(kid)) != 1 {
		t.Fatalf("the key sets of A (%d) and B (%d) do not list the key %s B's rotated ID token names", len(found), len(setB.Key(kid)), kid)
	}
	var claims map[string]any
	if err := tok.Claims(found[0].Key, &claims); err != nil {
		t.Errorf("B's ID token does not verify with A's published key: %v", err)
	}
	if p.bGenerated != 1 {
		t.Errorf("B made %d keys, want 1 (the rotation key)", p.bGenerated)
	}

	again, err := p.a.srv.ArmContext("oidc.key.rotation")
	if err != nil {
		t.Fatal(err)
	}
	br2 := browserWith(t, p.a.srv, again)
	p.a.oidcSignIn(t, br2)
	if _, tokens, _ = p.a.oidcSignIn(t, br2); func() string { _, k := idTokenKid(t, tokens); return k }() != kid {
		t.Errorf("A signed the rotation with another key than the one B made and published")
	}
	if !p.b.srv.Disarm(af.Token) || !p.b.srv.Disarm(again.Token) {
		t.Fatal("B cannot disarm the faults armed on A")
	}
	if after := jwksOf(t, p.a); len(after.Key(kid)) != 0 {
		t.Errorf("A's key set still lists the rotation key after B disarmed the rotation")
	}
	if len(p.a.srv.ArmedFaults()) != 0 || p.a.srv.Disarm(af.Token) {
		t.Errorf("A still has the fault B disarmed")
	}
}

// TestReplicaFaultsUserinfo: the userinfo fault of a token A issued is answered by B; the
// made-up foreign tenant's user of a token A minted is found by B.
func TestReplicaFaultsUserinfo(t *testing.T) {
	p := newRFPair(t)
	af, err := p.a.srv.ArmContext("oidc.userinfo.wrong-sub")
	if err != nil {
		t.Fatal(err)
	}
	_, tokens, clean := p.a.oidcSignIn(t, browserWith(t, p.a.srv, af))
	if !strings.Contains(clean, "sub") {
		t.Fatalf("userinfo on A: %s", clean)
	}
	userinfo := func(r *faultRig) map[string]any {
		req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/oidc/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+tokens["access_token"].(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	onA, onB := userinfo(p.a), userinfo(p.b)
	if onB["sub"] == nil || onA["sub"] != onB["sub"] || onB["email"] == "B.Simon@contoso.com" {
		t.Errorf("userinfo for A's faulted token: A %v, B %v; want the same other user's answer", onA, onB)
	}

	fa, err := p.a.srv.ArmContext("oidc.tenant.foreign")
	if err != nil {
		t.Fatal(err)
	}
	_, tokens, _ = p.a.oidcSignIn(t, browserWith(t, p.a.srv, fa))
	onB = userinfo(p.b)
	if onB["email"] == nil || !strings.Contains(onB["email"].(string), "fabrikam") {
		t.Errorf("B's userinfo for the foreign tenant's token A minted: %v", onB)
	}
}

// TestReplicaFaultsControlAPI: a fault armed through A's control API is listed by B's, and
// disarmed through B's for A.
func TestReplicaFaultsControlAPI(t *testing.T) {
	cfg := idp.DefaultConfig()
	cfg.ControlAPI = &idp.ControlAPI{Token: "0123456789abcdef-token"}
	store := idp.NewMemoryStore(nil)
	a := idptest.Start(t, idp.WithConfig(cfg), idp.WithStore(store))
	b := idptest.Start(t, idp.WithConfig(cfg), idp.WithStore(store))
	tok := cfg.ControlAPI.Token
	code, out := controlCall(t, a, "POST", "/_mockidp/faults/armed", tok, `{"fault":"oidc.state.wrong","context":true}`)
	if code != http.StatusCreated {
		t.Fatalf("arm on A: %d %v", code, out)
	}
	if code, list := controlCall(t, b, "GET", "/_mockidp/faults/armed", tok, ""); code != 200 || len(list["value"].([]any)) != 1 {
		t.Fatalf("B's armed list: %d %v", code, list)
	}
	if code, _ := controlCall(t, b, "DELETE", "/_mockidp/faults/armed/"+out["token"].(string), tok, ""); code != http.StatusNoContent {
		t.Errorf("disarm on B: %d", code)
	}
	if code, _ := controlCall(t, a, "DELETE", "/_mockidp/faults/armed/"+out["token"].(string), tok, ""); code != http.StatusNotFound {
		t.Errorf("disarm on A after B: %d, want 404", code)
	}
}

// TestReplicaFaultsConfig: two replicas of one config arm its faults once, not once each.
func TestReplicaFaultsConfig(t *testing.T) {
	cfg, err := idp.ParseConfig([]byte(`
tenants:
  - id: 3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15
    verifiedDomains: [contoso.com]
    users: [{id: 0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f, userPrincipalName: a@contoso.com, password: x}]
faults:
  - {fault: oidc.id_token.wrong-aud, user: a@contoso.com, count: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	store := idp.NewMemoryStore(nil)
	a := idptest.Start(t, idp.WithConfig(cfg), idp.WithStore(store))
	b := idptest.Start(t, idp.WithConfig(cfg), idp.WithStore(store))
	for _, s := range []*idp.Server{a, b} {
		if armed := s.ArmedFaults(); len(armed) != 1 || armed[0].Count != 2 {
			t.Errorf("%s lists %+v, want the config fault once", s.URL, armed)
		}
	}
}

// TestReplicaFaultsAttackerKey: the jku of a token A minted, fetched from B, serves the key
// A signed with, and B's log joins the fetch to the sign-in's fault.
func TestReplicaFaultsAttackerKey(t *testing.T) {
	p := newRFPair(t)
	p.lenient = true // A made the attacker key at mint time; B must read, not make, it
	af, err := p.a.srv.ArmContext("oidc.header.jku")
	if err != nil {
		t.Fatal(err)
	}
	_, tokens, _ := p.a.oidcSignIn(t, browserWith(t, p.a.srv, af))
	tok, kid := idTokenKid(t, tokens)
	jku, _ := tok.Headers[0].ExtraHeaders["jku"].(string)
	if !strings.HasPrefix(jku, p.a.srv.URL+"/") {
		t.Fatalf("jku %q", jku)
	}
	resp, err := http.Get(p.b.srv.URL + strings.TrimPrefix(jku, p.a.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Key(kid)) != 1 {
		t.Fatalf("B's attacker key set (%v) lacks the key %s A signed with", err, kid)
	}
	var claims map[string]any
	if err := tok.Claims(set.Key(kid)[0].Key, &claims); err != nil {
		t.Errorf("A's token does not verify with the attacker key B serves: %v", err)
	}
	if p.bGenerated != 0 {
		t.Errorf("B made %d keys for the attacker key set", p.bGenerated)
	}
	var logged bool
	for _, ev := range p.b.srv.Events() {
		if ev.Kind == idp.EventKeys && ev.Fault != nil && ev.Fault.ID == "oidc.header.jku" {
			logged = true
		}
	}
	if !logged {
		t.Errorf("B's log does not join the attacker-key fetch to the jku fault")
	}
}

// countingStore counts the calls a server makes on the fault namespaces.
type countingStore struct {
	idp.Store
	mu    sync.Mutex
	calls []string
}

func (c *countingStore) note(op, key string) {
	if strings.HasPrefix(key, "fault") {
		c.mu.Lock()
		c.calls = append(c.calls, op+" "+key)
		c.mu.Unlock()
	}
}

func (c *countingStore) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.note("Get", key)
	return c.Store.Get(ctx, key)
}

func (c *countingStore) Put(ctx context.Context, key string, v []byte, exp time.Time) error {
	c.note("Put", key)
	return c.Store.Put(ctx, key, v, exp)
}

func (c *countingStore) Add(ctx context.Context, key string, v []byte, exp time.Time) (bool, error) {
	c.note("Add", key)
	return c.Store.Add(ctx, key, v, exp)
}

func (c *countingStore) Take(ctx context.Context, key string) ([]byte, error) {
	c.note("Take", key)
	return c.Store.Take(ctx, key)
}

func (c *countingStore) Delete(ctx context.Context, key string) error {
	c.note("Delete", key)
	return c.Store.Delete(ctx, key)
}

func (c *countingStore) List(ctx context.Context, prefix string) (map[string][]byte, error) {
	c.note("List", prefix)
	return c.Store.List(ctx, prefix)
}

// TestReplicaFaultsHotPath: an unfaulted sign-in costs one store call for faults — a List of
// the armed faults, or the Get of a fault cookie's arming.
func TestReplicaFaultsHotPath(t *testing.T) {
	rig := newFaultRig(t)
	st := &countingStore{Store: idp.NewMemoryStore(nil)}
	srv := idptest.Start(t, idp.WithConfig(rig.srv.Config()), idp.WithStore(st))
	r := &faultRig{srv: srv, tenant: srv.Config().Tenants[0], app: srv.Config().Tenants[0].EnterpriseApps[0], sp: rig.sp}
	check := func(what string) {
		t.Helper()
		st.take()
		r.samlSignIn(t, idptest.NewBrowser(nil), 1)
		if calls := st.take(); len(calls) != 1 {
			t.Errorf("%s: %d fault store calls %v, want 1", what, len(calls), calls)
		}
	}
	check("nothing armed")
	if _, err := srv.ArmContext("saml.audience.wrong"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Arm(idp.Arming{Fault: "saml.issuer.wrong", User: "AlexW@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	check("faults armed for another context and another user")
	af, _ := srv.ArmContext("saml.audience.wrong")
	srv.Disarm(af.Token)
	st.take()
	r.samlSignIn(t, browserWith(t, srv, af), 2)
	if calls := st.take(); len(calls) != 1 || !strings.HasPrefix(calls[0], "Get fault-ctx/") {
		t.Errorf("a disarmed fault's cookie: fault store calls %v, want one Get", calls)
	}
}
