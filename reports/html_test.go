package reports_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"

	"github.com/ssoharness/ssoharness/reports"
)

func renderHTML(t *testing.T, r *reports.Run, dir string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteHTML(&buf, r, dir); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// walk calls f for every element of the document.
func walk(n *xhtml.Node, f func(*xhtml.Node)) {
	if n.Type == xhtml.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *xhtml.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *xhtml.Node) string {
	var b strings.Builder
	var rec func(*xhtml.Node)
	rec = func(n *xhtml.Node) {
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

func parseHTML(t *testing.T, page string) *xhtml.Node {
	t.Helper()
	doc, err := xhtml.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestHTMLSelfContained(t *testing.T) {
	run, dir := fixture(t)
	page := renderHTML(t, run, dir)

	for _, re := range []string{
		`(?i)src\s*=\s*["']?\s*(https?:|//)`,
		`(?i)<link[^>]+href\s*=\s*["']?\s*(https?:|//)`,
		`(?i)url\(\s*["']?\s*(https?:|//)`,
		`(?i)@import`,
		`(?i)<(iframe|object|embed|base)\b`,
	} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("external reference %q in the page", m)
		}
	}

	// Everything that loads is a data: URI; the only http(s) URLs are links the user follows.
	doc := parseHTML(t, page)
	var metaViewport, csp string
	walk(doc, func(n *xhtml.Node) {
		for _, a := range n.Attr {
			if (a.Key == "src" || (n.Data == "link" && a.Key == "href")) && !strings.HasPrefix(a.Val, "data:") {
				t.Errorf("<%s %s=%q> loads a non-data URL", n.Data, a.Key, a.Val)
			}
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("<%s %s>: inline event handler (blocked by the CSP)", n.Data, a.Key)
			}
			if a.Key == "style" {
				t.Errorf("<%s style>: inline style attribute (blocked by the CSP)", n.Data)
			}
		}
		if n.Data == "script" {
			if _, ok := attr(n, "src"); ok {
				t.Error("external script")
			}
		}
		if n.Data == "meta" {
			if v, _ := attr(n, "name"); v == "viewport" {
				metaViewport, _ = attr(n, "content")
			}
			if v, _ := attr(n, "http-equiv"); v == "Content-Security-Policy" {
				csp, _ = attr(n, "content")
			}
		}
	})
	if !strings.Contains(metaViewport, "width=device-width") {
		t.Errorf("viewport meta %q", metaViewport)
	}

	// The CSP allows exactly the page's inline style and script, by hash.
	if !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	walk(doc, func(n *xhtml.Node) {
		if n.Data != "script" && n.Data != "style" {
			return
		}
		sum := sha256.Sum256([]byte(text(n)))
		want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, want) {
			t.Errorf("<%s> hash %s not in the CSP %q (html/template changed the text?)", n.Data, want, csp)
		}
	})
}

func TestHTMLScreenshots(t *testing.T) {
	run, dir := fixture(t)
	page := renderHTML(t, run, dir)
	png, err := os.ReadFile(filepath.Join(dir, "shots", "saml-audience-1.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, `src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(png)+`"`) {
		t.Error("screenshot not inlined as a data URI")
	}
	if !strings.Contains(page, "screenshot missing") || !strings.Contains(page, missingShot) {
		t.Error("missing screenshot has no placeholder")
	}
	// saml-happy-1, saml-happy-2, saml-audience-1, oidc-nonce-1.
	if imgs := strings.Count(page, `<img src="data:image/png;base64,`); imgs != 4 {
		t.Errorf("%d inlined screenshots, want 4", imgs)
	}

	// A file that is not an image is not inlined, even when a step names it.
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("password=hunter2"), 0o600); err != nil {
		t.Fatal(err)
	}
	run.Checks[0].Steps[0].Screenshot = "secret.txt"
	page = renderHTML(t, run, dir)
	if strings.Contains(page, base64.StdEncoding.EncodeToString([]byte("password=hunter2"))) || !strings.Contains(page, "not an image") {
		t.Error("a non-image file was inlined")
	}
}

