package scenarios

// Config checks of the app's credentials and platform: config.cert-expiry,
// config.client-secret and config.spa-pkce.

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/idp"
)

func (cr *checkRun) checkCertExpiry(ctx context.Context) {
	env := cr.r.env
	var active *idp.SigningKey
	for _, k := range env.Server.AppKeys(env.App) {
		if k.Active {
			active = k
		}
	}
	if active == nil {
		cr.errorf("the app has no active signing certificate")
		return
	}
	now := env.Server.Clock().Now()
	c := active.Cert
	left := c.NotAfter.Sub(now)
	days := int(math.Floor(left.Hours() / 24))
	where := "Enterprise applications → " + env.App.DisplayName + " → Single sign-on → SAML Certificates"
	obs := fmt.Sprintf("active certificate %s valid %s to %s", active.Thumbprint(), c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly))
	switch {
	case now.After(c.NotAfter):
		cr.fail(obs, fmt.Sprintf("the app's active SAML signing certificate (thumbprint %s) expired on %s; SPs that check validity refuse every sign-in", active.Thumbprint(), c.NotAfter.UTC().Format(time.RFC3339)),
			where+": create a new certificate, make it active, and upload it (or the new metadata) to the SP before removing the old one.")
	case now.Before(c.NotBefore):
		cr.fail(obs, fmt.Sprintf("the app's active SAML signing certificate is not valid until %s", c.NotBefore.UTC().Format(time.RFC3339)), where+": activate a certificate that is valid now.")
	case days < 60:
		horizon := 60
		if days < 7 {
			horizon = 7
		} else if days < 30 {
			horizon = 30
		}
		cr.warn(obs, fmt.Sprintf("the app's active SAML signing certificate expires in %d days (within Entra's %d-day notice)", days, horizon),
			where+": add a new certificate now, give the SP both (metadata URL refresh or upload), then make the new one active before "+c.NotAfter.UTC().Format(time.DateOnly)+".")
	default:
		cr.pass(obs + fmt.Sprintf(" (%d days left)", days))
	}
}

func (cr *checkRun) checkClientSecret(ctx context.Context) {
	env := cr.r.env
	secret := env.Target.OIDC.ClientSecret
	if secret == "" {
		cr.skip("the target uses no client secret (public client or SPA)")
		return
	}
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return
	}
	sent := false
	for _, a := range atts {
		for _, e := range a.events {
			if e.Kind == idp.EventToken && strings.HasPrefix(e.Binding, "client_secret") {
				sent = true
			}
		}
	}
	if !sent {
		cr.skip("the RP never sent a client secret when it redeemed a code in this run (no client_secret_basic or client_secret_post token request), so there is no secret of its to check")
		return
	}
	where := "App registrations → " + env.Registration.DisplayName + " → Certificates & secrets"
	for _, a := range atts {
		for _, e := range a.events {
			if e.Kind == idp.EventToken && (e.ErrorCode == idp.ErrInvalidClientSecret.Code || e.ErrorCode == idp.ErrExpiredClientSecret.Code) {
				d := "the RP's client secret is not a secret of the app (" + idp.ErrInvalidClientSecret.Name() + "): it may be the Secret ID instead of the Value, or a deleted secret"
				if e.ErrorCode == idp.ErrExpiredClientSecret.Code {
					d = "the RP's client secret has expired (" + idp.ErrExpiredClientSecret.Name() + ")"
				}
				cr.fail(fmt.Sprintf("IdP refused the code redemption: AADSTS%d", e.ErrorCode), d+": "+e.FailureReason, where+": "+fixForCode(e.ErrorCode))
				return
			}
		}
	}
	now := env.Server.Clock().Now()
	for _, p := range env.Registration.PasswordCredentials {
		if p.SecretText != secret {
			continue
		}
		left := p.Expires().Sub(now)
		days := int(left.Hours() / 24)
		obs := fmt.Sprintf("secret %s… valid until %s", p.Hint(), p.Expires().UTC().Format(time.DateOnly))
		if days < 60 {
			cr.warn(obs, fmt.Sprintf("the RP's client secret expires in %d days; when it does, every sign-in fails with %s", days, idp.ErrExpiredClientSecret.Name()),
				where+": create a new client secret, deploy it to the RP, then delete the old one before "+p.Expires().UTC().Format(time.DateOnly)+".")
			return
		}
		cr.pass(obs + fmt.Sprintf(" (%d days left)", days))
		return
	}
	cr.pass("the code redemption with the RP's secret succeeded")
}

func (cr *checkRun) checkSPAPKCE(ctx context.Context) {
	atts, ok := cr.runAttempts(ctx)
	if !ok {
		return
	}
	for _, a := range atts {
		for _, e := range a.events {
			switch e.ErrorCode {
			case idp.ErrSPANeedsPKCE.Code, idp.ErrCrossOriginNotSPA.Code, idp.ErrSPANotCrossOrigin.Code, idp.ErrPKCEMismatch.Code:
				cr.fail(fmt.Sprintf("IdP refused: AADSTS%d", e.ErrorCode),
					fmt.Sprintf("the redirect URI's platform and the RP's code redemption disagree (AADSTS%d: %s)", e.ErrorCode, e.FailureReason), fixForCode(e.ErrorCode))
				return
			}
		}
	}
	cr.pass("each redirect URI's platform fits how the RP redeems its codes")
}
