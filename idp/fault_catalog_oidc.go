package idp

import "time"

// Re-used OIDC hooks.
func oidcNoop(*oidcMint, int) error { return nil }

func oidcSign(mode, what string) func(m *oidcMint, step int) error {
	return func(m *oidcMint, _ int) error {
		m.sign = mode
		m.note("%s", what)
		return nil
	}
}

// oidcCatalog are the OIDC rows of the catalog, in checks.md order.
var oidcCatalog = []*Fault{
	// ---- OIDC: good flows ----------------------------------------------------------------------
	{ID: "oidc.code.query", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "authorization code flow, response_mode=query (GET to the redirect URI)",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{"Microsoft identity platform: OAuth 2.0 authorization code flow"},
		Weakness: "cannot complete a standard Entra sign-in", Fix: "compare the RP's values with `mockidp values`: client ID, secret, redirect URI, authority (https://login.microsoftonline.com/{tenant}/v2.0)", oidc: oidcNoop},
	{ID: "oidc.code.form_post", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresFormPost},
		Description: "response_mode=form_post (POST to the redirect URI)",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{"OAuth 2.0 Form Post Response Mode", "seed guides: \"Method: GET or POST\""},
		Weakness: "cannot take the authorization response by POST", Fix: "route POST on the redirect URI and read code and state from the form body", oidc: oidcNoop},
	{ID: "oidc.code.pkce", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresPKCE},
		Description: "code flow with an S256 PKCE challenge; the verifier is checked at the token endpoint",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{"RFC 7636", "Entra: SPA redirect URIs require PKCE"},
		Weakness: "does not complete PKCE", Fix: "send code_challenge (S256) at authorize and the matching code_verifier at the token endpoint", oidc: oidcNoop},
	{ID: "oidc.userinfo.get", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresUserInfoGET},
		Description: "userinfo called by GET with the bearer access token",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{refOIDFRP + " (rp-userinfo-bearer-header)"}, oidc: oidcNoop,
		Weakness: "cannot call userinfo with GET", Fix: "call userinfo with GET and the access token as a Bearer header"},
	{ID: "oidc.userinfo.post", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresUserInfoPOST},
		Description: "userinfo called by POST with the bearer access token",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{refOIDFRP + " (rp-userinfo-bearer-body)"}, oidc: oidcNoop,
		Weakness: "cannot call userinfo with POST", Fix: "call userinfo with POST and the access token as a Bearer header"},
	{ID: "oidc.kid.absent-single", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Exclusive: true, Requires: []Requirement{RequiresSingleKeyJWKS},
		Description: "ID token without kid; the key set has one key",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{refOIDFRP + " (rp-id_token-kid-absent-single-jwks)"},
		Weakness: "requires a kid even when the key set has a single key", Fix: "when the header has no kid and the key set has one key, use it",
		oidc: func(m *oidcMint, _ int) error { m.noKid = true; m.note("no kid in the header"); return nil }},
	{ID: "oidc.key.rotation", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Exclusive: true, SignIns: 2,
		Description: "a first sign-in with the current key (the RP caches the key set), then one signed with a new key the key set now also publishes",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{refEntraKeys, refOIDFRP + " (rp-key-rotation-op-sign-key)"},
		Weakness: "does not refetch the key set on an unknown kid", Fix: "refetch the JWKS when a token's kid is unknown (Entra rotates keys without notice)",
		oidc: func(m *oidcMint, step int) error {
			if step%2 == 1 {
				m.sign = jwtRotatedKey
				m.note("signed with a newly published key")
			}
			return nil
		}},
	{ID: "oidc.clock.skew-ok", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, SignIns: 2,
		Description: "IdP clock 2 min ahead for the first sign-in, 2 min behind for the second",
		Expect:      Expectation{Verdict: VerdictAccept}, References: []string{refOIDCCore},
		Weakness: "allows less than 2 minutes of clock skew", Fix: "allow a few minutes of skew on iat / nbf / exp",
		oidc: func(m *oidcMint, step int) error {
			m.offset = 2 * time.Minute
			if step%2 == 1 {
				m.offset = -2 * time.Minute
			}
			m.note("IdP clock %+v", m.offset)
			return nil
		}},
	// ---- OIDC: signatures ----------------------------------------------------------------------
	{ID: "oidc.id_token.alg-none", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "ID token with alg none and no signature",
		Expect: Expectation{Verdict: VerdictReject, AcceptOverTLS: true,
			Note: "a code-flow token from the token endpoint may rest on TLS (OIDC Core 3.1.3.7 step 6); over plain http it must be refused"}, References: []string{refOIDFRP + " (rp-id_token-sig-none)", "FAPI null-alg", refRFC8725},
		Weakness: "accepts an unsigned (alg none) ID token", Fix: "accept only RS256 signed by a key of the tenant's JWKS",
		oidc: oidcSign(jwtNone, "alg none, empty signature")},
	{ID: "oidc.id_token.bad-sig", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "RS256 ID token whose signature is corrupted",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDFRP + " (rp-id_token-bad-sig-rs256)"},
		Weakness: "does not verify the ID token's signature", Fix: "verify the signature with the JWKS key named by kid",
		oidc: oidcSign(jwtCorrupt, "signature corrupted")},
	{ID: "oidc.id_token.alg-confusion", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, SignIns: 2,
		Description: "HS256 ID token keyed with the RSA public key (PEM), then one keyed with the client secret",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refRFC8725 + " (key confusion)", "CVE-2015-9235"},
		Weakness: "lets the token's alg choose the verification (HS256 accepted)", Fix: "pin the algorithm to RS256; never verify with HMAC",
		oidc: func(m *oidcMint, step int) error {
			if step%2 == 0 {
				m.sign = jwtHS256PubKey
				m.note("HS256 keyed with the public key PEM")
			} else {
				m.sign = jwtHS256Secret
				m.note("HS256 keyed with the client secret")
			}
			return nil
		}},
	{ID: "oidc.id_token.unknown-kid", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "signed by a key that is not in the JWKS (its kid is unknown, no rotation happened)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDFRP},
		Weakness: "accepts a token signed by a key the IdP does not publish", Fix: "verify only with keys of the tenant's JWKS",
		oidc: oidcSign(jwtUnknownKey, "signed by an unpublished key")},
	// ---- OIDC: claims --------------------------------------------------------------------------
	{ID: "oidc.id_token.wrong-iss", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "iss is another tenant's issuer (everything else unchanged)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore, refOIDFRP + " (rp-id_token-issuer-mismatch)"},
		Weakness: "does not check iss", Fix: "require iss == https://login.microsoftonline.com/{your tenant}/v2.0",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) {
				iss := c.str("iss")
				if tid := c.str("tid"); tid != "" {
					c.set("iss", replaceOnce(iss, tid, otherTenantID))
				}
			})
			m.note("iss of tenant %s", otherTenantID)
			return nil
		}},
	{ID: "oidc.id_token.wrong-aud", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "aud is another client's ID",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore, refOIDFRP + " (rp-id_token-aud)"},
		Weakness: "does not check aud (accepts tokens issued to other apps)", Fix: "require aud == your client ID",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) { c.set("aud", otherClientID) })
			m.note("aud %s", otherClientID)
			return nil
		}},
	{ID: "oidc.id_token.extra-aud", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "aud is an array: the client and another, untrusted client",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore + " step 3", refFAPI + " (secondary audience)"},
		Weakness: "accepts an aud array with audiences it does not trust", Fix: "refuse tokens whose aud has any value other than your client ID",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) { c.set("aud", []string{c.str("aud"), otherClientID}) })
			m.note("aud [client, %s]", otherClientID)
			return nil
		}},
	{ID: "oidc.id_token.missing-sub", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "no sub claim", Expect: Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore, refOIDFRP},
		Weakness: "does not require sub", Fix: "refuse ID tokens without sub", oidc: dropClaim("sub")},
	{ID: "oidc.id_token.missing-iat", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "no iat claim", Expect: Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore, refOIDFRP},
		Weakness: "does not require iat", Fix: "refuse ID tokens without iat", oidc: dropClaim("iat")},
	{ID: "oidc.id_token.missing-exp", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "no exp claim", Expect: Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore, refOIDFRP},
		Weakness: "does not require exp", Fix: "refuse ID tokens without exp", oidc: dropClaim("exp")},
	{ID: "oidc.id_token.expired", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "exp 10 minutes in the past (issued 70 minutes ago)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore, refFAPI},
		Weakness: "does not check exp", Fix: "refuse tokens past exp (with at most a few minutes of skew)",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) {
				iat := c.num("iat") + int64(tokenBackdate/time.Second)
				c.set("iat", iat-70*60)
				c.set("nbf", iat-70*60)
				c.set("exp", iat-10*60)
			})
			m.note("exp 10 min ago")
			return nil
		}},
	{ID: "oidc.id_token.iat-stale", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "iat a week old (exp still in the future)",
		Expect: Expectation{Verdict: VerdictProfile, Default: VerdictWarn,
			Note: "OIDC Core 3.1.3.7 step 10 leaves the acceptable age to the client; refusing a week-old token is good practice"},
		References: []string{refOIDCCore + " step 10", refFAPI},
		Weakness:   "does not bound the token's age (iat)", Fix: "refuse tokens issued too long ago",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) { c.set("iat", c.num("iat")-7*24*3600) })
			m.note("iat 7 days old")
			return nil
		}},
	{ID: "oidc.id_token.nbf-future", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "nbf 10 minutes in the future",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{"RFC 7519 §4.1.5", refFAPI},
		Weakness: "does not check nbf", Fix: "refuse tokens before nbf (with at most a few minutes of skew)",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) { c.set("nbf", c.num("nbf")+int64((tokenBackdate+10*time.Minute)/time.Second)) })
			m.note("nbf 10 min ahead")
			return nil
		}},
	{ID: "oidc.nonce.wrong", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresNonce},
		Description: "the ID token's nonce is not the one the RP sent",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore + " step 11", refOIDFRP + " (rp-nonce-invalid)"},
		Weakness: "does not check nonce (token replay)", Fix: "store the nonce per browser and require the ID token's nonce to equal it",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) { c.set("nonce", "ssoharness-"+c.str("uti")) })
			m.note("nonce replaced")
			return nil
		}},
	{ID: "oidc.nonce.missing", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresNonce},
		Description: "no nonce in the ID token although the RP sent one",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore + " step 11"},
		Weakness: "does not require the nonce it sent", Fix: "refuse an ID token without the nonce you sent", oidc: dropClaim("nonce")},
	{ID: "oidc.state.wrong", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "the authorization response carries another state",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refRFC6749, "OAuth 2.0 Security BCP (RFC 9700) §4.7"},
		Weakness: "does not check state (login CSRF)", Fix: "bind state to the browser (cookie) and require the response's state to equal it",
		oidc: func(m *oidcMint, _ int) error {
			m.state = "ssoharness-forged-state"
			m.note("state replaced")
			return nil
		}},
	{ID: "oidc.userinfo.wrong-sub", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresUserInfo},
		Description: "userinfo answers for another user (sub, email, name) than the ID token's",
		Expect: Expectation{Verdict: VerdictReject, OrSignedIdentity: true,
			Note: "OIDC Core 5.3.2: when the subs differ, the userinfo values MUST NOT be used; an RP that discards them and signs in the ID token's user is correct"},
		References: []string{"OpenID Connect Core 1.0 §5.3.2", refOIDFRP + " (rp-userinfo-bad-sub-claim)"},
		Weakness:   "uses a userinfo answer whose sub differs from the ID token's", Fix: "compare the userinfo sub with the ID token's and discard (or refuse) a userinfo response that differs",
		oidc: func(m *oidcMint, _ int) error {
			m.userinfoSub = "ssoharness-other-subject"
			m.note("userinfo sub replaced")
			return nil
		}},
	{ID: "oidc.tenant.foreign", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "a valid token for a user of another tenant (iss and tid of that tenant, as a /common sign-in gives) to a single-tenant RP",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refEntraClaims, "Microsoft identity platform: multi-tenant apps must validate tid"},
		Weakness: "accepts tokens of any tenant (no iss / tid check)", Fix: "require iss (and tid) of your tenant; for multi-tenant apps allow-list tid",
		oidc: func(m *oidcMint, _ int) error { m.foreign = true; m.note("user of another tenant"); return nil }},
	{ID: "oidc.email.unverified", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "a user of another tenant whose (mutable, unverified) email is the signed-in user's",
		Expect:      Expectation{Verdict: VerdictReject, OrOtherAccount: true, Note: "or sign the other tenant's account in, never the victim's"},
		References:  []string{refNOAuth, refEntraClaims},
		Weakness:    "identifies accounts by the email claim (nOAuth)", Fix: "key accounts on tid + oid (or sub), never on email",
		oidc: func(m *oidcMint, _ int) error {
			m.foreign, m.sameMail = true, true
			m.note("user of another tenant with the victim's email")
			return nil
		}},
}

// otherClientID is the client a wrong audience names.
const otherClientID = "d3b4c1a2-9e8f-4a7b-b6c5-0f1e2d3c4b5a"

func dropClaim(name string) func(m *oidcMint, step int) error {
	return func(m *oidcMint, _ int) error {
		m.edit(func(c *claimSet) { c.del(name) })
		m.note("%s removed", name)
		return nil
	}
}

func replaceOnce(s, old, repl string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + repl + s[i+len(old):]
		}
	}
	return s
}
