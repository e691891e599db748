package refoidc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// checkClaims runs the checks strict adds on top of go-oidc (each commented with why), and
// for SkipExpiryCheck/SkipNbfCheck the half of go-oidc's time check the variant keeps. The
// checks run in this order, so that a token failing several is refused for the first.
func (r *RP) checkClaims(idt *oidc.IDToken, c map[string]any, nonce string) error {
	now := r.now()
	if err := r.checkAudience(idt, c); err != nil {
		return err
	}
	if err := r.checkKeptTimeHalf(c, now); err != nil {
		return err
	}
	if err := r.checkRequired(c); err != nil {
		return err
	}
	if err := r.checkIat(c, now); err != nil {
		return err
	}
	if err := r.checkTenant(idt, c); err != nil {
		return err
	}
	return r.checkNonce(idt, nonce)
}

// checkAudience is the audience check go-oidc leaves loose.
func (r *RP) checkAudience(idt *oidc.IDToken, c map[string]any) error {
	w := r.cfg.Weakness
	// aud: go-oidc accepts any array that contains the client. OIDC Core 3.1.3.7 step 3
	// says to refuse audiences the client does not trust; a single-app RP trusts none.
	if w != SkipAudienceCheck && w != AllowExtraAudiences && w != AnyEntraToken && len(idt.Audience) != 1 {
		return fmt.Errorf("aud %q lists audiences other than this client", idt.Audience)
	}
	// azp (OIDC Core 3.1.3.7 steps 4-5): when present it must be this client. It is part of
	// the audience check, so SkipAudienceCheck skips it too.
	if azp, ok := c["azp"]; ok && w != SkipAudienceCheck && w != AnyEntraToken && azp != r.cfg.ClientID {
		return fmt.Errorf("azp %v is not this client %q", azp, r.cfg.ClientID)
	}
	return nil
}

// checkKeptTimeHalf is the half of go-oidc's exp+nbf check that SkipNbfCheck and
// SkipExpiryCheck keep: their verifier skips go-oidc's check altogether (see provider), so
// the half that is not the weakness is made here. Other variants: nothing to do.
func (r *RP) checkKeptTimeHalf(c map[string]any, now time.Time) error {
	switch r.cfg.Weakness {
	case SkipNbfCheck: // keep exp: required and not past, as go-oidc does it
		exp, ok := numClaim(c, "exp")
		if !ok {
			return errors.New("it has no exp claim")
		}
		if t := time.Unix(int64(exp), 0); t.Before(now) {
			return fmt.Errorf("it expired at %s", t.UTC().Format(time.RFC3339))
		}
	case SkipExpiryCheck: // keep nbf, with go-oidc's 5-minute leeway
		if nbf, ok := numClaim(c, "nbf"); ok {
			if t := time.Unix(int64(nbf), 0); now.Add(ClockSkew).Before(t) {
				return fmt.Errorf("it is not valid before %s (nbf)", t.UTC().Format(time.RFC3339))
			}
		}
	}
	return nil
}

// checkRequired: sub and iat are REQUIRED (OIDC Core 2); go-oidc does not insist. Without
// sub the account cannot be keyed on the issuer's subject.
func (r *RP) checkRequired(c map[string]any) error {
	if r.cfg.Weakness == SkipRequiredClaims {
		return nil
	}
	if sub, _ := c["sub"].(string); sub == "" {
		return errors.New("it has no sub claim")
	}
	if _, ok := numClaim(c, "iat"); !ok {
		return errors.New("it has no iat claim")
	}
	return nil
}

