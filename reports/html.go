package reports

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

//go:embed assets/report.html.tmpl assets/report.css assets/report.js
var assets embed.FS

// maxScreenshot is the largest screenshot file inlined into the HTML report.
const maxScreenshot = 16 << 20

var (
	reportCSS  = mustAsset("assets/report.css")
	reportJS   = mustAsset("assets/report.js")
	reportCSP  = contentSecurityPolicy(reportCSS, reportJS)
	reportTmpl = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"dur":       func(ms int64) string { return fmtDuration(time.Duration(ms) * time.Millisecond) },
		"runDur":    func(r *Run) string { return fmtDuration(r.Duration()) },
		"stamp":     stamp,
		"clock":     func(t time.Time) string { return t.Format("15:04:05.000") },
		"isURL":     isWebURL,
		"join":      strings.Join,
		"oneLine":   oneLine,
		"nonEmpty":  func(s string) bool { return strings.TrimSpace(s) != "" },
		"httpClass": func(status int) int { return status / 100 },
	}).ParseFS(assets, "assets/report.html.tmpl"))
)

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// contentSecurityPolicy is the page's policy: nothing may load but the report's own inline
// style and script (by hash) and data: images. Text from the SP under test (payloads, URLs,
// page headings) is escaped anyway; the policy makes sure that nothing in the file can load
// or run anything else, even if it were not.
func contentSecurityPolicy(css, js string) string {
	h := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'none'; img-src data:; style-src " + h(css) + "; script-src " + h(js) +
		"; base-uri 'none'; form-action 'none'"
}

// WriteHTML writes the run as one self-contained HTML page: inline CSS and JavaScript, no
// external resource (a strict Content-Security-Policy forbids any), screenshots inlined as
// data: URIs. dir is the report directory the Step.Screenshot paths are relative to; a
// screenshot that is missing, unreadable or not an image renders as a placeholder.
//
// The page shows the run's header, the count of checks per status as chips that filter the
// table, a text filter and a protocol filter, and a table of checks whose rows expand into
// their details: description, diagnosis, fix, reason, references, timeline with screenshot
// thumbnails (click to enlarge), decoded payloads with the fault's changes highlighted, and
// the IdP's sign-in log. Checks that failed or errored are expanded from the start. The
// page works without JavaScript (everything expanded) and prints.
func WriteHTML(w io.Writer, r *Run, dir string) error {
	if r == nil {
		return fmt.Errorf("reports: nil run")
	}
	p := buildPage(r, dir)
	if err := reportTmpl.Execute(w, p); err != nil {
		return fmt.Errorf("reports: html: %w", err)
	}
	return nil
}

// Page model.
type (
	htmlPage struct {
		Run       *Run
		CSS       template.CSS
		JS        template.JS
		CSP       string
		Favicon   template.URL
		Failed    bool
		Sum       Summary
		Chips     []htmlChip
		Protocols []string
		Checks    []htmlCheck
		Title     string
	}
	htmlChip struct {
		Status Status
		Count  int
	}
	htmlCheck struct {
		Check
		Index    int
		Open     bool
		Search   string
		Steps    []htmlStep
		Payloads []htmlPayload
		SignIns  []htmlSignIn
	}
	htmlStep struct {
		Step
		Offset  string
		Shot    template.URL
		Missing string
	}
	htmlPayload struct {
		Payload
		HTML  template.HTML
		Marks int
	}
	htmlSignIn struct {
		SignInEvent
		Offset  string
		Request []htmlKV
	}
	htmlKV struct{ K, V string }
)

