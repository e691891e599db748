package idptest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/ssoharness/ssoharness/idp"
)

// Browser is a cookie-keeping HTTP client that does on the mock's pages what a person's
// browser does: follow redirects, type into the sign-in page, submit the auto-posting forms.
// It keeps every page and every form it posted, so a test can decode the SAMLResponse or read
// the code and state that went back to the SP. Each Browser is one isolated browser context
// (its own cookie jar), so a fault armed for it affects no other Browser.
//
// It is not a real browser: no JavaScript, no SameSite enforcement. The conformance harness
// drives Chromium; Browser is for Go tests that need many fast sign-ins.
type Browser struct {
	// Client is the underlying client; its Jar holds the context's cookies.
	Client *http.Client
	// Pages lists every page fetched, in order.
	Pages []*Page
	// Posted lists every form submitted, in order (the sign-in steps and the POSTs to the SP).
	Posted []Form
	// DeclineConsent presses Cancel on Entra's consent page (Accept otherwise); the MFA
	// prompt always gets idp.MFACode. A fault's UserAction says which a check wants.
	DeclineConsent bool
}

// Page is a fetched page.
type Page struct {
	// URL is the final URL after redirects.
	URL *url.URL
	// Status is the HTTP status code.
	Status int
	// Body is the response body with HTML entities decoded, as text searches expect.
	Body string
	// Redirects lists the URLs redirected through before URL, in order.
	Redirects []*url.URL
	doc       *html.Node
}

// Form is an HTML form's resolved action and fields.
type Form struct {
	Action string
	Method string
	Fields url.Values
}

// NewBrowser returns a Browser with an empty cookie jar. If base is not nil its Transport is
// used (e.g. srv.Client() for a TLS server).
func NewBrowser(base *http.Client) *Browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if base != nil {
		c.Transport = base.Transport
	}
	b := &Browser{Client: c}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 20 {
			return errors.New("stopped after 20 redirects")
		}
		return nil
	}
	return b
}

// SetCookie stores a cookie for rawURL's origin in the browser's jar (e.g. the fault cookie
// of an idp.ArmedFault on the IdP's URL).
func (b *Browser) SetCookie(rawURL string, c *http.Cookie) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	b.Client.Jar.SetCookies(u, []*http.Cookie{c})
	return nil
}

// Do sends req, follows redirects and returns the final page.
func (b *Browser) Do(req *http.Request) (*Page, error) {
	var redirects []*url.URL
	client := *b.Client
	inner := b.Client.CheckRedirect
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		redirects = append(redirects, r.URL)
		if inner != nil {
			return inner(r, via)
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	doc, _ := html.Parse(strings.NewReader(string(body)))
	if len(redirects) > 0 {
		redirects = redirects[:len(redirects)-1] // the last is the final URL
	}
	p := &Page{URL: resp.Request.URL, Status: resp.StatusCode, Body: html.UnescapeString(string(body)), Redirects: redirects, doc: doc}
	b.Pages = append(b.Pages, p)
	return p, nil
}

// Get fetches rawURL.
func (b *Browser) Get(rawURL string) (*Page, error) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	return b.Do(req)
}

