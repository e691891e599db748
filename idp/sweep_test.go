package idp_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The malformed-input sweep (issue 14, item 8): every variant of testdata/sweep/variants.txt
// against every route of testdata/sweep/routes.txt, which holds one line per pattern of the
// route table, each over HTTP and over HTTPS against a listening server. The short form runs
// in `make test`; MOCKIDP_SOAK=full (`make soak`) sends each value variant in every target
// parameter instead of one.

// sweepControlToken is the control API token of the sweep's servers: the control routes answer
// 404 without one, and the sweep means to reach their handlers.
const sweepControlToken = "sweep-control-token-0123456789"

// sweepTally is what a sweep saw: the figures the issue asks for.
type sweepTally struct {
	requests      int
	status        map[int]int
	fromNetHTTP   int // answered by net/http before any handler (431, its own 400)
	handler5xx    int
	netHTTP5xx    int
	panics        int
	sendErrors    int
	problems      []string
	variantsRoute map[string]map[string]bool
}

// String is the one-line summary the sweep logs.
func (s *sweepTally) String() string {
	var hist []string
	for _, c := range slices.Sorted(maps.Keys(s.status)) {
		hist = append(hist, fmt.Sprintf("%d×%d", c, s.status[c]))
	}
	return fmt.Sprintf("requests %d; statuses %s; 5xx from handlers %d, from net/http %d; panics %d; answered by net/http before a handler %d; failed to send %d; problems %d",
		s.requests, strings.Join(hist, " "), s.handler5xx, s.netHTTP5xx, s.panics, s.fromNetHTTP, s.sendErrors, len(s.problems))
}

// TestSweep is the malformed-input sweep: no 5xx, no panic (the server's internal-error
// events), only Entra-shaped answers, no reflected script, no redirect to a foreign host.
func TestSweep(t *testing.T) {
	t.Parallel() // servers of its own: overlaps the other slow tests
	routes, variants, err := loadSweep()
	if err != nil {
		t.Fatal(err)
	}
	// routes.txt holds the route table: a new route without sweep data fails here.
	inData := map[string]bool{}
	for _, r := range routes {
		inData[r.pattern] = true
	}
	for _, p := range idp.RoutePatterns() {
		if !inData[p] {
			t.Errorf("testdata/sweep/routes.txt has no line for route %q", p)
		}
		delete(inData, p)
	}
	for p := range inData {
		t.Errorf("testdata/sweep/routes.txt names %q, which is not in the route table", p)
	}
	full := os.Getenv("MOCKIDP_SOAK") == "full"
	total := &sweepTally{status: map[int]int{}}
	var mu sync.Mutex
	// After the parallel subtests: a parent's cleanup waits for them.
	t.Cleanup(func() {
		t.Logf("sweep total (%d routes × %d variants, HTTP and HTTPS): %s", len(routes), len(variants), total)
	})
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			// Each scheme has a server of its own (its internal-error events are its own):
			// the two sweeps run side by side, with the other slow tests of the package.
			t.Parallel()
			tally := runSweep(t, scheme, routes, variants, !full)
			t.Logf("sweep %s (full=%v): %s", scheme, full, tally)
			mu.Lock()
			total.add(tally)
			mu.Unlock()
			for route, vs := range tally.variantsRoute {
				if len(vs) < 30 {
					t.Errorf("route %q got %d variants, want at least 30", route, len(vs))
				}
			}
			for _, p := range tally.problems[:min(len(tally.problems), 40)] {
				t.Error(p)
			}
		})
	}
}

// add sums another server's tally into s.
func (s *sweepTally) add(o *sweepTally) {
	s.requests += o.requests
	for c, n := range o.status {
		s.status[c] += n
	}
	s.fromNetHTTP += o.fromNetHTTP
	s.handler5xx += o.handler5xx
	s.netHTTP5xx += o.netHTTP5xx
	s.panics += o.panics
	s.sendErrors += o.sendErrors
	s.problems = append(s.problems, o.problems...)
}

// sweepServer starts the default directory with a control token, over HTTP or HTTPS.
func sweepServer(t *testing.T, scheme string) *idp.Server {
	cfg := idp.DefaultConfig()
	cfg.ControlAPI = &idp.ControlAPI{Token: sweepControlToken}
	// Graph's routes parse their query options only for a token with the permission.
	app := cfg.Tenants[0].AppRegistrations[0]
	app.RequiredResourceAccess = append(app.RequiredResourceAccess, idp.RequiredResourceAccess{ResourceAppID: "00000003-0000-0000-c000-000000000000",
		ResourceAccess: []idp.ResourceAccess{{ID: "Directory.Read.All", Type: "Role"}}})
	if scheme == "https" {
		return idptest.StartTLS(t, idp.WithConfig(cfg))
	}
	return idptest.Start(t, idp.WithConfig(cfg))
}