// checkIat: iat within [now-MaxTokenAge, now+ClockSkew] (OIDC Core 3.1.3.7 step 10 leaves
// the window to the client) refuses stockpiled or replayed tokens and tokens "from the
// future"; go-oidc does not look at iat.
func (r *RP) checkIat(c map[string]any, now time.Time) error {
	iat, ok := numClaim(c, "iat")
	if !ok || r.cfg.Weakness == SkipIatCheck {
		return nil
	}
	t := time.Unix(int64(iat), 0)
	if t.Before(now.Add(-MaxTokenAge)) {
		return fmt.Errorf("it was issued at %s, more than %s ago (iat)", t.UTC().Format(time.RFC3339), MaxTokenAge)
	}
	if t.After(now.Add(ClockSkew)) {
		return fmt.Errorf("it was issued at %s, in the future (iat)", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkTenant checks that the token is from a tenant the app accepts: by tid for a
// single-tenant app, by the issuer template and the onboarded tenants for a multi-tenant
// one. The weaknesses of the issuer and tenant checks replace it by their own, weaker
// check.
func (r *RP) checkTenant(idt *oidc.IDToken, c map[string]any) error {
	w := r.cfg.Weakness
	// tid: a single-tenant app accepts its own tenant only. iss already pins the tenant in
	// Entra's v2 issuer, but apps that validate iss by template rely on tid; check both.
	if r.cfg.TenantID != "" && !r.multiTenant() && w != SkipIssuerCheck && w != KeyOnEmail && w != SkipTidCheck && w != IssuerTemplateOnly {
		if tid, _ := c["tid"].(string); tid != r.cfg.TenantID {
			return fmt.Errorf("tid %q is not this app's tenant %q", tid, r.cfg.TenantID)
		}
	}
	// A multi-tenant app: iss is the {tenantid} template filled with the token's tid, and
	// tid one of the customer tenants the app has onboarded.
	if r.multiTenant() && w != SkipIssuerCheck && w != KeyOnEmail && w != SkipTidCheck && w != IssuerTemplateOnly {
		tid, _ := c["tid"].(string)
		r.mu.Lock()
		tmpl := r.tenantTemplate(r.issuer)
		r.mu.Unlock()
		if want := strings.Replace(tmpl, "{tenantid}", tid, 1); tid == "" || idt.Issuer != want {
			return fmt.Errorf("iss %q does not match the issuer template for tid %q (%q)", idt.Issuer, tid, want)
		}
		if !slices.Contains(r.cfg.AllowedTenants, tid) {
			return fmt.Errorf("tid %q is not a tenant this app has onboarded %v", tid, r.cfg.AllowedTenants)
		}
	}
	if r.multiTenant() && w == SkipTidCheck {
		// The iss half of the multi-tenant check: the issuer of an onboarded tenant.
		r.mu.Lock()
		tmpl := r.tenantTemplate(r.issuer)
		r.mu.Unlock()
		if !slices.ContainsFunc(r.cfg.AllowedTenants, func(t string) bool { return idt.Issuer == strings.Replace(tmpl, "{tenantid}", t, 1) }) {
			return fmt.Errorf("iss %q is not the issuer of a tenant this app has onboarded", idt.Issuer)
		}
	}
	if w == AnyEntraToken {
		tid, _ := c["tid"].(string)
		if err := r.checkAnyEntraIssuer(idt.Issuer, tid); err != nil {
			return err
		}
	}
	if w == IssuerTemplateOnly {
		tid, _ := c["tid"].(string)
		if err := r.checkTemplateIssuer(idt.Issuer, tid); err != nil {
			return err
		}
	}
	// KeyOnEmail validates iss the multi-tenant way: the {tenantid} template filled with the
	// token's own tid. It proves the token is Entra's, not that the tenant is ours.
	if w == KeyOnEmail {
		tid, _ := c["tid"].(string)
		if want := r.issuerTemplate(tid); idt.Issuer != want {
			return fmt.Errorf("iss %q does not match the issuer template for tid %q (%q)", idt.Issuer, tid, want)
		}
	}
	return nil
}

// checkNonce (OIDC Core 3.1.3.7 step 11) binds the token to this browser's request, which
// stops an injected or replayed code/token. go-oidc leaves it to the caller.
func (r *RP) checkNonce(idt *oidc.IDToken, nonce string) error {
	w := r.cfg.Weakness
	if w == SkipNonceCheck || (w == AnyEntraToken && idt.Nonce == "") {
		return nil
	}
	if nonce == "" {
		return errors.New("no nonce was stored for this sign-in")
	}
	if idt.Nonce != nonce {
		return fmt.Errorf("nonce %q is not the one this browser sent", trunc(idt.Nonce))
	}
	return nil
}

// multiTenant reports whether the RP accepts several tenants (AllowedTenants).
func (r *RP) multiTenant() bool { return len(r.cfg.AllowedTenants) > 0 }

// tenantTemplate is an /organizations (or /common) issuer with the {tenantid} template in
// place of that segment, as Entra's discovery document for those authorities names it.
func (r *RP) tenantTemplate(issuer string) string {
	for _, seg := range []string{"organizations", "common"} {
		if i := strings.Index(issuer, "/"+seg+"/"); i >= 0 {
			return issuer[:i] + "/{tenantid}/" + issuer[i+len(seg)+2:]
		}
		if strings.HasSuffix(issuer, "/"+seg) {
			return strings.TrimSuffix(issuer, seg) + "{tenantid}"
		}
	}
	return issuer
}

// commonJWKS is the multi-tenant ("common") JWKS URL for a tenant's jwks_uri: the tenant
// segment of the path replaced by "common". Without a TenantID it is jwksURI unchanged.
func (r *RP) commonJWKS(jwksURI string) string {
	if r.cfg.TenantID == "" {
		return jwksURI
	}
	return strings.Replace(jwksURI, "/"+r.cfg.TenantID+"/", "/common/", 1)
}

// issuerTemplate is the configured issuer with the tenant ID replaced by tid: how
// multi-tenant apps validate Entra's "{tenantid}" issuer.
func (r *RP) issuerTemplate(tid string) string {
	r.mu.Lock()
	iss := r.issuer
	r.mu.Unlock()
	if r.multiTenant() && tid != "" {
		// The /organizations authority: its discovery issuer names the tenant as {tenantid}.
		return strings.Replace(r.tenantTemplate(iss), "{tenantid}", tid, 1)
	}
	if r.cfg.TenantID == "" || tid == "" {
		return iss
	}
	return strings.Replace(iss, r.cfg.TenantID, tid, 1)
}
