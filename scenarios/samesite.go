package scenarios

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/reports"
)

// laxPOSTWindow is how long after a cookie without a SameSite attribute was set Chromium
// still sends it on a cross-site top-level POST: Lax-by-default's "Lax+POST" exception
// (kLaxAllowUnsafeMaxAge). After it the cookie is withheld (SameSiteUnspecifiedTreatedAsLax),
// so an SP that relies on it works only for users who are back from the IdP within it.
const laxPOSTWindow = 2 * time.Minute

// spCookieProfile recognises one SP software by the cookies it sets (or a response header)
// and says, in its own settings, how to make its sign-in state cookie survive the IdP's
// cross-site POST.
type spCookieProfile struct {
	// name is how the report names the software.
	name string
	// cookies are cookie names it sets; a trailing "*" matches a prefix.
	cookies []string
	// headers are "name: substring" of a response header that recognise it when no cookie
	// name does (cookie names are often configurable).
	headers []string
	// fix is how to set its state cookie SameSite=None; Secure.
	fix string
	// plainHTTP, when set, replaces the general advice for an SP on plain http, where
	// Chromium refuses a SameSite=None cookie (it must be Secure).
	plainHTTP string
}

// spCookieProfiles are the SPs config.samesite recognises, most specific first: the first
// profile with a matching cookie name wins.
var spCookieProfiles = []spCookieProfile{
	{name: "mod_auth_mellon", cookies: []string{"mellon-*"},
		fix: "`MellonCookieSameSite None` and `MellonSecureCookie On` where mellon is configured (its <Location>), with the SP on HTTPS (a mellon without MellonCookieSameSite is too old to set it: upgrade)",
		plainHTTP: "Serve the SP over HTTPS and mark the cookie Secure (mod_auth_mellon: MellonSecureCookie On, with MellonCookieSameSite None). On plain http, do not send SameSite=None " +
			"(mod_auth_mellon 0.18: set the environment variable MELLON_DISABLE_SAMESITE=1 for Apache) — but then the cookie rides the IdP's cross-site POST only within Chromium's " +
			"2-minute Lax+POST window after it was set, so HTTPS is the real fix."},
	{name: "Shibboleth SP", cookies: []string{"_shibstate_*", "_shibsession_*"},
		fix: "in shibboleth2.xml, `<Sessions … sameSiteSession=\"None\" cookieProps=\"https\" handlerSSL=\"true\">` (cookieProps https makes the cookies Secure); " +
			"or `relayState=\"ss:mem\"` on <Sessions> to keep the relay state server-side instead of in the _shibstate_ cookie"},
	{name: "mod_auth_openidc", cookies: []string{"mod_auth_openidc_state_*", "mod_auth_openidc_session", "mod_auth_openidc_*"},
		fix: "leave `OIDCCookieSameSite Off` (the default, which gives the state cookie SameSite=None; `On` makes it Lax, and a form_post then loses it), do not clear " +
			"`OIDC_SET_COOKIE_APPEND` with SetEnvIf (that removes the SameSite=None), and serve the RP over HTTPS so the cookie is Secure"},
	{name: "oauth2-proxy", cookies: []string{"_oauth2_proxy_csrf*", "_oauth2_proxy*"},
		fix: "`--cookie-samesite=none` with `--cookie-secure=true` (cookie_samesite = \"none\" and cookie_secure = true in oauth2-proxy.cfg)"},
	{name: "ASP.NET Core (Microsoft.Identity.Web / OpenIdConnect)", cookies: []string{".AspNetCore.Correlation.*", ".AspNetCore.OpenIdConnect.Nonce.*", ".AspNetCore.*"},
		fix: "OpenIdConnectOptions.CorrelationCookie.SameSite and NonceCookie.SameSite = SameSiteMode.None with SecurePolicy = CookieSecurePolicy.Always " +
			"(Microsoft.Identity.Web: configure OpenIdConnectOptions after AddMicrosoftIdentityWebApp), and no CookiePolicyOptions.MinimumSameSitePolicy or " +
			"OnAppendCookie that lowers them; the app on HTTPS"},
	{name: "ASP.NET (System.Web, OWIN)", cookies: []string{"OpenIdConnect.nonce.*", ".AspNet.Correlation.*", "ASP.NET_SessionId"},
		fix: "web.config `<httpCookies sameSite=\"None\" requireSSL=\"true\" />` and `<sessionState cookieSameSite=\"None\" />` (.NET Framework 4.7.2 or later), " +
			"and CookieManager = new SameSiteCookieManager(new SystemWebCookieManager()) on the OpenIdConnectAuthenticationOptions"},
	{name: "SimpleSAMLphp", cookies: []string{"SimpleSAMLSessionID", "SimpleSAMLAuthToken", "SimpleSAML*"},
		fix: "in config.php, `'session.cookie.samesite' => 'None'` with `'session.cookie.secure' => true`"},
	{name: "refsaml (the reference SAML SP, crewjam/saml)", cookies: []string{"refsaml_*"},
		fix: "its samlsp.CookieRequestTracker must set SameSite: http.SameSiteNoneMode with an https ACS URL (it does over https, unless the state-cookie-no-samesite weakness is on)"},
	{name: "crewjam/saml", cookies: []string{"saml_*"},
		fix: "`samlsp.Options{CookieSameSite: http.SameSiteNoneMode}` (or CookieRequestTracker.SameSite), with the ACS URL on https so the request cookies are Secure"},
	{name: "refoidc (the reference OIDC RP, coreos/go-oidc)", cookies: []string{"refoidc_*"},
		fix: "serve it over https, where it sets its login (state) cookie SameSite=None; Secure (unless the state-cookie-no-samesite weakness is on)"},
	{name: "Spring Security (servlet session)", cookies: []string{"JSESSIONID", "SESSION"},
		fix: "Spring Boot: `server.servlet.session.cookie.same-site=none` and `server.servlet.session.cookie.secure=true` (Spring Security keeps the AuthnRequest / " +
			"authorization request in the HTTP session); plain Tomcat: `<CookieProcessor sameSiteCookies=\"none\" />` in context.xml"},
	{name: "express-session (passport)", cookies: []string{"connect.sid"}, headers: []string{"x-powered-by: Express"},
		fix: "`session({ cookie: { sameSite: 'none', secure: true } })`, and `app.set('trust proxy', 1)` behind a TLS-terminating proxy (else express-session sets no Secure cookie)"},
	{name: "PHP sessions", cookies: []string{"PHPSESSID"}, headers: []string{"x-powered-by: PHP"},
		fix: "php.ini `session.cookie_samesite = None` and `session.cookie_secure = 1` (or the same in session_set_cookie_params)"},
	{name: "Django", cookies: []string{"sessionid", "csrftoken"},
		fix: "settings.py `SESSION_COOKIE_SAMESITE = 'None'` and `SESSION_COOKIE_SECURE = True`"},
	{name: "Go net/http (the coreos/go-oidc example's state and nonce cookies)", cookies: []string{"state", "nonce"},
		fix: "set the cookies with `SameSite: http.SameSiteNoneMode, Secure: true`"},
}

