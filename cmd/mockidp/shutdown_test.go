package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestServeSIGTERMDuringStartUp: SIGTERM while `mockidp serve` is still generating the signing
// keys of a large directory stops it at once (status 0, no "ready" line) instead of after
// start-up.
func TestServeSIGTERMDuringStartUp(t *testing.T) {
	t.Parallel()
	// 60 SAML apps and an empty key directory: 60 RSA-2048 keys to generate, seconds of start-up.
	var cfg strings.Builder
	cfg.WriteString("tenants:\n  - id: 4d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d\n    displayName: Slow\n    verifiedDomains: [slow.onmicrosoft.com]\n    enterpriseApps:\n")
	for i := range 60 {
		fmt.Fprintf(&cfg, "      - appId: 0e1d2c3b-6666-4f5a-8b9c-%012d\n        displayName: App %d\n        saml:\n          identifiers: [https://app%d.example.test/]\n          replyUrls: [https://app%d.example.test/acs]\n", i, i, i, i)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := serve(t, "--config", path, "--addr", "127.0.0.1:0", "--key-dir", filepath.Join(dir, "keys"))
	time.Sleep(300 * time.Millisecond) // past the runtime's start, into key generation
	select {
	case err := <-p.exited:
		t.Fatalf("mockidp serve exited during start-up before the signal: %v\n%s", err, p.output())
	case <-p.ready:
		t.Skip("start-up finished within 300 ms: no start-up left to interrupt on this machine")
	default:
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		took := time.Since(sent)
		t.Logf("SIGTERM during start-up: exited %v after the signal", took.Round(time.Millisecond))
		if err != nil {
			t.Errorf("exit: %v, want status 0\n%s", err, p.output())
		}
		if took > 2*time.Second {
			t.Errorf("exited %v after SIGTERM, want at once (bound 2 s)", took)
		}
		out := p.output()
		if strings.Contains(out, "\nready ") || !strings.Contains(out, "stopped during start-up") {
			t.Errorf("want no ready line and \"stopped during start-up\":\n%s", out)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("mockidp serve did not stop within 20 s of SIGTERM during start-up\n%s", p.output())
	}
}

// TestServeSIGTERMUnderLoad: SIGTERM while sign-ins run lets a request in flight finish (its
// body arrives after the signal and it still gets its whole answer), stops within
// ShutdownGrace even when a client never finishes its request, answers no 5xx, and exits 0.
func TestServeSIGTERMUnderLoad(t *testing.T) {
	t.Parallel()
	p := serve(t, "--addr", "127.0.0.1:0", "--key-dir", t.TempDir())
	ready, _ := p.waitReady(t, http.DefaultClient)
	base := strings.TrimSuffix(ready, "/_mockidp/ready")
	hostport := strings.TrimPrefix(base, "http://")
	cfg := idp.DefaultConfig()
	tid, app := cfg.Tenants[0].ID, cfg.Tenants[0].EnterpriseApps[0]

	// Sign-in load: four browsers signing in over and over, one connection per request.
	var stop atomic.Bool
	var signIns, fivexx, refused atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				switch err := samlSignIn(base, tid, app, fmt.Sprintf("_w%d_%d", w, i)); {
				case err == nil:
					signIns.Add(1)
				case strings.Contains(err.Error(), "status 5"):
					fivexx.Add(1)
					t.Errorf("worker %d: %v", w, err)
				default: // the listener is closed: refused, or reset in the accept queue
					refused.Add(1)
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	time.Sleep(500 * time.Millisecond)

	// Two requests in flight when the signal comes: a token request whose body is sent only
	// after the signal, and one that never sends its body.
	body := "grant_type=authorization_code&code=not-a-code&client_id=" + cfg.Tenants[0].AppRegistrations[0].AppID + "&redirect_uri=x"
	half := len(body) / 2
	head := "POST /" + tid + "/oauth2/v2.0/token HTTP/1.1\r\nHost: " + hostport + "\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n"
	slow, err := net.Dial("tcp", hostport)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	stuck, err := net.Dial("tcp", hostport)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if _, err := slow.Write([]byte(head + body[:half])); err != nil {
		t.Fatal(err)
	}
	if _, err := stuck.Write([]byte(head + body[:half])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // both requests are being read by their handlers

	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := slow.Write([]byte(body[half:])); err != nil {
		t.Fatalf("the in-flight request's connection was cut after SIGTERM: %v", err)
	}
	_ = slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(slow), nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer after SIGTERM: %v", err)
	}
	var answer bytes.Buffer
	_, _ = answer.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(answer.String(), `"error_codes"`) {
		t.Errorf("in-flight token request: %d %.200s, want Entra's 400 token error", resp.StatusCode, answer.String())
	}

	select {
	case err := <-p.exited:
		took := time.Since(sent)
		t.Logf("SIGTERM under load: exited %v after the signal (ShutdownGrace %v, one request never finished)", took.Round(time.Millisecond), idp.ShutdownGrace)
		if err != nil {
			t.Errorf("exit: %v, want status 0\n%s", err, p.output())
		}
		if took > idp.ShutdownGrace+3*time.Second {
			t.Errorf("exited %v after SIGTERM, want within ShutdownGrace (%v) + 3 s", took, idp.ShutdownGrace)
		}
	case <-time.After(idp.ShutdownGrace + 15*time.Second):
		t.Fatalf("mockidp serve did not stop within %v of SIGTERM\n%s", idp.ShutdownGrace+15*time.Second, p.output())
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("load: %d sign-ins completed, %d refused or reset after the listener closed, %d 5xx", signIns.Load(), refused.Load(), fivexx.Load())
	if signIns.Load() == 0 {
		t.Error("no sign-in completed under load before SIGTERM")
	}
}

// samlSignIn signs B.Simon in to app through the IdP, up to the auto-posting form that would
// carry the SAMLResponse to the SP (not followed: the SP is not there).
func samlSignIn(base, tid string, app *idp.EnterpriseApp, id string) error {
	req := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` + time.Now().UTC().Format(time.RFC3339) + `"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + app.SAML.Identifiers[0].Value + `</Issuer></samlp:AuthnRequest>`
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = fw.Write([]byte(req))
	_ = fw.Close()
	b := idptest.NewBrowser(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second})
	pg, err := b.Get(base + "/" + tid + "/saml2?" + url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}}.Encode())
	for _, step := range []struct{ form, field, value string }{{"email-form", "login", "B.Simon@contoso.com"}, {"password-form", "passwd", "Passw0rd!"}} {
		if err != nil {
			return err
		}
		if pg.Status >= 500 {
			return fmt.Errorf("status %d at %s", pg.Status, pg.URL)
		}
		pg, err = b.Submit(pg, step.form, map[string]string{step.field: step.value})
	}
	if err != nil {
		return err
	}
	if pg.Status >= 500 {
		return fmt.Errorf("status %d at %s", pg.Status, pg.URL)
	}
	if f, ok := pg.Form(""); !ok || f.Fields.Get("SAMLResponse") == "" {
		return fmt.Errorf("no SAMLResponse form: status %d", pg.Status)
	}
	return nil
}