// Post posts a form to rawURL.
func (b *Browser) Post(rawURL string, fields url.Values) (*Page, error) {
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(fields.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// Submit submits the page's form with the given id ("" for the first form), with fields
// overridden by set.
func (b *Browser) Submit(p *Page, id string, set map[string]string) (*Page, error) {
	f, ok := p.Form(id)
	if !ok {
		return nil, fmt.Errorf("no form %q on %s (status %d)", id, p.URL, p.Status)
	}
	for k, v := range set {
		f.Fields.Set(k, v)
	}
	b.Posted = append(b.Posted, *f)
	if f.Method == http.MethodGet {
		u, err := url.Parse(f.Action)
		if err != nil {
			return nil, err
		}
		u.RawQuery = f.Fields.Encode()
		return b.Get(u.String())
	}
	return b.Post(f.Action, f.Fields)
}

// SignIn starts at startURL (an SP's sign-in URL, or the IdP's user access URL), types login
// and password on the mock's sign-in page, and follows the auto-posting forms back to the
// SP. It returns the page the flow ends on: the SP's page, or the IdP's error page.
func (b *Browser) SignIn(startURL, login, password string) (*Page, error) {
	p, err := b.Get(startURL)
	if err != nil {
		return nil, err
	}
	return b.Continue(p, login, password)
}

// Continue completes a sign-in from a page the browser is on: the sign-in page (email or
// password step), an auto-posting form, or anything else (returned as is).
func (b *Browser) Continue(p *Page, login, password string) (*Page, error) {
	// An SP that sends its AuthnRequest by HTTP-POST answers with an auto-posting form first.
	p, err := b.FollowAutoPost(p)
	if err != nil {
		return nil, err
	}
	if _, ok := p.Form("email-form"); ok {
		if p, err = b.Submit(p, "email-form", map[string]string{"login": login}); err != nil {
			return nil, err
		}
	}
	if _, ok := p.Form("password-form"); ok {
		if p, err = b.Submit(p, "password-form", map[string]string{"passwd": password}); err != nil {
			return nil, err
		}
	}
	if p, err = b.FollowAutoPost(p); err != nil {
		return nil, err
	}
	return b.interstitials(p)
}

// interstitials answers Entra's pages after the credentials: the consent page (Accept, or
// Cancel with DeclineConsent) and the MFA prompt (idp.MFACode), following the auto-posting
// forms after each. An SP that sends the user back meets them again; the mock's loop
// detection ends that after a few rounds, and so does the bound here.
func (b *Browser) interstitials(p *Page) (*Page, error) {
	var err error
	for range 8 {
		switch {
		case hasForm(p, "consent-form"):
			action := "accept"
			if b.DeclineConsent {
				action = "cancel"
			}
			p, err = b.Submit(p, "consent-form", map[string]string{"action": action})
		case hasForm(p, "mfa-form"):
			p, err = b.Submit(p, "mfa-form", map[string]string{"otc": idp.MFACode})
		default:
			return p, nil
		}
		if err != nil {
			return nil, err
		}
		if p, err = b.FollowAutoPost(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func hasForm(p *Page, id string) bool { _, ok := p.Form(id); return ok }

// FollowAutoPost submits pages that auto-post a form (the SAML HTTP-POST binding, OAuth
// form_post), up to three in a row, and returns the page reached.
func (b *Browser) FollowAutoPost(p *Page) (*Page, error) {
	var err error
	for range 3 {
		if !p.AutoPosts() {
			return p, nil
		}
		if p, err = b.Submit(p, "", nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// LastPosted returns the last submitted form that carried field name (e.g. "SAMLResponse",
// "code"), or nil.
func (b *Browser) LastPosted(name string) *Form {
	for i := len(b.Posted) - 1; i >= 0; i-- {
		if _, ok := b.Posted[i].Fields[name]; ok {
			return &b.Posted[i]
		}
	}
	return nil
}

// AutoPosts reports whether the page is a form that submits itself on load.
func (p *Page) AutoPosts() bool {
	_, ok := p.Form("")
	return ok && strings.Contains(p.Body, ".submit()")
}

// Form returns the page's form with the given id ("" for the first), its action resolved.
func (p *Page) Form(id string) (*Form, bool) {
	var found *Form
	var walk func(n *html.Node, in *Form)
	walk = func(n *html.Node, in *Form) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" && (id == "" || attr(n, "id") == id) {
			action, _ := url.Parse(attr(n, "action"))
			in = &Form{Action: action.String(), Method: strings.ToUpper(attr(n, "method")), Fields: url.Values{}}
			if in.Method == "" {
				in.Method = http.MethodGet
			}
			if p.URL != nil {
				in.Action = p.URL.ResolveReference(action).String()
			}
		}
		if in != nil && n.Type == html.ElementNode && (n.Data == "input" || n.Data == "textarea") && attr(n, "name") != "" {
			v := attr(n, "value")
			if n.Data == "textarea" && n.FirstChild != nil {
				v = n.FirstChild.Data
			}
			in.Fields.Set(attr(n, "name"), v)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
		if in != nil && n.Type == html.ElementNode && n.Data == "form" {
			found = in
		}
	}
	if p.doc != nil {
		walk(p.doc, nil)
	}
	return found, found != nil
}

// Text returns the page's visible text (tags removed, whitespace collapsed).
func (p *Page) Text() string {
	if p.doc == nil {
		return p.Body
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

// String is the status, URL and body, for test failure messages.
func (p *Page) String() string { return fmt.Sprintf("%d %s\n%s", p.Status, p.URL, p.Body) }

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}