// genericSameSiteFix is the advice when the SP is not recognised.
const genericSameSiteFix = "Set the cookie that carries the sign-in state with SameSite=None; Secure (the SP must be served over HTTPS), or keep that state server-side keyed by RelayState/state."

// matchCookie reports whether a cookie name matches a profile pattern (a trailing "*"
// matches a prefix).
func matchCookie(pattern, name string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(name, p)
	}
	return name == pattern
}

// recogniseSP finds the profile of the SP: first by the cookies the sign-in needs, then by
// any cookie the SP set, then by its response headers; nil when none fits.
func recogniseSP(needed, all []string, headers map[string][]string) *spCookieProfile {
	for _, names := range [][]string{needed, all} {
		for i := range spCookieProfiles {
			p := &spCookieProfiles[i]
			for _, n := range names {
				if slices.ContainsFunc(p.cookies, func(pat string) bool { return matchCookie(pat, n) }) {
					return p
				}
			}
		}
	}
	for i := range spCookieProfiles {
		p := &spCookieProfiles[i]
		for _, h := range p.headers {
			name, sub, _ := strings.Cut(h, ": ")
			if slices.ContainsFunc(headers[name], func(v string) bool { return strings.Contains(strings.ToLower(v), strings.ToLower(sub)) }) {
				return p
			}
		}
	}
	return nil
}

