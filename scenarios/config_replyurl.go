package scenarios

// config.redirect-uri and config.identifier: the URL and entity ID the SP sends against
// the Reply URLs / redirect URIs and Identifiers the app registers, and how they differ.

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
)

// checkStatic compares a value the SP declares (its metadata or the target) with the app's
// setting, for an IdP-initiated-only SP: Entra posts to the app's default Reply URL with
// the default Identifier as Audience, whatever the SP would have asked for.
func (cr *checkRun) checkStatic(what, have string, want []string, setting string) {
	app := cr.r.env.App
	if slices.Contains(want, have) {
		cr.pass(fmt.Sprintf("the app's default %s %s is one the SP declares", what, have))
		return
	}
	diff, closest := explainDiff(have, want)
	cr.fail(fmt.Sprintf("the app's %s is not the SP's", what),
		fmt.Sprintf("Entra sends IdP-initiated responses with the app's default %s %s, but the SP declares [%s] — %s", what, have, strings.Join(want, ", "), diff),
		fmt.Sprintf("In Entra: Enterprise applications → %s → Single sign-on → Basic SAML Configuration → %s: set %s as the default (or upload the SP's metadata file).", app.DisplayName, setting, closest))
}

func (cr *checkRun) checkRedirectURI(ctx context.Context) {
	if cr.idpInitiatedOnly() {
		cr.checkStatic("Reply URL", cr.r.env.App.SAML.DefaultReplyURL(), cr.r.env.Target.SAML.ACSURLs, "Reply URL (Assertion Consumer Service URL)")
		return
	}
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return
	}
	reg := cr.registeredURIs()
	var sent []string
	for _, a := range atts {
		ev := a.requestEvent()
		if ev == nil {
			cr.errorf("the sign-in from %s never reached the IdP (ended %s)", a.start, a.outcome)
			return
		}
		var uri string
		if cr.check.Protocol == "SAML" {
			uri = ev.Request["AssertionConsumerServiceURL"]
		} else {
			uri = ev.Request["redirect_uri"]
		}
		if ev.ErrorCode == idp.ErrReplyURLMismatch.Code {
			var what, where, fix string
			if cr.check.Protocol == "OIDC" {
				platform := "Web"
				if a.platform == "spa" {
					platform = "Single-page application"
				}
				what, where, fix = "redirect_uri", "redirect URIs", "App registrations → "+cr.r.env.Registration.DisplayName+" → Authentication → "+platform+" → Redirect URIs"
			} else {
				what, where, fix = "ACS", "Reply URLs", "Enterprise applications → "+cr.r.env.App.DisplayName+" → Single sign-on → Basic SAML Configuration → Reply URL (Assertion Consumer Service URL)"
			}
			diff, closest := explainDiff(uri, reg)
			cr.fail("IdP refused: "+idp.ErrReplyURLMismatch.Name(),
				fmt.Sprintf("the SP sent %s %s but %s are [%s] — %s (%s: %s)", what, uri, where, strings.Join(reg, ", "), diff, idp.ErrReplyURLMismatch.Name(), ev.FailureReason),
				addFix(fix, uri, closest))
			return
		}
		if uri == "" {
			uri = "(none: the app's default Reply URL)"
		}
		sent = append(sent, uri)
	}
	cr.pass("registered: " + strings.Join(slices.Compact(sent), ", "))
}

// addFix is the fix for an unregistered URL: add it, or send the closest registered one.
func addFix(where, uri, closest string) string {
	if closest == "" {
		return fmt.Sprintf("In Entra: %s: add %s exactly.", where, uri)
	}
	return fmt.Sprintf("In Entra: %s: add %s exactly; or change the SP to send %s.", where, uri, closest)
}

