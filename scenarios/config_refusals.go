package scenarios

// Config checks that look for one IdP refusal of the SP's request or of a rollout user:
// config.nameid, config.authn-context, config.tenant-audience and config.assignment.

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
)

func (cr *checkRun) checkNameID(ctx context.Context) {
	cr.checkRequestCode(ctx, idp.ErrNameIDPolicy.Code, func(ev *idp.Event) (string, string) {
		f := ev.Request["NameIDPolicy.Format"]
		return fmt.Sprintf("the SP requests NameIDPolicy Format %s, which Entra does not issue (%s: %s)", f, idp.ErrNameIDPolicy.Name(), ev.FailureReason), fixForCode(idp.ErrNameIDPolicy.Code)
	}, func(evs []*idp.Event) string {
		for _, ev := range evs {
			if f := ev.Request["NameIDPolicy.Format"]; f != "" {
				return "NameIDPolicy Format " + f
			}
		}
		return "no NameIDPolicy Format requested (Entra's default applies)"
	})
}

func (cr *checkRun) checkAuthnContext(ctx context.Context) {
	cr.checkRequestCode(ctx, idp.ErrAuthnContext.Code, func(ev *idp.Event) (string, string) {
		// The IdP records "Comparison ClassRef ClassRef…".
		_, refs, _ := strings.Cut(ev.Request["RequestedAuthnContext"], " ")
		cls := "?"
		if f := strings.Fields(refs); len(f) > 0 {
			cls = f[0]
		}
		return fmt.Sprintf("the SP requires authentication context %s, which the user's sign-in does not satisfy (%s: %s)", cls, idp.ErrAuthnContext.Name(), ev.FailureReason), fixForCode(idp.ErrAuthnContext.Code)
	}, func(evs []*idp.Event) string {
		for _, ev := range evs {
			if _, ok := ev.Request["RequestedAuthnContext"]; ok {
				return "RequestedAuthnContext satisfiable"
			}
		}
		return "no RequestedAuthnContext"
	})
}

func (cr *checkRun) checkTenantAudience(ctx context.Context) {
	cr.checkRequestCode(ctx, idp.ErrNotMultiTenant.Code, func(ev *idp.Event) (string, string) {
		return fmt.Sprintf("the RP signs in through a multi-tenant endpoint, but %s is a single-tenant app (signInAudience %s) (%s: %s)",
			cr.r.env.Registration.DisplayName, cr.r.env.Registration.SignInAudience, idp.ErrNotMultiTenant.Name(), ev.FailureReason), fixForCode(idp.ErrNotMultiTenant.Code)
	}, func([]*idp.Event) string { return "the endpoint fits the app's sign-in audience" })
}

// checkRequestCode is a config check that fails when the IdP answers the SP's request with
// one AADSTS code.
func (cr *checkRun) checkRequestCode(ctx context.Context, code int, explain func(*idp.Event) (string, string), ok func([]*idp.Event) string) {
	if cr.idpInitiatedOnly() {
		cr.skip("the SP is IdP-initiated only (no saml.signIn): it sends no AuthnRequest whose values Entra could refuse")
		return
	}
	atts, good := cr.runAttempts(ctx)
	if !good {
		return
	}
	var evs []*idp.Event
	for _, a := range atts {
		ev := a.requestEvent()
		if ev == nil {
			cr.errorf("the sign-in from %s never reached the IdP (ended %s)", a.start, a.outcome)
			return
		}
		if ev.ErrorCode == code {
			d, f := explain(ev)
			cr.fail(fmt.Sprintf("IdP refused: AADSTS%d", code), d, f)
			return
		}
		evs = append(evs, ev)
	}
	cr.pass(ok(evs))
}

func (cr *checkRun) checkAssignment(ctx context.Context) {
	env := cr.r.env
	if len(env.Target.Rollout) == 0 {
		cr.skip("the target lists no rollout users (rollout: [UPNs of the users who will sign in])")
		return
	}
	required, name := false, ""
	if cr.check.Protocol == "SAML" {
		required, name = env.App.AssignmentRequired, "Enterprise applications → "+env.App.DisplayName
	} else {
		required, name = env.Registration.AssignmentRequired, "Enterprise applications → "+env.Registration.DisplayName
	}
	defer cr.finishSteps()
	start := cr.starts()[0]
	var refused, other []string
	for _, upn := range env.Target.Rollout {
		u := env.rolloutUser(upn)
		a := cr.attempt(ctx, start, u)
		switch {
		case a.refusal != nil && a.refusal.ErrorCode == idp.ErrUserNotAssigned.Code:
			refused = append(refused, u.UserPrincipalName)
		case a.refusal != nil:
			other = append(other, fmt.Sprintf("%s: AADSTS%d %s", u.UserPrincipalName, a.refusal.ErrorCode, firstLine(a.refusal.FailureReason)))
		case a.err != nil:
			cr.errorf("the sign-in of %s could not run: %v", u.UserPrincipalName, a.err)
			return
		case !a.outcome.SignedIn:
			other = append(other, fmt.Sprintf("%s: Entra signed them in but the SP refused (%s)", u.UserPrincipalName, a.outcome))
		}
	}
	switch {
	case len(refused) > 0:
		cr.fail(fmt.Sprintf("IdP refused %d of %d rollout users: %s", len(refused), len(env.Target.Rollout), idp.ErrUserNotAssigned.Name()),
			fmt.Sprintf("not assigned to the app (%s, assignment required): %s", idp.ErrUserNotAssigned.Name(), strings.Join(refused, ", ")),
			fmt.Sprintf("In Entra: %s → Users and groups → Add user/group: assign %s (or a group they are in); or set Properties → Assignment required? to No.", name, strings.Join(refused, ", ")))
	case len(other) > 0:
		cr.fail(fmt.Sprintf("%d of %d rollout users could not sign in", len(other), len(env.Target.Rollout)), strings.Join(other, "; "), "Fix each user as the AADSTS message says (disabled account, wrong password in the test directory, ...).")
	default:
		how := "assignment is not required"
		if required {
			how = "each is assigned"
		}
		cr.pass(fmt.Sprintf("all %d rollout users signed in (%s)", len(env.Target.Rollout), how))
	}
}