// sameSiteNoneFix is the fix that gives the state cookie SameSite=None; Secure, in the SP's
// own terms when it is recognised.
func sameSiteNoneFix(p *spCookieProfile, names []string, overHTTP bool) string {
	if p == nil {
		return genericSameSiteFix
	}
	pre := "Give " + strings.Join(names, ", ") + " SameSite=None; Secure. In "
	if overHTTP {
		pre = "Serve the SP over HTTPS (a SameSite=None cookie must be Secure), then give " + strings.Join(names, ", ") + " SameSite=None; Secure. In "
	}
	return pre + p.name + ": " + p.fix + ". Or keep the sign-in state server-side, keyed by RelayState/state."
}

// plainHTTPFix is the fix for a SameSite=None cookie Chromium refused because it was not
// Secure.
func plainHTTPFix(p *spCookieProfile) string {
	switch {
	case p == nil:
		return "Serve the SP over HTTPS and mark the cookie Secure. On plain http, do not send SameSite=None — but then the cookie rides the IdP's cross-site POST " +
			"only within Chromium's 2-minute Lax+POST window after it was set, so HTTPS is the real fix."
	case p.plainHTTP != "":
		return p.plainHTTP
	}
	return "Serve the SP over HTTPS and mark the cookie Secure (" + p.name + ": " + p.fix + ")."
}

// setCookieLine is one Set-Cookie line, read for what SameSite cares about.
type setCookieLine struct {
	name string
	// sameSite is the attribute's value as Chromium takes it: "None", "Lax", "Strict", or ""
	// when the line has none (or one Chromium ignores, e.g. an unknown value).
	sameSite string
	raw      string // the SameSite attribute as written, when it is not a valid one
	secure   bool
	deleted  bool // Max-Age <= 0 or Expires in the past: the line removes the cookie
}

// parseSetCookie reads a Set-Cookie line received at t.
func parseSetCookie(line string, t time.Time) setCookieLine {
	parts := strings.Split(line, ";")
	name, _, _ := strings.Cut(parts[0], "=")
	c := setCookieLine{name: strings.TrimSpace(name)}
	for _, a := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(a), "=")
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "samesite":
			switch strings.ToLower(v) {
			case "none":
				c.sameSite = "None"
			case "lax":
				c.sameSite = "Lax"
			case "strict":
				c.sameSite = "Strict"
			default:
				c.sameSite, c.raw = "", "SameSite="+v
			}
		case "secure":
			c.secure = true
		case "max-age":
			if n, err := strconv.Atoi(v); err == nil && n <= 0 {
				c.deleted = true
			}
		case "expires":
			if e, err := http.ParseTime(v); err == nil && !t.IsZero() && e.Before(t) {
				c.deleted = true
			} else if e, err := time.Parse("Mon, 02-Jan-2006 15:04:05 MST", v); err == nil && !t.IsZero() && e.Before(t) {
				c.deleted = true
			}
		}
	}
	return c
}

// spCookie is a cookie the SP set during a sign-in: its last Set-Cookie line before the
// IdP's answer came back, where and when.
type spCookie struct {
	line  setCookieLine
	where string
	at    time.Time
}

// sameSiteInput is one sign-in as config.samesite reads it.
type sameSiteInput struct {
	binding  string     // SAML binding or OIDC response mode, for the report
	trace    []docEntry // the navigation trace
	ret      int        // index in trace of the request that brought the IdP's answer back
	idpHost  string     // host[:port] of the IdP: its hops are not the SP's
	accepted bool       // the SP signed the user in
	outcome  string     // how the sign-in ended, for the report
}

// sameSiteFinding is config.samesite's verdict on one sign-in.
type sameSiteFinding struct {
	status                   reports.Status
	observed, diagnosis, fix string
}

