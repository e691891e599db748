package idp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// instanceDiscovery is the body of /common/discovery/instance, in Entra's field order
// (samples/instance-discovery-2021.json).
type instanceDiscovery struct {
	TenantDiscoveryEndpoint string             `json:"tenant_discovery_endpoint"`
	APIVersion              string             `json:"api-version"`
	Metadata                []instanceMetadata `json:"metadata"`
}

// instanceMetadata is one cloud of instance discovery: the hosts that are one authority.
type instanceMetadata struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// entraClouds is the metadata Entra returns, verbatim from the 2021 recording: a client that
// reads the alias list sees the clouds it would see in production.
var entraClouds = []instanceMetadata{
	{"login.microsoftonline.com", "login.windows.net", []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}},
	{"login.partner.microsoftonline.cn", "login.partner.microsoftonline.cn", []string{"login.partner.microsoftonline.cn", "login.chinacloudapi.cn"}},
	{"login.microsoftonline.de", "login.microsoftonline.de", []string{"login.microsoftonline.de"}},
	{"login.microsoftonline.us", "login.microsoftonline.us", []string{"login.microsoftonline.us", "login.usgovcloudapi.net"}},
	{"login-us.microsoftonline.com", "login-us.microsoftonline.com", []string{"login-us.microsoftonline.com"}},
}

// handleInstanceDiscovery is GET /common/discovery/instance. MSAL calls it first for any
// authority host it does not know, to learn where the tenant's discovery document is and
// which hosts are aliases of the authority. The mock answers for its own host (the authority
// a test configures) and, as Entra does, for Entra's cloud hosts (a client whose hosts file
// points login.microsoftonline.com here); the tenant discovery endpoint is always the mock's
// own v2.0 document, the only one a client can fetch from it. Any other host is AADSTS50049,
// as Entra answers a host it does not serve.
func (s *Server) handleInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Protocol: "OIDC", Kind: EventDiscovery, Binding: "GET"}
	q := r.URL.Query()
	ae := q.Get("authorization_endpoint")
	ev.Request = map[string]string{"authorization_endpoint": truncate(ae, 512)}
	if ae == "" {
		s.writeTokenError(w, errMissingParameter("authorization_endpoint"), ev)
		return
	}
	u, err := url.Parse(ae)
	own := hostOf(s.base())
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		s.writeTokenError(w, codeInvalidInstance.with(), ev)
		return
	}
	host := strings.ToLower(u.Host)
	known := slices.ContainsFunc(entraClouds, func(m instanceMetadata) bool { return slices.Contains(m.Aliases, host) })
	if host != own && !known {
		s.writeTokenError(w, codeInvalidInstance.with(), ev)
		return
	}
	// The tenant is the authorization endpoint's first segment, kept as sent (Entra does not
	// check it here; the discovery document answers AADSTS90002 for an unknown one).
	seg, _, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if seg == "" {
		seg = "common"
	}
	body := instanceDiscovery{
		TenantDiscoveryEndpoint: s.base() + "/" + seg + "/v2.0/.well-known/openid-configuration",
		APIVersion:              "1.1",
		Metadata:                instanceClouds(own),
	}
	b, err := json.Marshal(body)
	if err != nil { // cannot happen: strings and slices of strings
		s.writeTokenError(w, asError(err), ev)
		return
	}
	s.writeDiscoveryBytes(w, b, ev)
}

// instanceClouds is the metadata for a mock reached at own: its own cloud (one host, its own
// alias) first, then Entra's, unless own is one of Entra's hosts already.
func instanceClouds(own string) []instanceMetadata {
	for _, m := range entraClouds {
		if slices.Contains(m.Aliases, own) {
			return entraClouds
		}
	}
	return append([]instanceMetadata{{own, own, []string{own}}}, entraClouds...)
}

// hostOf is the lower-case host[:port] of an absolute URL, empty when it does not parse.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