func buildPage(r *Run, dir string) htmlPage {
	sum := Tally(r.Checks)
	p := htmlPage{
		Run:    r,
		CSS:    template.CSS(reportCSS),
		JS:     template.JS(reportJS),
		CSP:    reportCSP,
		Failed: sum.Fail > 0 || sum.Error > 0,
		Sum:    sum,
	}
	for _, proto := range protocolsOf(r) {
		if proto != "" {
			p.Protocols = append(p.Protocols, proto)
		}
	}
	for _, st := range Statuses {
		p.Chips = append(p.Chips, htmlChip{st, sum.Count(st)})
	}
	p.Favicon = favicon(p.Failed, sum.Total == 0)
	verdict := "pass"
	if p.Failed {
		verdict = fmt.Sprintf("%d fail, %d error", sum.Fail, sum.Error)
	}
	p.Title = fmt.Sprintf("%s — ssoharness report (%s)", orDefault(r.Target.Name, "unnamed target"), verdict)

	shots := map[string]htmlStep{} // screenshot path → inlined result, read once
	for i, c := range r.Checks {
		hc := htmlCheck{
			Check: c,
			Index: i,
			Open:  c.Status == StatusFail || c.Status == StatusError,
			Search: strings.ToLower(strings.Join([]string{
				c.ID, c.Protocol, c.Kind, c.Expected, c.Observed, string(c.Status),
				c.Description, c.Diagnosis, c.Fix, c.Reason,
			}, "\n")),
		}
		base := c.Started
		if base.IsZero() && len(c.Steps) > 0 {
			base = c.Steps[0].Time
		}
		for _, s := range c.Steps {
			hs := htmlStep{Step: s, Offset: offset(s.Time, base)}
			if s.Screenshot != "" {
				cached, ok := shots[s.Screenshot]
				if !ok {
					cached.Shot, cached.Missing = inlineImage(dir, s.Screenshot)
					shots[s.Screenshot] = cached
				}
				hs.Shot, hs.Missing = cached.Shot, cached.Missing
			}
			hc.Steps = append(hc.Steps, hs)
		}
		for _, pl := range c.Payloads {
			h, marks := highlight(pl.Decoded, pl.Highlights)
			hc.Payloads = append(hc.Payloads, htmlPayload{Payload: pl, HTML: h, Marks: marks})
		}
		for _, ev := range c.SignInLog {
			hi := htmlSignIn{SignInEvent: ev, Offset: offset(ev.Time, base)}
			keys := make([]string, 0, len(ev.Request))
			for k := range ev.Request {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				hi.Request = append(hi.Request, htmlKV{k, ev.Request[k]})
			}
			hc.SignIns = append(hc.SignIns, hi)
		}
		p.Checks = append(p.Checks, hc)
	}
	return p
}

// inlineImage reads the screenshot at rel (relative to dir, slash-separated) and returns it
// as a data: URI, or a reason why it could not.
func inlineImage(dir, rel string) (template.URL, string) {
	path := filepath.FromSlash(rel)
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return "", "screenshot missing"
		}
		return "", "screenshot unreadable"
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxScreenshot+1))
	if err != nil {
		return "", "screenshot unreadable"
	}
	if len(b) > maxScreenshot {
		return "", "screenshot too large to inline"
	}
	// Only images are inlined: a report read from elsewhere must not smuggle other files in.
	mime := http.DetectContentType(b)
	switch mime {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return "", "not an image"
	}
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b)), ""
}

// highlight escapes s for HTML and wraps every occurrence of every non-empty highlight in
// <mark>. Matches are found in the raw text, merged when they overlap, and each segment is
// escaped on its own, so a highlight can neither split an entity nor inject markup. It also
// returns the number of <mark> elements.
func highlight(s string, highlights []string) (template.HTML, int) {
	type span struct{ from, to int }
	var spans []span
	for _, h := range highlights {
		if h == "" {
			continue
		}
		for i := 0; i < len(s); {
			j := strings.Index(s[i:], h)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(h)})
			i += j + len(h)
		}
	}
	if len(spans) == 0 {
		return template.HTML(html.EscapeString(s)), 0
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].from < spans[b].from })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.from <= last.to {
			last.to = max(last.to, sp.to)
			continue
		}
		merged = append(merged, sp)
	}
	var b strings.Builder
	at := 0
	for _, sp := range merged {
		b.WriteString(html.EscapeString(s[at:sp.from]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(s[sp.from:sp.to]))
		b.WriteString("</mark>")
		at = sp.to
	}
	b.WriteString(html.EscapeString(s[at:]))
	return template.HTML(b.String()), len(merged)
}

// isWebURL reports whether s is an absolute http(s) URL, to render as a link.
func isWebURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// offset is t relative to base, as "+1.2s"; the clock time when base is unknown.
func offset(t, base time.Time) string {
	if t.IsZero() {
		return ""
	}
	if base.IsZero() {
		return t.Format("15:04:05.000")
	}
	d := t.Sub(base)
	if d < 0 {
		return "−" + fmtDuration(-d)
	}
	return "+" + fmtDuration(d)
}

// stamp formats a run's time for people, with its zone.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// favicon is a coloured dot: red when the run failed, green when it passed.
func favicon(failed, empty bool) template.URL {
	color := "%2316a34a"
	switch {
	case failed:
		color = "%23dc2626"
	case empty:
		color = "%239ca3af"
	}
	return template.URL("data:image/svg+xml," +
		"%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='" +
		color + "'/%3E%3C/svg%3E")
}
