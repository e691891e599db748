package idp

// Conditional Access as Entra applies it to a sign-in: the tenant's policies
// (Tenant.ConditionalAccessPolicies, Microsoft Graph conditionalAccessPolicy) whose users
// and applications conditions match the sign-in grant it, require multifactor
// authentication, or block it. Interactively, "mfa" shows the code prompt (MFACode passes)
// and the tokens then carry amr ["pwd","mfa"]; "block" sends error=access_denied with
// AADSTS53003 to the redirect URI. Non-interactively (the refresh grant, prompt=none) the
// answers are AADSTS50076 with a claims challenge and suberror basic_action, and AADSTS53003
// with suberror message_only, as in the captures of
// AzureAD/microsoft-authentication-library-for-js#5491 and MartinIngesen/MSOLSpray#5.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// MFACode is the verification code the mock's MFA prompt accepts ("Enter code"), for
// every user: the harness and tests type it.
const MFACode = "123456"

// Built-in grant controls of a Conditional Access policy (Graph's builtInControls).
const (
	CAControlBlock = "block"
	CAControlMFA   = "mfa"
)

// CAAll is the "All" value of a policy's users or applications condition.
const CAAll = "All"

// ConditionalAccessPolicy is a Conditional Access policy (Microsoft Graph
// conditionalAccessPolicy), with the conditions and grant controls the mock evaluates.
type ConditionalAccessPolicy struct {
	// ID is the policy's GUID; the claims challenge of AADSTS50076 names it (capolids).
	ID string `json:"id,omitempty"`
	// DisplayName is the policy's name.
	DisplayName string `json:"displayName"`
	// State is enabled (the default when empty), disabled or
	// enabledForReportingButNotEnforced (report-only: evaluated, not enforced).
	State string `json:"state,omitempty"`
	// Conditions say which sign-ins the policy applies to.
	Conditions CAConditions `json:"conditions"`
	// GrantControls say what it requires: block, or mfa.
	GrantControls CAGrantControls `json:"grantControls"`
}

// CAConditions are a policy's conditions (users and applications only).
type CAConditions struct {
	Users        CAUsers        `json:"users"`
	Applications CAApplications `json:"applications"`
}

// CAUsers is the users condition: "All", object IDs or UPNs, and groups (object ID or name).
type CAUsers struct {
	IncludeUsers  []string `json:"includeUsers,omitempty"`
	ExcludeUsers  []string `json:"excludeUsers,omitempty"`
	IncludeGroups []string `json:"includeGroups,omitempty"`
	ExcludeGroups []string `json:"excludeGroups,omitempty"`
}

// CAApplications is the applications condition: "All" or app IDs (display names too).
type CAApplications struct {
	IncludeApplications []string `json:"includeApplications,omitempty"`
	ExcludeApplications []string `json:"excludeApplications,omitempty"`
}

// CAGrantControls are a policy's grant controls: builtInControls block or mfa (operator OR
// or AND; with block present, block wins).
type CAGrantControls struct {
	Operator        string   `json:"operator,omitempty"`
	BuiltInControls []string `json:"builtInControls,omitempty"`
}

// caOutcome is what the policies that apply to a sign-in require.
type caOutcome struct {
	block, mfa *ConditionalAccessPolicy
}

// conditionalAccess evaluates the tenant's enforced policies for user u signing in to the
// app named by keys (app ID, display name).
func conditionalAccess(t *Tenant, u *User, keys []string) caOutcome {
	var out caOutcome
	for _, p := range t.ConditionalAccessPolicies {
		if p.State != "" && !strings.EqualFold(p.State, "enabled") {
			continue
		}
		if !p.appliesTo(t, u, keys) {
			continue
		}
		for _, c := range p.GrantControls.BuiltInControls {
			switch strings.ToLower(c) {
			case CAControlBlock:
				if out.block == nil {
					out.block = p
				}
			case CAControlMFA:
				if out.mfa == nil {
					out.mfa = p
				}
			}
		}
	}
	return out
}