// explainDiff says how a sent URL differs from the closest registered one, and which that is.
func explainDiff(sent string, reg []string) (string, string) {
	if len(reg) == 0 {
		return "none is registered", "(register one)"
	}
	best, bestScore := reg[0], math.MaxInt
	for _, r := range reg {
		if d := editDistance(strings.ToLower(sent), strings.ToLower(r)); d < bestScore {
			best, bestScore = r, d
		}
	}
	su, err1 := url.Parse(sent)
	ru, err2 := url.Parse(best)
	if err1 != nil || err2 != nil {
		return "not a URL the app has", best
	}
	var hosts []string
	for _, r := range reg {
		if u, err := url.Parse(r); err == nil && !slices.Contains(hosts, u.Host) {
			hosts = append(hosts, u.Host)
		}
	}
	if su.Host != "" && !slices.Contains(hosts, su.Host) && len(hosts) > 1 {
		// Per-customer subdomains and custom domains: one that was never added at all.
		return fmt.Sprintf("no URI on %s is registered at all (registered hosts: %s): a subdomain or custom domain that was never added", su.Host, strings.Join(hosts, ", ")), ""
	}
	var why []string
	switch {
	case strings.TrimRight(sent, "/") == strings.TrimRight(best, "/") && strings.HasSuffix(sent, "/"):
		return "trailing slash (the SP adds one the app lacks)", best
	case strings.TrimRight(sent, "/") == strings.TrimRight(best, "/"):
		return "trailing slash (the app has one the SP lacks)", best
	}
	if su.Scheme != ru.Scheme {
		why = append(why, fmt.Sprintf("scheme %s vs %s", su.Scheme, ru.Scheme))
	}
	if !strings.EqualFold(su.Hostname(), ru.Hostname()) {
		why = append(why, fmt.Sprintf("host %s vs %s", su.Hostname(), ru.Hostname()))
	}
	if su.Port() != ru.Port() {
		why = append(why, fmt.Sprintf("port %q vs %q", su.Port(), ru.Port()))
	}
	if su.Path != ru.Path {
		if strings.EqualFold(su.Path, ru.Path) {
			why = append(why, fmt.Sprintf("path case %s vs %s (Entra compares paths case-sensitively)", su.Path, ru.Path))
		} else {
			why = append(why, fmt.Sprintf("path %s vs %s", su.Path, ru.Path))
		}
	}
	if su.RawQuery != ru.RawQuery {
		why = append(why, fmt.Sprintf("query %q vs %q", su.RawQuery, ru.RawQuery))
	}
	if len(why) == 0 {
		return "differs from " + best, best
	}
	return strings.Join(why, ", ") + " (closest: " + best + ")", best
}

// editDistance is the Levenshtein distance of two strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

func (cr *checkRun) checkIdentifier(ctx context.Context) {
	if cr.idpInitiatedOnly() {
		cr.checkStatic("Identifier (Entity ID)", cr.r.env.App.SAML.DefaultIdentifier(), []string{cr.r.env.Target.SAML.EntityID}, "Identifier (Entity ID)")
		return
	}
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return
	}
	var ids []string
	for _, i := range cr.r.env.App.SAML.Identifiers {
		ids = append(ids, i.Value)
	}
	for _, a := range atts {
		ev := a.requestEvent()
		if ev == nil {
			cr.errorf("the sign-in from %s never reached the IdP (ended %s)", a.start, a.outcome)
			return
		}
		if ev.ErrorCode == idp.ErrAppNotFound.Code {
			iss := ev.Request["Issuer"]
			diff, closest := explainDiff(iss, ids)
			if !strings.Contains(iss, "://") {
				diff = "not among them"
			}
			cr.fail("IdP refused: "+idp.ErrAppNotFound.Name(),
				fmt.Sprintf("the SP's AuthnRequest Issuer is %s but the app's Identifiers (Entity ID) are [%s] — %s (%s: %s)", iss, strings.Join(ids, ", "), diff, idp.ErrAppNotFound.Name(), ev.FailureReason),
				fmt.Sprintf("In Entra: Enterprise applications → %s → Single sign-on → Basic SAML Configuration → Identifier (Entity ID): add %s exactly; or set the SP's entity ID to %s.", cr.r.env.App.DisplayName, iss, closest))
			return
		}
	}
	cr.pass("the SP's Issuer is an Identifier of " + cr.r.env.App.DisplayName)
}
