package scenarios

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// BrowserOptions says which browser to drive and how.
type BrowserOptions struct {
	// Path is the Chromium (or Chrome) binary; default the first of chromium,
	// chromium-browser, google-chrome on PATH (or $CHROMIUM). No browser is ever downloaded.
	Path string
	// URL is a remote browser's DevTools endpoint (ws://host:9222/devtools/browser/… or
	// http://host:9222), e.g. a browser grid. Hosts and TrustCertificates then cannot be
	// passed as flags: the remote browser must resolve the names itself, and certificate
	// errors are ignored over CDP when IgnoreCertErrors is set.
	URL string
	// Hosts maps host names to addresses (--host-resolver-rules), so that the IdP and the SP
	// are different sites in the browser while both run on loopback.
	Hosts map[string]string
	// TrustCertificates are certificates (e.g. the mock IdP's CA, a test SP's self-signed
	// certificate) whose errors the browser ignores, by their public key hash
	// (--ignore-certificate-errors-spki-list): every other certificate is still checked.
	TrustCertificates []*x509.Certificate
	// IgnoreCertErrors ignores every certificate error (for a remote browser, or an SP whose
	// certificate is self-signed and unknown to the run).
	IgnoreCertErrors bool
	// Width and Height are the viewport size; default 1024×720.
	Width, Height int
	// Stderr receives the browser's own output (default discarded).
	Stderr *os.File
}

// Browser is one headless Chromium, launched once per run; each check gets its own isolated
// browser context (like an incognito window) in it.
type Browser struct {
	opts    BrowserOptions
	alloc   context.Context
	ctx     context.Context // the browser's first context
	cancel  []context.CancelFunc
	version string
	dataDir string
	// spare is a tab made ahead for the next check (see newTab); warming is set while one
	// is being made.
	spare   chan *tab
	warming atomic.Bool
}

// FindChromium returns the path of a Chromium-family browser, or an error saying how to get
// one. Debian's chromium-headless-shell (the same engine without the desktop browser around
// it) comes first: a sign-in costs it about a third of the CPU of full Chromium in headless
// mode.
func FindChromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found on PATH (install it: apt-get install -y chromium-headless-shell, or chromium; or pass --browser PATH or --browser-url ws://…)")
}

// LaunchBrowser starts (or connects to) the browser. Close it when done.
func LaunchBrowser(ctx context.Context, o BrowserOptions) (*Browser, error) {
	if o.Width == 0 {
		o.Width, o.Height = 1024, 720
	}
	b := &Browser{opts: o}
	if o.URL != "" {
		var ropts []remote.Option
		if !rewritableURL(o.URL) {
			ropts = append(ropts, remote.NoModifyURL)
		}
		alloc, cancel := remote.NewAllocator(ctx, o.URL, ropts...)
		b.alloc, b.cancel = alloc, append(b.cancel, cancel)
	} else {
		path := o.Path
		if path == "" {
			var err error
			if path, err = FindChromium(); err != nil {
				return nil, err
			}
		}
		dir, err := os.MkdirTemp("", "ssoharness-chromium-")
		if err != nil {
			return nil, err
		}
		b.dataDir = dir
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(dir),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			// Every check's window counts as in front: no timer throttling or renderer
			// backgrounding for the windows that are not focused (they all run at once).
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.Flag("disable-ipc-flooding-protection", true),
			// HttpsUpgrades: Chromium would try an http:// SP over https first; a plain-http SP
			// must be tested as it is served (its cookie attributes are the point).
			// The rest is process churn: with site isolation, every cross-site hop of a
			// sign-in (SP → IdP → SP) and every new document started a renderer, which cost
			// more CPU than everything else in a run together. A test browser needs no
			// isolation between the sites it tests; each check still has its own browser
			// context (cookies, storage), which is what the checks depend on.
			chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,HttpsUpgrades,"+
				"IsolateOrigins,site-per-process,SpareRendererForSitePerProcess,BackForwardCache,RenderDocument,ProactivelySwapBrowsingInstance"),
			chromedp.Flag("disable-site-isolation-trials", true),
			chromedp.Flag("renderer-process-limit", "1"),
			chromedp.Flag("password-store", "basic"),
			chromedp.WindowSize(o.Width, o.Height),
		}
		if rules := hostRules(o.Hosts); rules != "" {
			opts = append(opts, chromedp.Flag("host-resolver-rules", rules))
		}
		if len(o.TrustCertificates) > 0 {
			opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", spkiList(o.TrustCertificates)))
		}
		if o.IgnoreCertErrors {
			opts = append(opts, chromedp.IgnoreCertErrors)
		}
		if o.Stderr != nil {
			opts = append(opts, chromedp.CombinedOutput(o.Stderr))
		}
		alloc, cancel := chromedp.NewExecAllocator(ctx, opts...)
		b.alloc, b.cancel = alloc, append(b.cancel, cancel)
	}
	bctx, cancel := chromedp.NewContext(b.alloc)
	b.ctx, b.cancel = bctx, append(b.cancel, cancel)
	v, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("start the browser: %w", err)
	}
	b.version = v.Product
	b.spare = make(chan *tab, 1)
	return b, nil
}