// judgeSameSite reads one sign-in's trace: a cookie of the SP that Chromium refused to
// store or withheld from the POST back fails; one that rode the cross-site POST only
// through Chromium's 2-minute Lax+POST exception (it has no SameSite) warns; otherwise it
// passes, saying what carried the state back.
func judgeSameSite(in sameSiteInput) sameSiteFinding {
	d := &in.trace[in.ret]
	sc := collectSPCookies(in)
	effect := "the SP still signed the user in"
	if !in.accepted {
		effect = "the SP lost its request state and refused the sign-in (" + in.outcome + ")"
	}
	if len(sc.rejected) > 0 {
		return sc.rejectedFinding(effect)
	}
	if d.Method != "POST" {
		return sameSiteFinding{status: reports.StatusPass,
			observed: fmt.Sprintf("%s: the response came back by a top-level GET, which carries SameSite=Lax cookies (and those without SameSite, at any age)", in.binding)}
	}
	overHTTP := insecureOrigin(d.URL)
	if len(d.Withheld) > 0 {
		return sc.withheldFinding(d, effect, overHTTP)
	}
	var lax, ok []neededCookie
	for _, n := range sc.needed(d) {
		if n.sameSite == "" {
			lax = append(lax, n)
		} else {
			ok = append(ok, n)
		}
	}
	if len(lax) > 0 {
		return sc.laxPOSTFinding(in, d, lax, overHTTP)
	}
	if len(ok) == 0 {
		return sameSiteFinding{status: reports.StatusPass,
			observed: fmt.Sprintf("%s: the POST back to %s carried no cookie the SP set during the sign-in (its request state is not in a cookie)", in.binding, stripQuery(d.URL))}
	}
	var carried []string
	for _, n := range ok {
		attr := "SameSite=" + n.sameSite
		if n.secure {
			attr += "; Secure"
		}
		carried = append(carried, fmt.Sprintf("%s (%s)", n.name, attr))
	}
	return sameSiteFinding{status: reports.StatusPass,
		observed: fmt.Sprintf("%s: the POST back to %s carried the SP's cookies %s", in.binding, stripQuery(d.URL), strings.Join(carried, ", "))}
}

// spCookies is what a sign-in's trace says about the SP's cookies, gathered in one pass
// over the SP's hops (the IdP's are skipped: its cookies are not the SP's concern) so that
// each of judgeSameSite's verdicts reads from the same facts.
type spCookies struct {
	// set are the cookies the SP set before the IdP's answer came back, by name (the last
	// Set-Cookie line of each), and order their names in the order first set.
	set   map[string]*spCookie
	order []string
	// all are the names of every cookie seen: set (before or after the answer), refused, or
	// sent with the answer; recogniseSP tells the SP by them.
	all []string
	// rejected are the cookies the browser refused to store, as "name (reasons)", and
	// rejectedAt the URL of the first hop that had one.
	rejected   []string
	rejectedAt string
	// headers are the SP's response headers, every value of each, for recogniseSP.
	headers map[string][]string
}

// collectSPCookies reads the SP's cookies from in's trace.
func collectSPCookies(in sameSiteInput) *spCookies {
	sc := &spCookies{set: map[string]*spCookie{}, headers: map[string][]string{}}
	for i := range in.trace {
		h := &in.trace[i]
		if hostOf(h.URL) == in.idpHost {
			continue
		}
		for k, v := range h.headers {
			sc.headers[k] = append(sc.headers[k], v)
		}
		for _, r := range h.Rejected {
			if sc.rejectedAt == "" {
				sc.rejectedAt = stripQuery(h.URL)
			}
			if !slices.Contains(sc.rejected, r) {
				sc.rejected = append(sc.rejected, r)
			}
			n, _, _ := strings.Cut(r, " (")
			sc.all = append(sc.all, n)
		}
		for _, l := range h.SetCookies {
			c := parseSetCookie(l, h.Time)
			if c.name == "" {
				continue
			}
			sc.all = append(sc.all, c.name)
			if i >= in.ret {
				continue
			}
			if _, ok := sc.set[c.name]; !ok {
				sc.order = append(sc.order, c.name)
			}
			sc.set[c.name] = &spCookie{line: c, where: stripQuery(h.URL), at: h.Time}
		}
	}
	for _, s := range in.trace[in.ret].Sent {
		sc.all = append(sc.all, s.Name)
	}
	return sc
}