func (p *ConditionalAccessPolicy) appliesTo(t *Tenant, u *User, keys []string) bool {
	in := func(list []string, names ...string) bool {
		return slices.ContainsFunc(list, func(v string) bool {
			return strings.EqualFold(v, CAAll) || slices.ContainsFunc(names, func(n string) bool { return n != "" && strings.EqualFold(v, n) })
		})
	}
	var groups []string
	for _, g := range t.groupsOf(u) {
		groups = append(groups, g.ID, g.DisplayName)
	}
	us := p.Conditions.Users
	if !(in(us.IncludeUsers, u.ID, u.UserPrincipalName) || in(us.IncludeGroups, groups...)) {
		return false
	}
	if in(us.ExcludeUsers, u.ID, u.UserPrincipalName) || in(us.ExcludeGroups, groups...) {
		return false
	}
	as := p.Conditions.Applications
	return in(as.IncludeApplications, keys...) && !in(as.ExcludeApplications, keys...)
}

// loopLimit is how many answers one armed condition fault gives a browser before Entra's
// loop detection (AADSTS50196) stops an SP that keeps sending the user back.
const loopLimit = 4

// interruptAuthorize applies consent and Conditional Access to an authorization request
// whose user is known (and the condition fault armed for the browser, if any). It reports
// whether it answered: a consent or MFA page, or an error back to the redirect URI.
func (s *Server) interruptAuthorize(w http.ResponseWriter, r *http.Request, req *authzRequest, sess *idpSession, t *Tenant, u *User, use *faultUse, ev *Event) bool {
	cond := condition("")
	if use != nil {
		cond = use.fault.cond
	}
	if cond != "" {
		ev.Fault = use.record([]string{conditionNote[cond]})
		if use.armed.Used > loopLimit {
			s.oidcErrorPage(w, r, ErrRequestLoop.with(), ev)
			return true
		}
	}
	ca := conditionalAccess(t, u, req.app.faultKeys())
	if cond == condBlock || ca.block != nil {
		s.redirectError(w, r, req.to, ErrBlockedByCA.with(), ev)
		return true
	}
	if !req.consentDone && (cond == condConsent || req.prompt == "consent" || s.consentNeeded(t, req.app, u)) {
		if req.prompt == "none" {
			s.redirectError(w, r, req.to, errConsentRequired(req.app.AppID, req.app.DisplayName), ev)
			return true
		}
		s.interruptEvent(ev)
		base := *ev
		s.consentPage(w, r, req, sess, t, u, &base)
		return true
	}
	if (cond == condMFA || ca.mfa != nil) && !req.mfaDone && !s.sessionMFA(sess) {
		if req.prompt == "none" {
			e := ErrMFARequired.with(req.app.AppID)
			e.OAuth = "interaction_required"
			s.redirectError(w, r, req.to, e, ev)
			return true
		}
		s.interruptEvent(ev)
		s.mfaPage(w, r, req.tenantSegment(), req.app.DisplayName, sess, t, u, flowResume{OIDC: authzResumeOf(req)})
		return true
	}
	req.mfaDone = req.mfaDone || s.sessionMFA(sess)
	return false
}

// interruptEvent records the authorization request as interrupted (a page was shown).
func (s *Server) interruptEvent(ev *Event) {
	e := *ev
	s.prepareEvent(&e)
	e.Status = StatusInterrupted
	s.record(&e)
}

// mfaPage shows the code prompt; a correct code continues the sign-in by then.
func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request, segment, appName string, sess *idpSession, t *Tenant, u *User, then flowResume) {
	it := &interruption{Kind: interruptMFA, Tenant: segment, TenantID: t.ID, UserID: u.ID, SID: sessionID(sess), Resume: then,
		Page: interruptPage{AppName: appName, Login: u.UserPrincipalName, Action: "/" + url.PathEscape(segment) + "/SAS/ProcessAuth"}}
	s.interrupt(w, r, it)
}