// rewritableURL reports whether a remote browser's URL is Chromium's own DevTools endpoint,
// which chromedp may resolve (http://host:9222 → its /json/version's webSocketDebuggerUrl;
// ws://host:9222/devtools/browser/ID with the host resolved to an address, as Chromium
// checks the Host header). Any other ws:// or wss:// URL is a proxy's — a Selenium Grid 4
// session's ws://grid:4444/session/ID/se/cdp, browserless's ws://host:3000?token=… — and is
// dialled exactly as given.
func rewritableURL(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.Contains(u, "/devtools/browser/")
}

// Version is the browser's product string, e.g. "HeadlessChrome/156.0.8078.79".
func (b *Browser) Version() string { return b.version }

// Close stops the browser (or disconnects from a remote one) and removes its profile.
func (b *Browser) Close() {
	for i := len(b.cancel) - 1; i >= 0; i-- {
		b.cancel[i]()
	}
	b.cancel = nil
	select {
	case t := <-b.spare:
		t.close()
	default:
	}
	if b.dataDir != "" {
		_ = os.RemoveAll(b.dataDir)
	}
}

// hostRules is the --host-resolver-rules value for a host map, in a stable order.
func hostRules(hosts map[string]string) string {
	var rules []string
	for h, ip := range hosts {
		rules = append(rules, "MAP "+h+" "+ip)
	}
	sort.Strings(rules)
	return strings.Join(rules, ", ")
}

// spkiList is the --ignore-certificate-errors-spki-list value: base64 SHA-256 hashes of the
// certificates' public keys.
func spkiList(certs []*x509.Certificate) string {
	var out []string
	for _, c := range certs {
		sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
		out = append(out, base64.StdEncoding.EncodeToString(sum[:]))
	}
	return strings.Join(slices.Compact(out), ",")
}

// tab is one isolated browser context with one page, and what happened in it: the
// documents it loaded (the navigation trace) with their status, method, POST body and the
// cookies the browser withheld from them.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	docs    []*docEntry
	commits int // main-frame navigations committed (a new document is shown)
	extra   map[network.RequestID][]*network.EventRequestWillBeSentExtraInfo
	resp    map[network.RequestID][]*network.EventResponseReceivedExtraInfo

	// What the page is doing, for waiting on events rather than polling: every event below
	// bumps version and wakes the waiters (closes wake).
	version  uint64
	url      string // the main frame's document URL, as its navigation events say
	wake     chan struct{}
	lastSeen time.Time
	loading  map[cdp.FrameID]bool           // frames between started and stopped loading
	inflight map[network.RequestID]struct{} // requests of any kind not yet finished
}