// rejectedFinding fails a sign-in in which the browser refused to store a cookie of the
// SP. The two reasons that come from the SP's scheme (SameSite=None or Secure over plain
// http) get their own explanation and the plain-HTTP fix, since SameSite=None cannot help
// there. effect says what the refusal did to the sign-in.
func (sc *spCookies) rejectedFinding(effect string) sameSiteFinding {
	names := cookieNames(sc.rejected)
	p := recogniseSP(names, sc.all, sc.headers)
	why, fix := "", sameSiteNoneFix(p, names, false)
	switch reasons := strings.Join(sc.rejected, " "); {
	case strings.Contains(reasons, "SameSiteNoneInsecure"):
		why = ": Chromium refuses a SameSite=None cookie that is not also Secure (SameSiteNoneInsecure)"
		fix = plainHTTPFix(p)
	case strings.Contains(reasons, "SecureOnly"):
		why = ": Chromium takes a Secure cookie only from a secure origin (HTTPS, localhost or a loopback address), not from " + sc.rejectedAt + " (SecureOnly)"
		fix = plainHTTPFix(p)
	}
	return sameSiteFinding{status: reports.StatusFail, observed: "cookie rejected when the SP set it",
		diagnosis: fmt.Sprintf("the browser refused to store %s that the SP set at %s%s; so the SP's sign-in state was never kept, and %s", strings.Join(sc.rejected, ", "), sc.rejectedAt, why, effect),
		fix:       fix}
}

// withheldFinding fails a sign-in whose POST back d went without some of the SP's cookies.
// When one was withheld for having no SameSite, the diagnosis says how old it was, since
// the Lax+POST window explains why the same SP can work in a quick manual test.
func (sc *spCookies) withheldFinding(d *docEntry, effect string, overHTTP bool) sameSiteFinding {
	names := cookieNames(d.Withheld)
	p := recogniseSP(names, sc.all, sc.headers)
	diag := fmt.Sprintf("the browser withheld %s from the IdP's cross-site POST to %s; %s", strings.Join(d.Withheld, ", "), stripQuery(d.URL), effect)
	for _, w := range d.Withheld {
		// SameSiteUnspecifiedTreatedAsLax, or Schemeful… (what Chromium 156 reports).
		if !strings.Contains(w, "SameSiteUnspecifiedTreatedAsLax") {
			continue
		}
		n, _, _ := strings.Cut(w, " (")
		age := ""
		if c := sc.set[n]; c != nil {
			age = fmt.Sprintf(" (set by %s %s before the POST)", c.where, roundAge(d.Time.Sub(c.at)))
		}
		diag += fmt.Sprintf(". %s has no SameSite attribute%s, so Chromium treats it as SameSite=Lax and sends it on a cross-site POST only within %s of setting it.", n, age, fmtWindow())
		break
	}
	return sameSiteFinding{status: reports.StatusFail, observed: "cookie withheld from the POST back", diagnosis: diag, fix: sameSiteNoneFix(p, names, overHTTP)}
}

// neededCookie is a cookie the sign-in needs on the POST back, with what is known of it.
type neededCookie struct {
	name, sameSite, where string
	secure                bool
	age                   time.Duration
	known                 bool // a Set-Cookie line was seen for it
	raw                   string
}

