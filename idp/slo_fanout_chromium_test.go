package idp_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssoharness/ssoharness/idp"
)

// chromiumPath is the browser for the real-browser tests: $CHROMIUM, else chromium on the
// PATH; skipped when there is none (make test installs it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found: set CHROMIUM or install chromium")
	return ""
}

// TestSLOToEverySessionParticipantChromium runs the sign-out of TestSLOToEverySessionParticipant
// in headless Chromium: the signed-out page's hidden iframes carry the LogoutRequest and the
// front-channel call to the session's other apps, and its script then takes the browser on
// to the initiator's Logout URL with the LogoutResponse, which crewjam/saml accepts.
func TestSLOToEverySessionParticipantChromium(t *testing.T) {
	t.Parallel() // its own servers and browser; waits on Chromium
	browser := chromiumPath(t)
	f := newSLOFixture(t, "saml")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// waitFor polls the page until its URL contains path and its text contains text.
	waitFor := func(step, path, text string) {
		t.Helper()
		var loc, body string
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			l, err := chromedp.Run(bctx, chromedp.Location())
			if err != nil {
				continue // the page is navigating
			}
			b, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			if err != nil {
				continue
			}
			if loc, body = l, b; strings.Contains(loc, path) && strings.Contains(body, text) {
				return
			}
		}
		t.Fatalf("%s: ended at %s with %.500q, want %s with %q", step, loc, body, path, text)
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	do("sign in to SAML app 0", chromedp.Navigate(f.sps[0].URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#i0116")), chromedp.SendKeys(chromedp.CSS("#i0116"), "B.Simon@contoso.com"), chromedp.Click(chromedp.CSS("#idSIButton9")),
		chromedp.WaitVisible(chromedp.CSS("#i0118")), chromedp.SendKeys(chromedp.CSS("#i0118"), "Passw0rd!"), chromedp.Click(chromedp.CSS("#idSIButton9")))
	waitFor("sign-in to SAML app 0", f.sps[0].URL, "signed in as B.Simon")
	do("SAML app 1", chromedp.Navigate(f.sps[1].URL+"/"))
	waitFor("single sign-on to SAML app 1", f.sps[1].URL, "signed in as B.Simon")
	do("OIDC app", chromedp.Navigate(f.authorizeURL()))
	waitFor("single sign-on to the OIDC app", f.oidcPart.srv.URL+"/signin-oidc", "signed out")
	do("sign out of SAML app 1", chromedp.Navigate(f.sps[1].URL+"/logout"))
	waitFor("sign-out", f.sps[1].URL+"/saml/slo", "logout ok")

	if calls := f.samlParts[0].calls(); len(calls) != 1 || calls[0].Query().Get("SAMLRequest") == "" || calls[0].Query().Get("Signature") == "" {
		t.Errorf("SAML app 0 got %v, want one signed LogoutRequest", calls)
	}
	front := 0
	for _, u := range f.oidcPart.calls() {
		if u.Path == "/signout-oidc" && u.Query().Get("sid") != "" {
			front++
		}
	}
	if front != 1 {
		t.Errorf("the OIDC app got %d front-channel calls, want 1: %v", front, f.oidcPart.calls())
	}
	if ans := lastEvent(t, f.srv, idp.EventLogoutResponse); ans.Status != idp.StatusSuccess || ans.AppID != f.tn.EnterpriseApps[0].AppID {
		t.Errorf("SAML app 0's LogoutResponse: %+v", ans)
	}
}