// docEntry is one document request (one hop of a redirect chain).
type docEntry struct {
	id       network.RequestID
	Time     time.Time
	URL      string
	Method   string
	Status   int
	Location string
	PostData string
	hop      int // index of this hop among the entries of its request ID
	// Withheld are the cookies the browser did not send, as "name (reason)".
	Withheld []string
	// Rejected are the cookies of this hop's Set-Cookie headers the browser refused to
	// store, as "name (reason)" (e.g. SameSite=None without Secure: SameSiteNoneInsecure).
	Rejected  []string
	rejected  bool // Rejected was filled in from the response's ExtraInfo
	MainFrame bool
	// SetCookies are this hop's Set-Cookie lines as received (the response's ExtraInfo
	// headers: the other response events leave them out), stored or not.
	SetCookies []string
	// headers are this hop's response headers (lower-case names), for recognising the SP.
	headers map[string]string
	// Sent are the cookies the browser sent with this hop (the request's ExtraInfo
	// associatedCookies without a blocked reason); sentKnown says that ExtraInfo arrived.
	Sent      []sentCookie
	sentKnown bool
}

// sentCookie is a cookie the browser sent with a request, as it had stored it. (CDP marks
// no cookie as sent through the Lax+POST exception: associatedCookies' exemptionReason is
// about third-party cookie blocking, "None" here; the missing SameSite tells it instead.)
type sentCookie struct {
	// Name is the cookie's name.
	Name string
	// SameSite is the attribute the cookie was stored with: "" when its Set-Cookie had
	// none (Chromium then treats it as Lax, with the 2-minute Lax+POST exception).
	SameSite string
}

// openTab opens a browser context and page, stopped with parent.
func (b *Browser) openTab(parent context.Context) (*tab, error) {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithNewWindow(true))
	t := &tab{ctx: ctx, cancel: cancel, extra: map[network.RequestID][]*network.EventRequestWillBeSentExtraInfo{},
		resp: map[network.RequestID][]*network.EventResponseReceivedExtraInfo{}, wake: make(chan struct{}),
		lastSeen: time.Now(), loading: map[cdp.FrameID]bool{}, inflight: map[network.RequestID]struct{}{}}
	// Stop with the parent (the run's context) too.
	stop := context.AfterFunc(parent, cancel)
	t.cancel = func() { stop(); cancel() }
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(b.opts.Width), int64(b.opts.Height))); err != nil {
		t.cancel()
		return nil, fmt.Errorf("open a browser context: %w", err)
	}
	// chromedp turned on the DOM and CSS domains when it attached: Chromium then mirrors
	// every document's node tree and style sheets to the driver (and chromedp fetches the
	// whole document on every navigation): about 7% of a run's CPU (browser, renderer and
	// harness together), for nothing the checks use. They read pages through Runtime and
	// act through Input (walk_input.go).
	for _, off := range []cdp.Command[cdp.Empty, cdp.Empty]{css.Disable, dom.Disable} {
		if _, err := chromedp.Call(ctx, off, cdp.Empty{}); err != nil {
			t.cancel()
			return nil, fmt.Errorf("open a browser context: %w", err)
		}
	}
	if b.opts.IgnoreCertErrors && b.opts.URL != "" {
		if _, err := chromedp.Call(ctx, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true}); err != nil {
			t.cancel()
			return nil, err
		}
	}
	var mainFrame string
	if err := chromedp.Listen(ctx, func(ev any) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.activity(ev) {
			t.version++
			t.lastSeen = time.Now()
			close(t.wake)
			t.wake = make(chan struct{})
		}
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Type != network.ResourceTypeDocument {
				return
			}
			if e.RedirectResponse != nil {
				if d := t.last(e.RequestID); d != nil {
					d.Status = int(e.RedirectResponse.Status)
					d.Location = e.Request.URL
				}
			}
			if mainFrame == "" {
				mainFrame = string(e.FrameID)
			}
			d := &docEntry{id: e.RequestID, Time: time.Now(), URL: e.Request.URL + e.Request.URLFragment, Method: e.Request.Method,
				MainFrame: string(e.FrameID) == mainFrame}
			for _, p := range e.Request.PostDataEntries {
				d.PostData += string(p.Bytes)
			}
			for _, x := range t.docs {
				if x.id == e.RequestID {
					d.hop++
				}
			}
			t.docs = append(t.docs, d)
			t.attachExtra(d)
			t.attachResponseExtra(d)
		case *page.EventFrameNavigated:
			if e.Frame != nil && e.Frame.ParentID == "" {
				t.commits++
				t.url = e.Frame.URL + e.Frame.URLFragment
			}
		case *page.EventNavigatedWithinDocument:
			if string(e.FrameID) == mainFrame || mainFrame == "" {
				t.url = e.URL
			}
		case *network.EventResponseReceived:
			if e.Type != network.ResourceTypeDocument {
				return
			}
			if d := t.last(e.RequestID); d != nil {
				d.Status = int(e.Response.Status)
			}
		case *network.EventResponseReceivedExtraInfo:
			t.resp[e.RequestID] = append(t.resp[e.RequestID], e)
			for _, d := range t.docs {
				if d.id == e.RequestID {
					t.attachResponseExtra(d)
				}
			}
		case *network.EventRequestWillBeSentExtraInfo:
			t.extra[e.RequestID] = append(t.extra[e.RequestID], e)
			for _, d := range t.docs {
				if d.id == e.RequestID {
					t.attachExtra(d)
				}
			}
		}
	}); err != nil {
		t.cancel()
		return nil, err
	}
	return t, nil
}

