package idp_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// replicaPublicURL is the one public URL both replicas answer for, as behind a load balancer.
const replicaPublicURL = "http://login.replica.test"

// startGrantReplicas starts two mock IdPs, A and B, from one config, one key directory and one
// store: two replicas of one IdP.
func startGrantReplicas(t *testing.T, cfg *idp.Config) (a, b *idp.Server) {
	t.Helper()
	cfg.KeyDir = t.TempDir()
	cfg.PublicURL = replicaPublicURL
	st := idp.NewMemoryStore(nil)
	a = idptest.Start(t, idp.WithConfig(cfg), idp.WithStore(st))
	b = idptest.Start(t, idp.WithConfig(cfg), idp.WithStore(st))
	return a, b
}

// replicaTransport sends the requests for the public host to the listener of the replica it
// is pinned to (Pin), as a load balancer would; other hosts are not dialled.
type replicaTransport struct {
	mu  sync.Mutex
	to  *idp.Server
	via []string // the listener of each request, in order
}

func (rt *replicaTransport) Pin(s *idp.Server) { rt.mu.Lock(); rt.to = s; rt.mu.Unlock() }

func (rt *replicaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	addr := rt.to.Listener.Addr().String()
	rt.via = append(rt.via, addr)
	rt.mu.Unlock()
	r2 := r.Clone(r.Context())
	r2.URL.Host = addr // r2.Host stays the public host
	return http.DefaultTransport.RoundTrip(r2)
}

// replicaClient is a browser-like client (cookies, stops at redirects leaving the IdP)
// whose requests go to the replica rt is pinned to.
func replicaClient(to *idp.Server) (*http.Client, *replicaTransport) {
	rt := &replicaTransport{to: to}
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(replicaPublicURL, "http://")
	return &http.Client{Transport: rt, Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}, rt
}

