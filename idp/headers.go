package idp

import "net/http"

// Header values the server sends on every response, page or JSON answer, each as the
// one-element slice an http.Header holds, set under its canonical key. Header.Set would make
// the slice on every response, and for a key not written canonically ("x-ms-ests-server")
// a canonical copy of the key too. Sharing them is safe: net/http only reads header values,
// Header.Set and Del replace or drop the slice, and Header.Add appends to a full slice
// (len = cap = 1), which copies it. The bytes on the wire are Header.Set's.
var (
	hdrESTSServer = []string{"ssoharness-mockidp"}
	hdrHTML       = []string{"text/html; charset=utf-8"}
	hdrJSON       = []string{"application/json; charset=utf-8"}
	hdrNoStore    = []string{"no-store, no-cache"}
	hdrDeny       = []string{"DENY"}
	hdrNosniff    = []string{"nosniff"}
	hdrNoCache    = []string{"no-cache"}
	hdrExpires    = []string{"-1"}
)

// setShared sets the canonical header key to the shared value v (one of the hdr* slices).
func setShared(h http.Header, key string, v []string) { h[key] = v[:1:1] }