// activity records what an event says about the page's progress (loading frames, requests
// in flight) and reports whether it is progress at all. Called with t.mu held.
func (t *tab) activity(ev any) bool {
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		t.inflight[e.RequestID] = struct{}{}
	case *network.EventLoadingFinished:
		delete(t.inflight, e.RequestID)
	case *network.EventLoadingFailed:
		delete(t.inflight, e.RequestID)
	case *network.EventResponseReceived:
	case *page.EventFrameStartedLoading:
		t.loading[e.FrameID] = true
	case *page.EventFrameStoppedLoading:
		delete(t.loading, e.FrameID)
	case *page.EventFrameDetached:
		delete(t.loading, e.FrameID)
	case *page.EventFrameNavigated, *page.EventLoadEventFired, *page.EventDomContentEventFired,
		*page.EventNavigatedWithinDocument, *page.EventFrameRequestedNavigation:
	default:
		return false
	}
	return true
}

// snapshot is the tab's progress counters at one moment.
type snapshot struct {
	version  uint64
	commits  int
	loading  bool
	inflight int
	quiet    time.Duration // since the last event
	url      string
	wake     <-chan struct{}
}

func (t *tab) snap() snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return snapshot{version: t.version, commits: t.commits, loading: len(t.loading) > 0, inflight: len(t.inflight),
		quiet: time.Since(t.lastSeen), url: t.url, wake: t.wake}
}

// idleFor and stuckAfter define "the page is at rest": no frame loading, no request in
// flight and no event for idleFor; or no event at all for stuckAfter (a request that never
// ends, e.g. a long poll, must not hold a check until its timeout).
const (
	idleFor    = 120 * time.Millisecond
	stuckAfter = time.Second
)

// waitLoaded waits, on the browser's events, until a document newer than the after-th has
// been committed and no frame is loading (its load event has fired), or nothing has
// happened for stuckAfter.
func (t *tab) waitLoaded(ctx context.Context, after int) error {
	for {
		s := t.snap()
		if s.commits > after && (!s.loading || s.quiet >= stuckAfter) {
			return nil
		}
		wait := stuckAfter
		if s.commits > after {
			wait = stuckAfter - s.quiet
		}
		if err := waitEvent(ctx, s.wake, max(wait, time.Millisecond)); err != nil {
			return err
		}
	}
}

// waitIdle waits, on the browser's events, until the page is at rest: a document newer than
// the after-th committed, and no frame loading, no request in flight and no event for
// idleFor (or no event at all for stuckAfter). It returns the version it saw at rest.
func (t *tab) waitIdle(ctx context.Context, after int) (uint64, error) {
	for {
		s := t.snap()
		var wait time.Duration
		switch {
		case s.commits <= after:
			wait = stuckAfter // only an event can end this wait
		case !s.loading && s.inflight == 0:
			wait = idleFor - s.quiet
		default:
			wait = stuckAfter - s.quiet
		}
		if wait <= 0 && s.commits > after {
			return s.version, nil
		}
		if err := waitEvent(ctx, s.wake, max(wait, time.Millisecond)); err != nil {
			return 0, err
		}
	}
}