func TestHTMLEscapingAndHighlights(t *testing.T) {
	run, dir := fixture(t)
	page := renderHTML(t, run, dir)

	if strings.Contains(page, xssPayload) {
		t.Error("payload <script> appears unescaped")
	}
	if !strings.Contains(page, html.EscapeString(xssPayload)) {
		t.Errorf("payload <script> does not appear escaped as %q", html.EscapeString(xssPayload))
	}
	if want := "<mark>" + html.EscapeString(auditHighlight) + "</mark>"; !strings.Contains(page, want) {
		t.Errorf("highlight not marked: want %q", want)
	}
	if !strings.Contains(page, `<mark>&#34;nonce&#34;: &#34;n-0S6_WzA2Mj&#34;</mark>`) {
		t.Error("JSON highlight not marked")
	}
	// Text from the SP (a step note) is escaped too.
	if strings.Contains(page, `Welcome, B.Simon" <b>`) {
		t.Error("step note unescaped")
	}

	doc := parseHTML(t, page)
	// The parsed <mark> text is the highlight itself, and the <pre> text is the payload.
	var marks []string
	var pres []string
	var links []string
	walk(doc, func(n *xhtml.Node) {
		switch n.Data {
		case "mark":
			marks = append(marks, text(n))
		case "pre":
			pres = append(pres, text(n))
		case "a":
			h, _ := attr(n, "href")
			links = append(links, h)
		case "script":
			if strings.Contains(text(n), "pwned") {
				t.Error("payload became a script element")
			}
		}
	})
	if len(marks) != 2 || marks[0] != auditHighlight {
		t.Errorf("marks %q", marks)
	}
	found := false
	for _, p := range pres {
		if p == run.Checks[1].Payloads[0].Decoded {
			found = true
		}
	}
	if !found {
		t.Error("no <pre> holds the decoded SAML Response verbatim")
	}

	// References: URLs are links, citations and javascript: are not.
	wantLinks := map[string]bool{
		"https://learn.microsoft.com/en-us/entra/identity-platform/single-sign-on-saml-protocol": true,
		"https://docs.oasis-open.org/security/saml/v2.0/saml-core-2.0-os.pdf":                    true,
	}
	for _, l := range links {
		if !wantLinks[l] {
			t.Errorf("unexpected link %q", l)
		}
		delete(wantLinks, l)
	}
	if len(wantLinks) > 0 {
		t.Errorf("references not linked: %v", wantLinks)
	}
	if !strings.Contains(page, "SAML Core 2.0 §2.5.1.4") || !strings.Contains(page, "javascript:alert(1)") {
		t.Error("non-URL references not shown as text")
	}
}

func TestHTMLStructure(t *testing.T) {
	run, dir := fixture(t)
	doc := parseHTML(t, renderHTML(t, run, dir))

	var rows, chips int
	open := map[string]bool{}
	walk(doc, func(n *xhtml.Node) {
		class, _ := attr(n, "class")
		if n.Data == "tbody" && strings.HasPrefix(class, "check ") {
			rows++
			id, _ := attr(n, "data-id")
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == xhtml.ElementNode && c.Data == "tr" {
					if cl, _ := attr(c, "class"); cl == "details" {
						_, hidden := attr(c, "hidden")
						open[id] = !hidden
					}
				}
			}
		}
		if n.Data == "button" {
			if _, ok := attr(n, "data-status"); ok {
				chips++
			}
		}
	})
	if rows != len(run.Checks) {
		t.Errorf("%d check rows, want %d", rows, len(run.Checks))
	}
	if chips != len(reports.Statuses) {
		t.Errorf("%d status chips, want %d", chips, len(reports.Statuses))
	}
	for _, c := range run.Checks {
		if want := c.Status == reports.StatusFail || c.Status == reports.StatusError; open[c.ID] != want {
			t.Errorf("%s (%s): open=%v, want %v", c.ID, c.Status, open[c.ID], want)
		}
	}

	// Header facts and the sign-in log.
	page := renderHTML(t, run, dir)
	for _, want := range []string{
		"Contoso Expenses", "http://127.0.0.1:7443", "HeadlessChrome/156.0.8078.79", "31.2s",
		"AADSTS50148", "audience.wrong", "IdP sign-in log", "<title>Contoso Expenses — ssoharness report (2 fail, 1 error)</title>",
		`<b>2</b> fail`, `<b>8</b> checks`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestHTMLEmptyRun(t *testing.T) {
	page := renderHTML(t, &reports.Run{}, t.TempDir())
	if !strings.Contains(page, "Unnamed target") || !strings.Contains(page, "PASS") {
		t.Error("empty run not rendered")
	}
	if err := reports.WriteHTML(&bytes.Buffer{}, nil, ""); err == nil {
		t.Error("nil run: no error")
	}
}