// needed are the cookies the sign-in needs: those the SP set during it that the POST back
// d carried. Without the request's ExtraInfo (what was sent is unknown), the ones the SP
// set and did not delete.
func (sc *spCookies) needed(d *docEntry) []neededCookie {
	var need []neededCookie
	add := func(name, sameSite string) {
		n := neededCookie{name: name, sameSite: sameSite}
		if c := sc.set[name]; c != nil {
			n.sameSite, n.secure, n.where, n.age, n.known, n.raw = c.line.sameSite, c.line.secure, c.where, d.Time.Sub(c.at), true, c.line.raw
		}
		need = append(need, n)
	}
	if d.sentKnown {
		for _, s := range d.Sent {
			switch c := sc.set[s.Name]; {
			case c != nil:
				add(s.Name, s.SameSite)
			case s.SameSite == "":
				// No Set-Cookie line seen (set by script or a subresource), but Chromium
				// sends a cookie without SameSite on a cross-site POST only in its first
				// 2 minutes: it was set during this sign-in.
				add(s.Name, "")
			}
		}
	} else {
		for _, n := range sc.order {
			if !sc.set[n].line.deleted {
				add(n, "")
			}
		}
	}
	return need
}

// laxPOSTFinding warns about a sign-in whose POST back d carried the needed cookies lax
// (no SameSite) only through Chromium's Lax+POST exception: it worked here, but fails for
// a user who spends longer at the IdP than the window.
func (sc *spCookies) laxPOSTFinding(in sameSiteInput, d *docEntry, lax []neededCookie, overHTTP bool) sameSiteFinding {
	var names, obs, parts []string
	for _, n := range lax {
		names = append(names, n.name)
		attr := "no SameSite attribute"
		if n.raw != "" {
			attr = n.raw + ", which Chromium ignores (so no SameSite)"
		}
		where := "by the SP's pages (not by a Set-Cookie header of a page: a script or a subresource)"
		if n.known {
			where = fmt.Sprintf("by %s %s before the POST", n.where, roundAge(n.age))
		}
		obs = append(obs, n.name+" (no SameSite)")
		parts = append(parts, fmt.Sprintf("%s (%s; set %s)", n.name, attr, where))
	}
	p := recogniseSP(names, sc.all, sc.headers)
	res := "the SP signed the user in"
	if !in.accepted {
		res = "the SP did not sign the user in either (" + in.outcome + ")"
	}
	return sameSiteFinding{status: reports.StatusWarn,
		observed: fmt.Sprintf("%s: %s sent on the POST back only within Chromium's %d-minute Lax+POST window", in.binding, strings.Join(obs, ", "), int(laxPOSTWindow/time.Minute)),
		diagnosis: fmt.Sprintf("the IdP's cross-site POST to %s carried %s only through Chromium's Lax-by-default exception: a cookie without SameSite is treated as "+
			"SameSite=Lax, which a cross-site POST does not carry — except within %s after the cookie was set (\"Lax+POST\"). Here %s; but a user who spends longer "+
			"at the IdP (MFA, a password change, picking an account) comes back without it, and the SP loses the sign-in. Chrome and Edge behave so; "+
			"browsers without Lax-by-default send it at any age.",
			stripQuery(d.URL), strings.Join(parts, ", "), fmtWindow(), res),
		fix: sameSiteNoneFix(p, names, overHTTP)}
}

// insecureOrigin reports whether Chromium refuses Secure cookies from a URL's origin (so
// SameSite=None too): plain http, except localhost and loopback addresses, which it counts
// as secure origins.
func insecureOrigin(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return false
	}
	ip := net.ParseIP(h)
	return ip == nil || !ip.IsLoopback()
}

// cookieNames are the names of cookies listed as "name (reasons)".
func cookieNames(list []string) []string {
	var out []string
	for _, c := range list {
		n, _, _ := strings.Cut(c, " (")
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// roundAge is a cookie's age for a report: whole seconds, "under a second" below one.
func roundAge(d time.Duration) string {
	if d < time.Second {
		return "under a second"
	}
	return d.Round(time.Second).String()
}

// fmtWindow is laxPOSTWindow for a report ("2 minutes").
func fmtWindow() string {
	return strconv.Itoa(int(laxPOSTWindow/time.Minute)) + " minutes"
}

// returnIndex is the index in a trace of the request that brought the IdP's answer back
// to the SP (the first hop on another host after one on the IdP's), or -1.
func returnIndex(trace []docEntry, idpHost string) int {
	sawIdP := false
	for i := range trace {
		if hostOf(trace[i].URL) == idpHost {
			sawIdP = true
			continue
		}
		if sawIdP {
			return i
		}
	}
	return -1
}