// attachExtra copies the withheld cookies of a hop's ExtraInfo event (they arrive in hop
// order, before or after the request itself).
func (t *tab) attachExtra(d *docEntry) {
	xs := t.extra[d.id]
	if d.hop >= len(xs) || d.Withheld != nil {
		return
	}
	d.Withheld = []string{}
	d.sentKnown = true
	for _, c := range xs[d.hop].AssociatedCookies {
		if c.Cookie == nil {
			continue
		}
		if len(c.BlockedReasons) == 0 {
			d.Sent = append(d.Sent, sentCookie{Name: c.Cookie.Name, SameSite: string(c.Cookie.SameSite)})
			continue
		}
		var rs []string
		for _, r := range c.BlockedReasons {
			// Only the reasons that concern a cookie meant for this site; the others
			// (another domain, another path) are the jar's other cookies. Chromium 156
			// reports an expired Lax+POST cookie as SchemefulSameSiteUnspecifiedTreatedAsLax.
			if s := string(r); strings.HasPrefix(s, "SameSite") || strings.HasPrefix(s, "SchemefulSameSite") || s == "SecureOnly" || strings.HasPrefix(s, "ThirdParty") {
				rs = append(rs, s)
			}
		}
		if len(rs) == 0 {
			continue
		}
		d.Withheld = append(d.Withheld, fmt.Sprintf("%s (%s)", c.Cookie.Name, strings.Join(rs, ", ")))
	}
}

// attachResponseExtra copies a hop's raw response headers, its Set-Cookie lines and those
// the browser refused to store from the response ExtraInfo event (one per response,
// redirects included, in hop order).
func (t *tab) attachResponseExtra(d *docEntry) {
	xs := t.resp[d.id]
	if d.hop >= len(xs) || d.rejected {
		return
	}
	d.rejected = true
	d.headers = map[string]string{}
	for k, v := range xs[d.hop].Headers {
		// Over HTTP/2 the names are lower-case, over HTTP/1.1 as sent; repeated headers
		// come as one value with the lines joined by "\n".
		sv, _ := v.(string)
		d.headers[strings.ToLower(k)] = sv
	}
	if sc := d.headers["set-cookie"]; sc != "" {
		d.SetCookies = strings.Split(sc, "\n")
	}
	for _, c := range xs[d.hop].BlockedCookies {
		if len(c.BlockedReasons) == 0 {
			continue
		}
		name := c.CookieLine
		if c.Cookie != nil {
			name = c.Cookie.Name
		} else if n, _, ok := strings.Cut(name, "="); ok {
			name = n
		}
		var rs []string
		for _, r := range c.BlockedReasons {
			rs = append(rs, string(r))
		}
		d.Rejected = append(d.Rejected, fmt.Sprintf("%s (%s)", strings.TrimSpace(name), strings.Join(rs, ", ")))
	}
}

func (t *tab) last(id network.RequestID) *docEntry {
	for i := len(t.docs) - 1; i >= 0; i-- {
		if t.docs[i].id == id {
			return t.docs[i]
		}
	}
	return nil
}

// trace is a copy of the documents loaded so far.
func (t *tab) trace() []docEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]docEntry, len(t.docs))
	for i, d := range t.docs {
		out[i] = *d
	}
	return out
}

// committed is how many main-frame documents have been shown so far.
func (t *tab) committed() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.commits
}

// setCookie sets a cookie for a URL's origin in this browser context only.
func (t *tab) setCookie(u, name, value string) error {
	pu, err := url.Parse(u)
	if err != nil {
		return err
	}
	secure := pu.Scheme == "https"
	p := network.SetCookieParams{Name: name, Value: value, URL: pu.Scheme + "://" + pu.Host + "/", Path: "/", HTTPOnly: ptr(true), Secure: ptr(secure)}
	if secure {
		p.SameSite = network.CookieSameSiteNone
	} else {
		p.SameSite = network.CookieSameSiteLax
	}
	_, err = chromedp.Call(t.ctx, network.SetCookie, p)
	return err
}

func ptr[T any](v T) *T { return &v }

func (t *tab) close() { t.cancel() }
