package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ssoharness/ssoharness/reports"
)

// pageState is what the page shows at one moment.
type pageState struct {
	URL         string `json:"href"`
	Ready       string `json:"ready"`
	Title       string `json:"title"`
	Text        string `json:"text"`
	HasEmail    bool   `json:"email"`
	HasPassword bool   `json:"password"`
	HasMFA      bool   `json:"mfa"`     // Entra's "Enter code" prompt (walk_interstitial.go)
	HasConsent  bool   `json:"consent"` // Entra's consent page
	AutoPost    bool   `json:"autopost"`
	Status      int    `json:"-"`
	commits     int
	version     uint64 // the tab's event count when the page was read
}

// stateJS reads the page: URL, readiness, title, visible text, and whether it is the IdP's
// email or password step or an auto-submitted form.
const stateJS = `(() => {
  const vis = (id) => { const e = document.getElementById(id); return !!(e && e.offsetParent !== null); };
  const f = document.forms[0];
  return {href: location.href, ready: document.readyState, title: document.title,
    text: document.body ? document.body.innerText.slice(0, 20000) : "",
    email: vis("i0116"), password: vis("i0118"), mfa: vis("idTxtBx_SAOTCC_OTC"), consent: vis("idBtn_Back"),
    autopost: !!(f && document.body && (document.body.getAttribute("onload") || "").includes("submit"))};
})()`

// walker drives one check's browser context through sign-ins and records the timeline.
type walker struct {
	tab      *tab
	idpHost  string // host[:port] of the IdP as the browser sees it
	shotDir  string // report dir ("" = no screenshots)
	shotBase string // path prefix of this check's screenshots, relative to shotDir
	shots    int
	steps    []reports.Step
	timeout  time.Duration
	all      bool // a screenshot at every step, not only the key ones
	// declineConsent presses Cancel on Entra's consent page (a fault's UserAction).
	declineConsent bool
}

// state reads the page, retrying (on the next browser event) while a navigation swaps the
// document under it. The read is matched to the navigation events: a page whose URL is not
// yet the committed one (its commit event is still on its way) is read again, so that the
// commit count returned is the shown document's.
func (w *walker) state(ctx context.Context) (pageState, error) {
	var last error
	for i := range 20 {
		before := w.tab.snap()
		st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](stateJS))
		if err == nil {
			after := w.tab.snap()
			if after.url != st.URL && i < 10 && st.URL != "about:blank" {
				if err := w.tab.waitChange(ctx, after.version, 100*time.Millisecond); err != nil {
					return pageState{}, err
				}
				continue
			}
			st.commits = after.commits
			st.version = before.version
			st.Status = statusOf(w.tab.trace(), st.URL)
			return st, nil
		}
		last = err
		if ctx.Err() != nil {
			return pageState{}, ctx.Err()
		}
		if err := w.tab.waitChange(ctx, before.version, 100*time.Millisecond); err != nil {
			return pageState{}, err
		}
	}
	return pageState{}, last
}

// statusOf is the HTTP status of the last main-frame document whose URL is u (or of the
// last main-frame document at all).
func statusOf(tr []docEntry, u string) int {
	for i := len(tr) - 1; i >= 0; i-- {
		if tr[i].MainFrame && tr[i].URL == u && tr[i].Status != 0 {
			return tr[i].Status
		}
	}
	for i := len(tr) - 1; i >= 0; i-- {
		if tr[i].MainFrame && tr[i].Status != 0 && (tr[i].Status < 300 || tr[i].Status >= 400) {
			return tr[i].Status
		}
	}
	return 0
}

// onIdP reports whether the page is on the IdP.
func (w *walker) onIdP(s pageState) bool {
	u, err := url.Parse(s.URL)
	return err == nil && u.Host == w.idpHost
}

// settle waits until the page is at rest: the IdP's email or password step, or any page
// (off the IdP, or an IdP error page) that is loaded, is not an auto-submitting form, and has
// no request in flight and no event for a moment (see waitIdle). It waits on the browser's
// events (navigation, load, network), never for a fixed time.
//
// after is the number of documents committed before the action that started this navigation:
// the page counts as settled only once a new document has started (so the page a click was
// made on is not taken for the result).
func (w *walker) settle(after int) (pageState, error) {
	ctx, cancel := context.WithTimeout(w.tab.ctx, w.timeout)
	defer cancel()
	var last pageState
	timedOut := func(err error) (pageState, error) {
		if errors.Is(err, context.DeadlineExceeded) {
			where := last.URL
			if where == "" {
				where = "(no page yet)"
			}
			return last, fmt.Errorf("the page did not settle within %s (last at %s)", w.timeout, where)
		}
		return last, err
	}
	for {
		// The IdP's own steps are known when they show: no need to wait for quiet.
		if err := w.tab.waitLoaded(ctx, after); err != nil {
			return timedOut(err)
		}
		s, err := w.state(ctx)
		if err != nil {
			return timedOut(err)
		}
		last = s
		if s.Ready == "complete" && w.onIdP(s) && s.idpStep() {
			return s, nil
		}
		v, err := w.tab.waitIdle(ctx, after)
		if err != nil {
			return timedOut(err)
		}
		if v != s.version {
			// Something happened since it was read: read it again, at rest.
			if s, err = w.state(ctx); err != nil {
				return timedOut(err)
			}
			last = s
		}
		if s.Ready == "complete" && w.onIdP(s) && s.idpStep() {
			return s, nil
		}
		if s.Ready == "complete" && !s.AutoPost && s.URL != "about:blank" && w.tab.snap().version == s.version {
			return s, nil
		}
		// Still on its way (an auto-posting form, a document still loading, or an event
		// while it was read): look again after the next event.
		if err := w.tab.waitChange(ctx, s.version, stuckAfter); err != nil {
			return timedOut(err)
		}
	}
}

