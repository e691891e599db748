package idp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// browser is a cookie-keeping HTTP client that does what a person's browser does on the
// mock's pages: follow redirects, submit the auto-posting forms, type into the sign-in page.
type browser struct {
	t      testing.TB
	client *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar}}
}

// page is a fetched HTML page.
type page struct {
	URL    *url.URL
	Status int
	Body   string
	doc    *html.Node
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	doc, _ := html.Parse(strings.NewReader(string(body)))
	// Body is the text with HTML entities decoded, so tests can look for messages as shown.
	return &page{URL: resp.Request.URL, Status: resp.StatusCode, Body: html.UnescapeString(string(body)), doc: doc}
}

func (b *browser) get(u string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// form is an HTML form's action and fields.
type form struct {
	Action string
	Fields url.Values
}

// form returns the page's first form (with the id, if given), resolving its action.
func (p *page) form(id string) (*form, bool) {
	var found *form
	var walk func(n *html.Node, in *form)
	walk = func(n *html.Node, in *form) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" && (id == "" || attr(n, "id") == id) {
			action, _ := url.Parse(attr(n, "action"))
			in = &form{Action: action.String(), Fields: url.Values{}}
			if p.URL != nil {
				in.Action = p.URL.ResolveReference(action).String()
			}
		}
		if in != nil && n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") != "" {
			in.Fields.Set(attr(n, "name"), attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
		if in != nil && n.Type == html.ElementNode && n.Data == "form" {
			found = in
		}
	}
	walk(p.doc, nil)
	return found, found != nil
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// submit posts the page's form (auto-posting forms, the sign-in page) with overrides.
func (b *browser) submit(p *page, id string, set map[string]string) *page {
	b.t.Helper()
	f, ok := p.form(id)
	if !ok {
		b.t.Fatalf("no form %q on %s (status %d):\n%s", id, p.URL, p.Status, p.Body)
	}
	for k, v := range set {
		f.Fields.Set(k, v)
	}
	return b.post(f.Action, f.Fields)
}

// signIn types login and password on the mock's sign-in page, then follows the
// auto-submitting POST back to the SP. It returns the page the SP ends on.
func (b *browser) signIn(p *page, login, password string) *page {
	b.t.Helper()
	if _, ok := p.form("email-form"); ok {
		p = b.submit(p, "email-form", map[string]string{"login": login})
	}
	if _, ok := p.form("password-form"); !ok {
		return p // an error page, or the user is unknown
	}
	p = b.submit(p, "password-form", map[string]string{"passwd": password})
	return b.followAutoPost(p)
}

// followAutoPost submits a page whose body auto-posts a form (SAML HTTP-POST binding).
func (b *browser) followAutoPost(p *page) *page {
	b.t.Helper()
	for i := 0; i < 3; i++ {
		if !strings.Contains(p.Body, ".submit()") {
			return p
		}
		p = b.submit(p, "", nil)
	}
	return p
}

func (p *page) String() string { return fmt.Sprintf("%d %s\n%s", p.Status, p.URL, p.Body) }