// runSweep sends the sweep to a new server, one request at a time so that the server's
// internal-error events belong to the request that caused them.
func runSweep(t *testing.T, scheme string, routes []*sweepRoute, variants []*sweepVariant, rotate bool) *sweepTally {
	srv := sweepServer(t, scheme)
	client := *srv.Client()
	client.Timeout = time.Minute
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg := srv.Config()
	tn := cfg.Tenants[0]
	env := map[string]string{
		"tid": tn.ID, "samlapp": tn.EnterpriseApps[0].AppID, "oidcapp": tn.AppRegistrations[0].AppID,
		"secret": tn.AppRegistrations[0].PasswordCredentials[0].SecretText, "token": sweepControlToken,
		"now": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	env["authnxml"] = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_sweep1" Version="2.0" IssueInstant="` +
		env["now"] + `" Destination="` + srv.URL + "/" + tn.ID + `/saml2" AssertionConsumerServiceURL="https://sp.example.test/saml/acs"><saml:Issuer>https://sp.example.test/saml/metadata</saml:Issuer></samlp:AuthnRequest>`
	env["ctx"], env["esctx"] = startFlow(t, &client, srv.URL, env)
	env["graphtoken"] = graphAppToken(t, &client, srv.URL, env)

	base, _ := url.Parse(srv.URL)
	tally := &sweepTally{status: map[int]int{}, variantsRoute: map[string]map[string]bool{}}
	for _, q := range buildSweep(routes, variants, env, rotate) {
		if tally.variantsRoute[q.route.pattern] == nil {
			tally.variantsRoute[q.route.pattern] = map[string]bool{}
		}
		tally.variantsRoute[q.route.pattern][q.variant.kind+"/"+q.variant.name] = true
		srv.ResetEvents()
		req := &http.Request{Method: q.method, URL: &url.URL{Scheme: base.Scheme, Host: base.Host, Opaque: q.path, RawQuery: q.query},
			Header: q.header, Host: q.host, Body: io.NopCloser(bytes.NewReader(q.body)), ContentLength: int64(len(q.body))}
		if q.body == nil {
			req.Body = nil
		}
		tally.requests++
		resp, err := client.Do(req)
		if err != nil {
			tally.sendErrors++
			tally.problems = append(tally.problems, fmt.Sprintf("%s: %v", q.label(), err))
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tally.status[resp.StatusCode]++
		events := srv.Events()
		for _, ev := range events {
			if ev.Kind == idp.EventInternal {
				tally.panics++
			}
		}
		// Every answer of a handler carries x-ms-ests-server (ServeHTTP sets it first); one
		// without it is net/http's own refusal (a header over MaxHeaderBytes, a request line it
		// cannot parse), which no handler saw.
		if resp.Header.Get("x-ms-ests-server") == "" {
			tally.fromNetHTTP++
			if resp.StatusCode >= 500 {
				tally.netHTTP5xx++
				tally.problems = append(tally.problems, fmt.Sprintf("%s: net/http answered %d", q.label(), resp.StatusCode))
			}
			continue
		}
		if resp.StatusCode >= 500 {
			tally.handler5xx++
		}
		if p := sweepProblem(q, events, resp, body); p != "" {
			tally.problems = append(tally.problems, q.label()+": "+p)
		}
	}
	return tally
}

// startFlow opens a sign-in flow as a browser would (the authorize request renders the sign-in
// page), so that the sign-in form's variants reach past the flow check: the flow's ctx and its
// esctx cookie.
func startFlow(t *testing.T, client *http.Client, base string, env map[string]string) (ctx, esctx string) {
	u := base + "/" + env["tid"] + "/oauth2/v2.0/authorize?" + url.Values{
		"client_id": {env["oidcapp"]}, "redirect_uri": {"http://localhost:8080/signin-oidc"},
		"response_type": {"code"}, "scope": {"openid"}, "state": {"s"}, "nonce": {"n"}}.Encode()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="ctx" value="([^"]+)"`).FindSubmatch(b)
	for _, c := range resp.Cookies() {
		if c.Name == "esctx" {
			esctx = c.Value
		}
	}
	if m == nil || esctx == "" {
		t.Fatalf("no sign-in flow from the authorize request (%d): %.300s", resp.StatusCode, b)
	}
	return html.UnescapeString(string(m[1])), esctx
}

