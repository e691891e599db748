package idp

import "net/http"

// CORS as Entra answers it. Browsers (MSAL.js, oidc-client-ts) fetch the discovery documents
// and key sets cross-origin and redeem SPA codes and refresh tokens at /token with a
// cross-origin POST. Those POSTs carry MSAL's non-safelisted headers (client-request-id,
// x-client-SKU, x-client-VER, …), so the browser first sends a preflight OPTIONS, which must
// answer 2xx with the method and headers allowed or the SPA never reaches the token endpoint.
//
// What is captured (samples/http-headers-token-endpoint-2021.txt, entra.md): discovery sends
// "Access-Control-Allow-Origin: *" and "Access-Control-Allow-Methods: GET, OPTIONS" on every
// GET, Origin or not (writeDiscoveryBytes; the key sets alike). The captured /token responses
// are from a Node client without an Origin and carry no CORS headers. What /token sends to a
// browser is not in the samples: MSAL.js reads the body of cross-origin /token errors
// (AADSTS9002326 reaches SPAs as a readable error), so the mock answers every /token request
// that has an Origin with that origin allowed, success or error, and nothing without one.

// Methods the preflights allow.
const (
	corsGetMethods  = "GET, OPTIONS"
	corsPostMethods = "POST, OPTIONS"
)

// maxCORSRequestHeaders bounds the Access-Control-Request-Headers echoed back: a preflight's
// header list is short, and an echo must not grow a response without bound.
const maxCORSRequestHeaders = 1024

// preflight answers a CORS preflight (OPTIONS) for an endpoint that allows methods: 200 with
// no body, any origin ("*", as the GET responses say; for /token the request's Origin, as the
// POST's answer names it) and the request headers the browser asked for. Entra does not
// restrict the headers of these public endpoints, and MSAL's set changes between versions,
// so the mock allows what was asked rather than a list that would go stale.
func preflight(methods string, echoOrigin bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		origin := "*"
		if o := r.Header.Get("Origin"); echoOrigin && o != "" {
			origin = truncate(o, 256)
			h.Add("Vary", "Origin")
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", methods)
		if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" && len(rh) <= maxCORSRequestHeaders {
			h.Set("Access-Control-Allow-Headers", rh)
		}
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	}
}

// allowTokenOrigin lets the browser read a /token answer (token or AADSTS error JSON) that
// was asked for cross-origin. Without an Origin (a server-side client) no CORS header is
// sent, as in the captured responses.
func allowTokenOrigin(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", truncate(o, 256))
		w.Header().Add("Vary", "Origin")
	}
}