// tokenCall posts a token request to the replica c is pinned to and decodes the answer.
func tokenCall(t *testing.T, c *http.Client, v url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := c.PostForm(replicaPublicURL+"/"+contosoID+"/oauth2/v2.0/token", v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

// wantAADSTS checks a token error's code.
func wantAADSTS(t *testing.T, what string, status int, m map[string]any, code string) {
	t.Helper()
	desc, _ := m["error_description"].(string)
	if status != http.StatusBadRequest || !strings.HasPrefix(desc, code+":") {
		t.Fatalf("%s: %d %v, want 400 %s", what, status, m, code)
	}
}

// signInForCode signs B.Simon in to the web app through the replica c is pinned to and
// returns the authorization code.
func signInForCode(t *testing.T, c *http.Client, srv *idp.Server, scope string) string {
	t.Helper()
	q := url.Values{"client_id": {webAppID}, "response_type": {"code"}, "redirect_uri": {webRedir},
		"scope": {scope}, "state": {"st"}, "nonce": {"nn"}}
	res := oidcAuthorize(t, c, srv, replicaPublicURL+"/"+contosoID+"/oauth2/v2.0/authorize?"+q.Encode(), bSimon)
	code := res.params().Get("code")
	if code == "" {
		t.Fatalf("no code: %v %s", res.location, oidcTrunc(res.body))
	}
	return code
}

// TestReplicaGrants: a code issued by replica A is redeemed at B, its replay at A is
// AADSTS54005; B's refresh token is redeemed at A; userinfo at B joins A's sign-in in the
// log; a user deleted through A gets no sign-in nor refresh at B.
func TestReplicaGrants(t *testing.T) {
	a, b := startGrantReplicas(t, oidcTestConfig())
	browser, _ := replicaClient(a) // the sign-in on A (pending flows are replicated by R1's slice)
	code := signInForCode(t, browser, a, "openid profile offline_access User.Read")
	toA, _ := replicaClient(a)
	toB, _ := replicaClient(b)
	redeem := url.Values{"grant_type": {"authorization_code"}, "client_id": {webAppID}, "client_secret": {webSecret},
		"code": {code}, "redirect_uri": {webRedir}}
	st, m := tokenCall(t, toB, redeem)
	if st != http.StatusOK || m["id_token"] == nil || m["refresh_token"] == nil || m["access_token"] == nil {
		t.Fatalf("code from A redeemed at B: %d %v", st, m)
	}
	st, m2 := tokenCall(t, toA, redeem)
	wantAADSTS(t, "replay at A", st, m2, "AADSTS54005")
	st, m2 = tokenCall(t, toB, redeem)
	wantAADSTS(t, "replay at B", st, m2, "AADSTS54005")

	// The refresh token B issued, redeemed at A.
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {webAppID}, "client_secret": {webSecret},
		"refresh_token": {m["refresh_token"].(string)}, "scope": {"openid profile offline_access User.Read"}}
	st, r := tokenCall(t, toA, refresh)
	if st != http.StatusOK || r["access_token"] == nil || r["refresh_token"] == nil {
		t.Fatalf("B's refresh token at A: %d %v", st, r)
	}

	// Userinfo at B with the access token from B's redemption joins the sign-in on A.
	var signInCorr string
	for _, ev := range a.Events() {
		if ev.Kind == idp.EventAuthorize && ev.Status == idp.StatusSuccess {
			signInCorr = ev.CorrelationID
		}
	}
	for _, at := range []string{m["access_token"].(string), r["access_token"].(string)} {
		req, _ := http.NewRequest(http.MethodGet, replicaPublicURL+"/oidc/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		resp, err := toB.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("userinfo at B: %d", resp.StatusCode)
		}
	}
	var joined int
	for _, ev := range b.Events() {
		if ev.Kind == idp.EventUserInfo {
			if signInCorr == "" || ev.CorrelationID != signInCorr {
				t.Errorf("userinfo at B has correlation %q, want the sign-in's on A %q", ev.CorrelationID, signInCorr)
			}
			joined++
		}
	}
	if joined != 2 {
		t.Errorf("B logged %d userinfo calls, want 2", joined)
	}

	// The user deleted through A: B refuses the refresh token and the sign-in.
	if err := a.DeleteUser(bSimon); err != nil {
		t.Fatal(err)
	}
	st, m2 = tokenCall(t, toB, refresh)
	wantAADSTS(t, "refresh at B after DeleteUser on A", st, m2, "AADSTS50034")
	browserB, _ := replicaClient(b)
	q := url.Values{"client_id": {webAppID}, "response_type": {"code"}, "redirect_uri": {webRedir}, "scope": {"openid"}, "state": {"s"}}
	resp, err := browserB.Get(replicaPublicURL + "/" + contosoID + "/oauth2/v2.0/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	action, v := oidcFormOf(t, oidcRead(t, resp))
	v.Set("login", bSimon)
	if resp, err = browserB.PostForm(replicaPublicURL+action, v); err != nil {
		t.Fatal(err)
	}
	if body := oidcRead(t, resp); !strings.Contains(body, "50034") {
		t.Errorf("sign-in at B of the user deleted on A: no AADSTS50034:\n%s", oidcTrunc(body))
	}
	if d := b.DeletedUsers(); len(d) != 1 || d[0].UserPrincipalName != bSimon {
		t.Errorf("B's deleted users: %+v", d)
	}
}

// TestReplicaCodeSealed: a code is not accepted as a refresh token nor altered, and a code of
// another app is refused, on either replica.
func TestReplicaCodeSealed(t *testing.T) {
	a, b := startGrantReplicas(t, oidcTestConfig())
	browser, _ := replicaClient(a)
	code := signInForCode(t, browser, a, "openid offline_access")
	toB, _ := replicaClient(b)
	st, m := tokenCall(t, toB, url.Values{"grant_type": {"refresh_token"}, "client_id": {webAppID}, "client_secret": {webSecret}, "refresh_token": {code}})
	wantAADSTS(t, "code as a refresh token", st, m, "AADSTS9002313")
	bad := []byte(code)
	bad[len(bad)/2] ^= 1
	st, m = tokenCall(t, toB, url.Values{"grant_type": {"authorization_code"}, "client_id": {webAppID}, "client_secret": {webSecret},
		"code": {string(bad)}, "redirect_uri": {webRedir}})
	wantAADSTS(t, "altered code", st, m, "AADSTS70000")
	st, m = tokenCall(t, toB, url.Values{"grant_type": {"authorization_code"}, "client_id": {multiAppID}, "client_secret": {webSecret},
		"code": {code}, "redirect_uri": {webRedir}})
	wantAADSTS(t, "another app's code", st, m, "AADSTS70000")
}

// TestReplicaDeviceCode: the device polls A, the user approves on B's /devicelogin, the
// poll at A gets the tokens, and a second poll at B finds the code used.
func TestReplicaDeviceCode(t *testing.T) {
	a, b := startGrantReplicas(t, deviceTestConfig())
	toA, _ := replicaClient(a)
	toB, _ := replicaClient(b)
	resp, err := toA.PostForm(replicaPublicURL+"/"+contosoID+"/oauth2/v2.0/devicecode",
		url.Values{"client_id": {deviceAppID}, "scope": {"openid profile offline_access User.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	var da struct {
		UserCode        string `json:"user_code"`
		DeviceCode      string `json:"device_code"`
		VerificationURI string `json:"verification_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&da); err != nil || da.DeviceCode == "" {
		t.Fatalf("devicecode at A: %v %+v", err, da)
	}
	resp.Body.Close()
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {deviceAppID}, "device_code": {da.DeviceCode}}
	st, m := tokenCall(t, toB, poll)
	wantAADSTS(t, "pending poll at B", st, m, "AADSTS70016")

	browserB, _ := replicaClient(b) // the browser's whole sign-in on B
	done := approveDevice(t, idptest.NewBrowser(browserB), da.VerificationURI, da.UserCode, bSimon, "continue")
	if !strings.Contains(done.Text(), "You have signed in to the Contoso CLI application on your device.") {
		t.Fatalf("done page on B: %s", oidcTrunc(done.String()))
	}
	st, m = tokenCall(t, toA, poll)
	if st != http.StatusOK || m["access_token"] == nil || m["id_token"] == nil || m["refresh_token"] == nil {
		t.Fatalf("poll at A after approval on B: %d %v", st, m)
	}
	st, m = tokenCall(t, toB, poll)
	wantAADSTS(t, "second poll at B", st, m, "AADSTS70018")
	// The code entered again on A's page: used.
	resp, err = toA.PostForm(replicaPublicURL+"/common/oauth2/deviceauth", url.Values{"otc": {da.UserCode}})
	if err != nil {
		t.Fatal(err)
	}
	if body := oidcRead(t, resp); !strings.Contains(body, `data-aadsts="70018"`) {
		t.Errorf("used code entered on A: %s", oidcTrunc(body))
	}
}

// TestReplicaFaultedCode: the fault minted into a sign-in on A travels in the code: B's
// token response carries the same swapped identity (oidc.tenant.foreign: a user of the
// made-up tenant) and B's token event names the fault.
func TestReplicaFaultedCode(t *testing.T) {
	a, b := startGrantReplicas(t, oidcTestConfig())
	if _, err := a.Arm(idp.Arming{Fault: "oidc.tenant.foreign"}); err != nil {
		t.Fatal(err)
	}
	browser, _ := replicaClient(a)
	code := signInForCode(t, browser, a, "openid profile")
	toB, _ := replicaClient(b)
	st, m := tokenCall(t, toB, url.Values{"grant_type": {"authorization_code"}, "client_id": {webAppID}, "client_secret": {webSecret},
		"code": {code}, "redirect_uri": {webRedir}})
	if st != http.StatusOK {
		t.Fatalf("faulted code at B: %d %v", st, m)
	}
	parts := strings.Split(m["id_token"].(string), ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Tid, Iss, PreferredUsername string }
	_ = json.Unmarshal(raw, &claims)
	if claims.Tid == contosoID || claims.Tid == "" || !strings.Contains(claims.Iss, claims.Tid) {
		t.Errorf("ID token from B: tid %q iss %q, want the foreign tenant's", claims.Tid, claims.Iss)
	}
	var named bool
	for _, ev := range b.Events() {
		if ev.Kind == idp.EventToken && ev.Fault != nil && ev.Fault.ID == "oidc.tenant.foreign" {
			named = true
		}
	}
	if !named {
		t.Error("B's token event does not name the fault minted on A")
	}
}

// flipTransport is a round-robin load balancer without stickiness in front of two TLS
// replicas: each request for the IdP's host (or login.microsoftonline.com, MSAL's instance
// discovery) goes to the other replica than the last; pinned, all go to one.
type flipTransport struct {
	mu     sync.Mutex
	addrs  []string
	pinned string
	n      int
	served map[string]int
	next   http.RoundTripper
}

func newFlipTransport(t *testing.T, a, b *idp.Server) *flipTransport {
	pool := x509.NewCertPool()
	pool.AddCert(a.Certificate())
	pool.AddCert(b.Certificate())
	next := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(next.CloseIdleConnections)
	return &flipTransport{addrs: []string{a.Listener.Addr().String(), b.Listener.Addr().String()}, served: map[string]int{}, next: next}
}

func (f *flipTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "login.replica.test" || r.URL.Host == "login.microsoftonline.com" {
		f.mu.Lock()
		addr := f.pinned
		if addr == "" {
			addr = f.addrs[f.n%len(f.addrs)]
			f.n++
		}
		f.served[addr]++
		f.mu.Unlock()
		r = r.Clone(r.Context())
		r.URL.Host, r.Host = addr, "login.replica.test"
	}
	return f.next.RoundTrip(r)
}

// TestMSALDeviceCodeReplicas: MSAL Go's public client, unmodified, signs in by device code
// through a round-robin balancer over two replicas (every request to the other one): the
// device code request, the polls, and the refresh grant of AcquireTokenSilent land on
// either; the user approves in a browser pinned to B (the sign-in pages' own state is
// another slice's).
func TestMSALDeviceCodeReplicas(t *testing.T) {
	cfg := deviceTestConfig()
	cfg.KeyDir = t.TempDir()
	cfg.PublicURL = "https://login.replica.test"
	st := idp.NewMemoryStore(nil)
	a := idptest.StartTLS(t, idp.WithConfig(cfg), idp.WithStore(st))
	b := idptest.StartTLS(t, idp.WithConfig(cfg), idp.WithStore(st))
	lb := newFlipTransport(t, a, b)
	app, err := public.New(deviceAppID, public.WithAuthority(cfg.PublicURL+"/"+contosoID), public.WithHTTPClient(&http.Client{Transport: lb}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dc, err := app.AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	if err != nil {
		t.Fatalf("AcquireTokenByDeviceCode: %v", err)
	}
	pin := newFlipTransport(t, a, b)
	pin.pinned = b.Listener.Addr().String()
	jar, _ := cookiejar.New(nil)
	approved := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond) // MSAL polls (authorization_pending) meanwhile
		br := idptest.NewBrowser(&http.Client{Transport: pin, Jar: jar})
		p, err := br.Get(dc.Result.VerificationURL)
		if err == nil {
			p, err = br.Submit(p, "code-form", map[string]string{"otc": dc.Result.UserCode})
		}
		if err == nil {
			p, err = br.Continue(p, bSimon, bPassword)
		}
		if err == nil {
			_, err = br.Submit(p, "continue-form", nil)
		}
		approved <- err
	}()
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		t.Fatalf("AuthenticationResult: %v", err)
	}
	if err := <-approved; err != nil {
		t.Fatalf("approval on B: %v", err)
	}
	if res.IDToken.PreferredUsername != bSimon {
		t.Errorf("signed in %q", res.IDToken.PreferredUsername)
	}
	silent, err := app.AcquireTokenSilent(ctx, []string{"User.Read", "email"}, public.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatalf("AcquireTokenSilent (refresh grant) through the balancer: %v", err)
	}
	if silent.Metadata.TokenSource != public.TokenSourceIdentityProvider {
		t.Errorf("silent token from %v, want the IdP (a refresh grant)", silent.Metadata.TokenSource)
	}
	grants := map[string]bool{}
	for _, s := range []*idp.Server{a, b} {
		for _, ev := range s.Events() {
			if ev.Kind == idp.EventToken && ev.Status == idp.StatusSuccess {
				grants[ev.Request["grant_type"]] = true
			}
		}
	}
	if !grants["device_code"] || !grants["refresh_token"] {
		t.Errorf("successful grants over both replicas: %v", grants)
	}
	t.Logf("MSAL's requests per replica: %v", lb.served)
	if len(lb.served) != 2 || lb.served[lb.addrs[0]] == 0 || lb.served[lb.addrs[1]] == 0 {
		t.Errorf("MSAL's requests per replica: %v", lb.served)
	}
}