// graphAppToken is an app-only token for Microsoft Graph ({graphtoken}) from the client
// credentials grant of {oidcapp}.
func graphAppToken(t *testing.T, client *http.Client, base string, env map[string]string) string {
	resp, err := client.PostForm(base+"/"+env["tid"]+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {env["oidcapp"]}, "client_secret": {env["secret"]}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("no Graph token for the sweep (%d): %v", resp.StatusCode, err)
	}
	return tr.AccessToken
}

// reflected are unescaped hostile markups of variants.txt: any of them in an HTML answer is
// reflected script.
var reflected = []string{"<script>alert(7331)", "<img src=x onerror=alert(7331)", "<svg/onload=alert(7331)"}

// scriptURL is a javascript: URL in a link, form or frame attribute.
var scriptURL = regexp.MustCompile(`(?i)(href|action|src|formaction)\s*=\s*["']?\s*javascript:`)

// navTarget is where a page sends the browser: a form's action or a meta refresh URL.
var navTarget = regexp.MustCompile(`(?i)(?:action|url)\s*=\s*["']?([^"'\s>]+)`)

// sweepProblem judges one handler's answer: "" when it is fine.
func sweepProblem(q *sweepReq, events []idp.Event, resp *http.Response, body []byte) string {
	if q.method == http.MethodHead {
		// No body to judge: the status and the events still must be clean.
		if resp.StatusCode >= 500 {
			return fmt.Sprintf("status %d", resp.StatusCode)
		}
		body = nil
	} else if p := sweepShape(q, events, resp, body); p != "" {
		return p
	}
	if loc := resp.Header.Get("Location"); foreignTarget(loc) {
		return "redirect to a foreign host: " + loc
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(resp.Header.Get("Location"))), "javascript:") {
		return "redirect to a javascript: URL"
	}
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.Contains(c, "pwned") {
			return "a header injected through a value: Set-Cookie " + c
		}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") && ct != "" {
		return "" // JSON, XML, PEM: not rendered as a page
	}
	lower := strings.ToLower(string(body))
	for _, r := range reflected {
		if strings.Contains(lower, r) {
			return "reflected script " + r
		}
	}
	// scriptURL needs "javascript:" in some case (ſ folds to s under (?i)): most pages have
	// none, and the case-insensitive search of every page was a sixth of the package's CPU.
	if strings.Contains(lower, "javascript:") || strings.ContainsRune(lower, 'ſ') {
		if m := scriptURL.FindString(string(body)); m != "" {
			return "a javascript: URL in the page: " + m
		}
	}
	for _, m := range navTarget.FindAllStringSubmatch(string(body), -1) {
		if foreignTarget(html.UnescapeString(m[1])) {
			return "the page sends the browser to a foreign host: " + m[1]
		}
	}
	return ""
}

// foreignTarget: a URL whose host part (before any query or fragment, where a hostile value
// may be echoed harmlessly) names the sweep's attacker host.
func foreignTarget(u string) bool {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return strings.Contains(strings.ToLower(u), "attacker.test")
}

// sweepShape is the Entra shape of an answer: checkEntraAnswer's verdict for Entra's routes;
// the mock's own JSON routes (/_mockidp/) answer with the control API's error object
// ({"error", "error_description"}) or, the paged sign-in log, with Microsoft Graph's error
// envelope ({"error": {"code", "message"}}), as userinfo does.
func sweepShape(q *sweepReq, events []idp.Event, resp *http.Response, body []byte) string {
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode >= 400 && strings.HasPrefix(ct, "application/json") {
		own := strings.Contains(q.route.pattern, " /_mockidp/")
		switch {
		case (own || strings.HasSuffix(q.route.pattern, "/oidc/userinfo") || strings.HasSuffix(q.route.pattern, "/openid/userinfo") ||
			strings.Contains(q.route.pattern, " /v1.0/")) && bytes.HasPrefix(body, []byte(`{"error":{`)):
			return cmp.Or(jsonFields(body, `"code":"`, `"message":"`), entraEvents(events))
		case own:
			return cmp.Or(jsonFields(body, `"error":"`, `"error_description":"`), entraEvents(events))
		}
	}
	return entraAnswerProblem(events, resp.StatusCode, resp.Header, body)
}

// jsonFields: "" when the JSON body has every field, non-empty.
func jsonFields(body []byte, fields ...string) string {
	for _, f := range fields {
		if !bytes.Contains(body, []byte(f)) || bytes.Contains(body, []byte(f+`"`)) {
			return fmt.Sprintf("error JSON without %s…: %.300s", f, body)
		}
	}
	return ""
}

// entraEvents is entraAnswerProblem's panic check alone.
func entraEvents(events []idp.Event) string {
	return entraAnswerProblem(events, http.StatusOK, http.Header{}, nil)
}
