package scenarios

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/refsp/refscim"
)

// startSCIM serves a target's SCIM base URL with the strict reference SCIM server
// (refsp/refscim), accepting the target's Secret Token: what `--reference-sp` does for a
// provisioning endpoint that does not exist yet. It listens on the URL's port at the address
// the target's hosts map its host to (the scim.* checks dial through the same hosts), and
// serves plain HTTP: the checks call it from the harness, which trusts no test certificate.
func (b *targetRefs) startSCIM(s *SCIMTarget) error {
	addr, public, u, err := b.listen(s.BaseURL)
	if err != nil {
		return refProblem("scim.baseUrl", err.Error(), "give the base URL a host in hosts (or 127.0.0.1) and a port")
	}
	path := strings.TrimSuffix(u.Path, "/")
	switch {
	case u.Scheme != "http":
		return refProblem("scim.baseUrl", "the reference SCIM server serves plain HTTP", "use http://"+u.Host+u.Path)
	case path == "" || u.RawQuery != "":
		return refProblem("scim.baseUrl", "the reference SCIM server is mounted at the base URL's path, without a query", "use "+public+"/scim/v2")
	}
	if err := b.claim(addr, "scim.baseUrl"); err != nil {
		return refProblem("scim.baseUrl", err.Error(), "give the SCIM endpoint its own port")
	}
	srv, err := refscim.New(s.Token, "")
	if err != nil {
		return refProblem("scim.token", err.Error(), "")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return refProblem("scim.baseUrl", err.Error(), "free the port")
	}
	mux := http.NewServeMux()
	mux.Handle(path+"/", http.StripPrefix(path, srv))
	b.refs.SCIM = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.refs.SCIM.Serve(ln) }() // ends with ErrServerClosed at Close
	return nil
}