// handleProcessAuth is POST /{tenant}/SAS/ProcessAuth: the MFA prompt's code (otc). A wrong
// code shows the prompt again with Entra's message; a correct one marks the session as
// having passed MFA and continues the sign-in.
func (s *Server) handleProcessAuth(w http.ResponseWriter, r *http.Request) {
	it := s.openInterruption(w, r)
	if it == nil {
		return
	}
	if it.Kind != interruptMFA {
		s.renderErrorPage(w, r, errFlowExpired(), &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials})
		return
	}
	if strings.TrimSpace(r.PostForm.Get("otc")) != MFACode {
		p := it.Page
		p.Error = "You didn't enter the expected verification code. Please try again."
		s.renderPage(w, http.StatusOK, "mfa.html", p)
		return
	}
	sess, t, u := s.answerInterruption(w, r, it)
	if u == nil {
		return
	}
	switch res := it.Resume; {
	case res.OIDC != nil:
		if req := s.authzRequestOf(res.OIDC); req != nil {
			req.mfaDone = true
			s.setSessionMFA(w, sess)
			s.finishAuthorize(w, r, req, sess, t, u)
			return
		}
	case res.SAML != nil:
		if a := s.samlAuthnOf(res.SAML); a != nil && sess != nil {
			s.setSessionMFA(w, sess)
			s.sendSAMLResponse(w, r, a, sess, u)
			return
		}
	}
	s.renderErrorPage(w, r, errFlowExpired(), &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials})
}

// refreshConditions is what Entra answers a refresh grant that the policies or the consent
// no longer allow: AADSTS53003 (block), AADSTS50076 with the claims challenge (MFA, when the
// grant's sign-in had none), AADSTS65001 (no consent). nil: issue the tokens.
func (s *Server) refreshConditions(g *oauthGrant) *Error {
	if g.user == nil {
		return nil
	}
	ca := conditionalAccess(g.tenant, g.user, g.app.faultKeys())
	switch {
	case ca.block != nil:
		e := ErrBlockedByCA.with()
		e.OAuth, e.Suberror = "interaction_required", "message_only"
		return e
	case ca.mfa != nil && !g.mfa:
		e := ErrMFARequired.with(g.app.AppID)
		e.Suberror = "basic_action"
		e.Claims = capolidsChallenge(ca.mfa.ID)
		return e
	case s.consentNeeded(g.tenant, g.app, g.user):
		e := errConsentRequired(g.app.AppID, g.app.DisplayName)
		e.OAuth = "invalid_grant"
		return e
	}
	return nil
}

// capolidsChallenge is the claims challenge naming the Conditional Access policy, as the
// error's claims member carries it: {"access_token":{"capolids":{"essential":true,"values":[id]}}}.
func capolidsChallenge(policyID string) string {
	type capolids struct {
		Essential bool     `json:"essential"`
		Values    []string `json:"values"`
	}
	b, _ := json.Marshal(map[string]map[string]capolids{"access_token": {"capolids": {Essential: true, Values: []string{policyID}}}})
	return string(b)
}

// amr is the v1 tokens' authentication methods: ["pwd"], or ["pwd","mfa"] after the MFA step.
func (g *oauthGrant) amr() []string {
	if g.mfa {
		return []string{"pwd", "mfa"}
	}
	return []string{"pwd"}
}

// condition is what a condition fault of the catalog (fault_catalog_config.go) makes Entra
// do with a browser's sign-in, as if a policy or a missing consent applied to it.
type condition string

// Conditions of the catalog's config.* rows.
const (
	condConsent condition = "consent" // the app has no consent: the consent page
	condBlock   condition = "block"   // a Conditional Access policy blocks the sign-in
	condMFA     condition = "mfa"     // a Conditional Access policy requires MFA
)

var conditionNote = map[condition]string{
	condConsent: "the app has no consent for the user: Entra's consent page",
	condBlock:   "a Conditional Access policy blocks the sign-in (AADSTS53003)",
	condMFA:     "a Conditional Access policy requires multifactor authentication: the code prompt",
}
