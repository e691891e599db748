package idp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/internal/nodetest"
)

// msalNodeDir is the Node project of the @azure/msal-node oracle (package.json and
// package-lock.json committed; node_modules installed by the test, never committed).
const msalNodeDir = "testdata/msal-node-oracle"

// msalNodeStep is one line the oracle prints.
type msalNodeStep struct {
	Step            string   `json:"step"`
	URL             string   `json:"url"`
	IDToken         string   `json:"idToken"`
	AccessToken     string   `json:"accessToken"`
	HomeAccountID   string   `json:"homeAccountId"`
	Username        string   `json:"username"`
	FromCache       bool     `json:"fromCache"`
	UserCode        string   `json:"userCode"`
	VerificationURI string   `json:"verificationUri"`
	Message         string   `json:"message"`
	Interval        int      `json:"interval"`
	Discovery       []string `json:"discovery"`
	ErrorCode       string   `json:"errorCode"`
}

// TestMSALNode: Microsoft's @azure/msal-node, unmodified, completes auth code + PKCE,
// refresh, client credentials and device code against the mock over HTTPS, with instance
// discovery on. The browser parts (the sign-in page, the device login page) are driven by
// a Go browser; every token MSAL accepted is checked here: ID tokens verify against the
// mock's JWKS, Graph access tokens are accepted by userinfo, the app-only token verifies.
func TestMSALNode(t *testing.T) {
	t.Parallel() // mostly waiting on Node: overlaps the other slow tests
	node := nodetest.Node(t, msalNodeDir)
	got := make(chan string, 1)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.URL.Query().Get("code"):
		default:
		}
		_, _ = w.Write([]byte("signed in"))
	}))
	t.Cleanup(rp.Close)
	redirect := rp.URL + "/redirect"
	cfg := deviceTestConfig()
	for _, a := range cfg.Tenants[0].AppRegistrations {
		if a.AppID == deviceAppID {
			a.PublicClient.RedirectURIs = append(a.PublicClient.RedirectURIs, redirect)
		}
	}
	srv := idptest.StartTLS(t, idp.WithConfig(cfg))
	caFile := filepath.Join(t.TempDir(), "mock-ca.pem")
	if err := os.WriteFile(caFile, srv.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "oracle.mjs")
	cmd.Dir = msalNodeDir
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caFile, "MOCK_CA="+caFile,
		"AUTHORITY="+srv.URL+"/"+contosoID, "PUBLIC_CLIENT_ID="+deviceAppID, "REDIRECT_URI="+redirect,
		"CONFIDENTIAL_CLIENT_ID="+webAppID, "CLIENT_SECRET="+webSecret, "APP_SCOPE=api://"+webAppID+"/.default")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()

	octx := oidcRPContext(srv.Client())
	prov, err := oidc.NewProvider(octx, srv.URL+"/"+contosoID+"/v2.0")
	if err != nil {
		t.Fatal(err)
	}
	idVerifier := prov.Verifier(&oidc.Config{ClientID: deviceAppID})
	checkUser := func(s msalNodeStep) {
		t.Helper()
		idt, err := idVerifier.Verify(octx, s.IDToken)
		if err != nil {
			t.Errorf("%s: ID token: %v", s.Step, err)
		} else {
			var c map[string]any
			if idt.Claims(&c) != nil || c["preferred_username"] != bSimon {
				t.Errorf("%s: ID token claims %v", s.Step, c)
			}
		}
		if s.HomeAccountID != "44444444-4444-4444-8444-444444444444."+contosoID {
			t.Errorf("%s: home account %q (client_info)", s.Step, s.HomeAccountID)
		}
		req, _ := http.NewRequest(http.MethodGet, prov.UserInfoEndpoint(), nil)
		req.Header.Set("Authorization", "Bearer "+s.AccessToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: userinfo with the access token: %d", s.Step, resp.StatusCode)
		}
	}

	var steps []string
	var authAT string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var s msalNodeStep
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("oracle printed %q: %v", sc.Text(), err)
		}
		steps = append(steps, s.Step)
		switch s.Step {
		case "authurl":
			b := idptest.NewBrowser(srv.Client())
			if p, err := b.SignIn(s.URL, bSimon, bPassword); err != nil || p.Status != http.StatusOK {
				t.Fatalf("sign-in at %s: %v %v", s.URL, err, p)
			}
			var code string
			select {
			case code = <-got:
			default:
			}
			if code == "" {
				t.Fatal("the redirect URI got no code")
			}
			line, _ := json.Marshal(map[string]string{"code": code})
			if _, err := stdin.Write(append(line, '\n')); err != nil {
				t.Fatal(err)
			}
		case "authcode", "devicetoken":
			checkUser(s)
			if s.Step == "authcode" {
				authAT = s.AccessToken
			}
		case "refresh":
			checkUser(s)
			if s.FromCache || s.AccessToken == authAT {
				t.Errorf("refresh: from cache %t, same access token %t", s.FromCache, s.AccessToken == authAT)
			}
		case "clientcredentials":
			ks := oidc.NewRemoteKeySet(octx, srv.URL+"/"+contosoID+"/discovery/v2.0/keys")
			v := oidc.NewVerifier("", ks, &oidc.Config{SkipClientIDCheck: true, SkipIssuerCheck: true})
			at, err := v.Verify(octx, s.AccessToken)
			if err != nil {
				t.Fatalf("client credentials access token: %v", err)
			}
			var c map[string]any
			_ = at.Claims(&c)
			if c["appid"] != webAppID || c["tid"] != contosoID || !(slices.Contains(at.Audience, "api://"+webAppID) || slices.Contains(at.Audience, webAppID)) {
				t.Errorf("client credentials claims: aud %v, %v", at.Audience, c)
			}
		case "devicecode":
			if len(s.UserCode) != 9 || s.VerificationURI != srv.URL+"/devicelogin" || s.Interval != 5 || !strings.Contains(s.Message, s.UserCode) {
				t.Errorf("device code: %+v", s)
			}
			p := approveDevice(t, idptest.NewBrowser(srv.Client()), s.VerificationURI, s.UserCode, bSimon, "continue")
			if !strings.Contains(p.Text(), "You have signed in to the Contoso CLI application on your device.") {
				t.Fatalf("approval: %s", oidcTrunc(p.String()))
			}
		case "done":
			if len(s.Discovery) == 0 || s.Discovery[0] != "/common/discovery/instance" {
				t.Errorf("msal-node's calls to login.microsoftonline.com = %v, want instance discovery first", s.Discovery)
			}
		case "error":
			t.Fatalf("msal-node: %s (%s)\nstderr: %s", s.Message, s.ErrorCode, stderr.String())
		}
	}
	if want := "authurl authcode refresh clientcredentials devicecode devicetoken done"; strings.Join(steps, " ") != want {
		t.Errorf("oracle steps %q, want %q; stderr: %s", strings.Join(steps, " "), want, stderr.String())
	}
	var grants []string
	for _, ev := range srv.Events() {
		if ev.Kind == idp.EventToken && ev.Status == idp.StatusSuccess {
			grants = append(grants, ev.Request["grant_type"])
		}
	}
	if want := "authorization_code refresh_token client_credentials device_code"; strings.Join(grants, " ") != want {
		t.Errorf("successful token requests %q, want %q", strings.Join(grants, " "), want)
	}
}