// step records a timeline step, with a screenshot when shots is true.
func (w *walker) step(name string, s pageState, note string, shot bool) {
	ctx := w.tab.ctx
	st := reports.Step{Time: time.Now(), Name: name, URL: s.URL, Status: s.Status, Note: note}
	if (shot || w.all) && w.shotDir != "" {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			st.Note = strings.TrimSpace(st.Note + " (no screenshot: " + err.Error() + ")")
		} else {
			w.shots++
			rel := fmt.Sprintf("%s-%02d.png", w.shotBase, w.shots)
			full := filepath.Join(w.shotDir, filepath.FromSlash(rel))
			if os.MkdirAll(filepath.Dir(full), 0o755) == nil && os.WriteFile(full, png, 0o644) == nil {
				st.Screenshot = rel
			}
		}
	}
	w.steps = append(w.steps, st)
}

// navigate starts loading u without waiting (the SP may answer with a chain of redirects and
// auto-posted forms; settle waits for the end of it).
func (w *walker) navigate(u string) error {
	ctx := w.tab.ctx
	res, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: u})
	if err != nil {
		return fmt.Errorf("open %s: %w", u, err)
	}
	if res.ErrorText != "" {
		return fmt.Errorf("open %s: %s (is the SP running and reachable from the browser?)", u, res.ErrorText)
	}
	return nil
}

// signIn opens start, and signs in at the IdP as login/password if the IdP asks, as a person
// would: type the email, Next, type the password, Sign in. It returns the page the browser
// ends on.
func (w *walker) signIn(start, login, password string) (pageState, error) {
	ctx := w.tab.ctx
	n := w.tab.committed()
	if err := w.navigate(start); err != nil {
		return pageState{}, err
	}
	s, err := w.settle(n)
	if err != nil {
		return s, err
	}
	if !(w.onIdP(s) && (s.HasEmail || s.HasPassword)) {
		// Never asked: the SP answered by itself, or the IdP refused, or an SSO session
		// (which may still meet the consent page or the MFA prompt).
		return w.interstitials(s)
	}
	w.step("IdP sign-in page", s, s.Title, true)
	n = s.commits
	if s.HasEmail {
		if err := w.typeInto(ctx, "i0116", login); err != nil {
			return s, fmt.Errorf("type the email on the IdP's page: %w", err)
		}
		if s, err = w.settle(n); err != nil {
			return s, err
		}
		if !(w.onIdP(s) && s.HasPassword) {
			w.step("after the email", s, firstLine(s.Text), true)
			return s, nil
		}
	}
	n = s.commits
	if err := w.typeInto(ctx, "i0118", password); err != nil {
		return s, fmt.Errorf("type the password on the IdP's page: %w", err)
	}
	w.step("credentials typed", s, login, false)
	if s, err = w.settle(n); err != nil {
		return s, err
	}
	return w.interstitials(s)
}

// typeInto focuses a field, types text into it as the browser's text input (one input
// event, as a paste or an autofill does; key-by-key events cost a round trip per key), and
// clicks the page's submit button with the mouse.
func (w *walker) typeInto(ctx context.Context, id, text string) error {
	if err := w.focusID(ctx, id); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		return err
	}
	return w.clickID(ctx, "idSIButton9")
}

// postForm submits a POST form from a blank page of this context (used to replay a SAML
// Response from another browser).
func (w *walker) postForm(action string, fields url.Values) (pageState, error) {
	ctx := w.tab.ctx
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		return pageState{}, err
	}
	n := w.tab.committed()
	var b strings.Builder
	b.WriteString(`(() => { const f = document.createElement("form"); f.method = "POST"; f.action = ` + jsString(action) + `;`)
	for k, vs := range fields {
		for _, v := range vs {
			b.WriteString(`{ const i = document.createElement("input"); i.type = "hidden"; i.name = ` + jsString(k) + `; i.value = ` + jsString(v) + `; f.appendChild(i); }`)
		}
	}
	b.WriteString(`document.body.appendChild(f); f.submit(); return true; })()`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](b.String())); err != nil {
		return pageState{}, fmt.Errorf("post the form: %w", err)
	}
	return w.settle(n)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x2028 || r == 0x2029 || r == '<':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
