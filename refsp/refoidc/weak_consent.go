package refoidc

import (
	"net/http"
	"net/url"
)

// RetryOnError answers an error response of the IdP (error=… at the redirect URI: consent
// declined, blocked by Conditional Access) by starting the sign-in again, as an app does
// whose callback treats every failure as "not signed in yet" and redirects to its login
// route: the user goes back to Entra, meets the same answer, and loops until Entra's loop
// detection stops it. It signs no one in; the config.* checks judge the loop.
const RetryOnError Weakness = "retry-on-error"

// retryOnError is RetryOnError's redirect back to the login route; false (nothing written)
// for every other variant and for a response without an error.
func (r *RP) retryOnError(w http.ResponseWriter, req *http.Request, params url.Values, d *Decision) bool {
	if r.cfg.Weakness != RetryOnError || params.Get("error") == "" {
		return false
	}
	d.Accepted, d.Status = false, http.StatusFound
	d.Reason = "the IdP returned error=" + params.Get("error") + "; starting the sign-in again"
	r.record(*d)
	http.Redirect(w, req, r.LoginURL(), http.StatusFound)
	return true
}
