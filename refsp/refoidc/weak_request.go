package refoidc

import "golang.org/x/oauth2"

// The weaknesses of the RP's own authorization request: each sends, in one respect, a
// request that RFC 9700 (OAuth 2.0 Security BCP) advises against, and validates responses
// exactly as Strict does. No token shows them; the request findings (oidc.request.*) judge
// them from the requests the IdP logged.
const (
	// ConstantState sends the same short state, "login", at every sign-in (and still
	// checks that the response carries it): a guessable CSRF token.
	ConstantState Weakness = "constant-state"
	// PlainPKCE sends its PKCE challenge with code_challenge_method=plain: the challenge is
	// the verifier itself, in the authorization request's URL. It applies when Config.PKCE
	// is set.
	PlainPKCE Weakness = "pkce-plain"
	// IDTokenInQuery asks for response_type "code id_token" with response_mode=query: an ID
	// token in the redirect's query string, which the specifications forbid and Entra refuses
	// (AADSTS70007), so its sign-ins fail at the IdP.
	IDTokenInQuery Weakness = "id-token-in-query"
)

// weakRequestOptions are the authorization request parameters a request weakness changes
// beyond state and PKCE.
func (r *RP) weakRequestOptions() []oauth2.AuthCodeOption {
	if r.cfg.Weakness == IDTokenInQuery {
		return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_type", "code id_token"), oauth2.SetAuthURLParam("response_mode", "query")}
	}
	return nil
}

// constantState is ConstantState's state.
const constantState = "login"

// requestState is the state of a new sign-in: random, or ConstantState's constant.
func (r *RP) requestState() string {
	if r.cfg.Weakness == ConstantState {
		return constantState
	}
	return randomString(24)
}

// pkceOption is the PKCE challenge of the authorization request for verifier: S256, or
// PlainPKCE's plain.
func (r *RP) pkceOption(verifier string) []oauth2.AuthCodeOption {
	if r.cfg.Weakness == PlainPKCE {
		return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("code_challenge", verifier), oauth2.SetAuthURLParam("code_challenge_method", "plain")}
	}
	return []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
}

// loginKey is the key of a started sign-in's server-side record: its state, which is unique
// per sign-in. ConstantState's one state is not, so its records are kept by state and nonce
// (from the browser's cookie), and parallel sign-ins do not take each other's.
func (r *RP) loginKey(state, nonce string) string {
	if r.cfg.Weakness == ConstantState {
		return state + "." + nonce
	}
	return state
}
