package idp_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/internal/nodetest"
)

// The oracle of /{tenant}/wsfed is a WS-Federation relying party that Entra customers use,
// unmodified: npm's passport-wsfed-saml2 (testdata/wsfed-oracle/rp.js drives its Strategy
// without Express). The Go test starts the mock and the RP, signs in through the RP with a
// plain cookie-keeping client, and the RP must accept the wresult and report the user; with
// a fault armed (a signature by another key, an expired or foreign token) it must refuse.
//
// The library's git dependency on a fork of xml-crypto is replaced by xml-crypto 1.4.1 from
// the registry (package.json "overrides"): the fork's tag is v1.4.1-auth0.2, and the
// registry is the only source these machines reach.

const wsfedOracleDir = "testdata/wsfed-oracle"

// wsfedFreePort is a port nothing listens on now (the RP's address must be in the mock's
// config, as a Reply URL, before either starts).
func wsfedFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startWSFedRP runs rp.js and waits until it listens.
func startWSFedRP(t *testing.T, node string, port int, env ...string) {
	t.Helper()
	cmd := exec.Command(node, "rp.js")
	cmd.Dir = wsfedOracleDir
	cmd.Env = append(os.Environ(), append(env, fmt.Sprintf("PORT=%d", port))...)
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
	t.Cleanup(func() {
		_ = stdin.Close() // rp.js exits when its stdin ends
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if !strings.HasPrefix(line, "listening ") {
			t.Fatalf("rp.js did not start: %q\n%s", line, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("rp.js did not start within 30 s\n%s", stderr.String())
	}
}

// rpAnswer is rp.js's JSON answer.
type rpAnswer struct {
	OK    bool           `json:"ok"`
	User  map[string]any `json:"user"`
	Error string         `json:"error"`
}

func TestWSFedOraclePassport(t *testing.T) {
	node := nodetest.Node(t, wsfedOracleDir)
	for _, tokenType := range []string{idp.WSFedTokenSAML2, idp.WSFedTokenSAML11} {
		t.Run(tokenType, func(t *testing.T) {
			port := wsfedFreePort(t)
			rpBase := fmt.Sprintf("http://127.0.0.1:%d", port)
			cfg := idp.DefaultConfig()
			app := cfg.Tenants[0].EnterpriseApps[0]
			app.SAML.ReplyURLs = append(app.SAML.ReplyURLs, idp.ReplyURL{URL: rpBase + "/callback"})
			app.SAML.WSFedTokenType = tokenType
			srv := idptest.Start(t, idp.WithConfig(cfg))
			startWSFedRP(t, node, port,
				"WSFED_REALM="+wsfedRealm,
				"WSFED_IDP_URL="+srv.URL+"/"+cfg.Tenants[0].ID+"/wsfed",
				"WSFED_CERT="+base64.StdEncoding.EncodeToString(wsfedCertDER(t, srv)),
				"WSFED_REPLY="+rpBase+"/callback")

			b := idptest.NewBrowser(nil)
			signIn := func() (rpAnswer, string) {
				t.Helper()
				p, err := b.SignIn(rpBase+"/login", wsfedUser, wsfedPassword)
				if err != nil {
					t.Fatalf("sign-in through the RP: %v", err)
				}
				var a rpAnswer
				if err := json.Unmarshal([]byte(p.Body), &a); err != nil {
					t.Fatalf("the sign-in did not end at the RP's answer: %v\n%v", err, p)
				}
				return a, p.Body
			}
			a, body := signIn()
			if !a.OK {
				t.Fatalf("passport-wsfed-saml2 refused the mock's %s token: %s", tokenType, body)
			}
			if got := a.User["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"]; got != wsfedUser {
				t.Errorf("the RP reports name %v, want %s (%s)", got, wsfedUser, body)
			}
			if got := a.User["issuer"]; got != idp.EntityID(cfg.Tenants[0]) {
				t.Errorf("the RP reports issuer %v", got)
			}
			t.Logf("%s: accepted, name %v, nameidentifier %v", tokenType, a.User["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"],
				a.User["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"])

			// Negatives: the faults the library checks must make it refuse. Each is armed
			// for the next WS-Fed sign-in (the browser's session makes it single sign-on).
			for _, f := range []idp.FaultID{"saml.sig.untrusted-key", "saml.sig.none", "saml.time.expired", "saml.time.not-yet-valid", "saml.audience.wrong"} {
				if _, err := srv.Arm(idp.Arming{Fault: f}); err != nil {
					t.Fatal(err)
				}
				a, body := signIn()
				if a.OK {
					t.Errorf("%s: passport-wsfed-saml2 accepted the token (%s)", f, body)
					continue
				}
				t.Logf("%s: refused: %s", f, a.Error)
				var minted bool
				for _, e := range srv.Events() {
					if e.Kind == idp.EventWSFedSignIn && e.Fault != nil && e.Fault.ID == f {
						minted = true
					}
				}
				if !minted {
					t.Errorf("%s: no WS-Fed sign-in event records the fault", f)
				}
			}
			// And a clean sign-in after them is accepted again.
			if a, body := signIn(); !a.OK {
				t.Errorf("clean sign-in after the faults refused: %s", body)
			}
		})
	}
}
