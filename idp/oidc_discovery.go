package idp

import (
	"net/http"
	"slices"
	"sync"
)

// discoveryV2 is the v2.0 OpenID configuration, fields in Entra's order
// (samples/openid-configuration-v2-*.json).
type discoveryV2 struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	KerberosEndpoint                  string   `json:"kerberos_endpoint"`
	TenantRegionScope                 *string  `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MSGraphHost                       string   `json:"msgraph_host"`
	RBACURL                           string   `json:"rbac_url"`
}

// discoveryV1 is the v1 OpenID configuration. Its field set and order follow a third-party
// capture (entra.md §1): no real sample is in samples/, so treat it as best effort.
type discoveryV1 struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	MicrosoftMultiRefreshToken        bool     `json:"microsoft_multi_refresh_token"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	CheckSessionIframe                string   `json:"check_session_iframe"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	KerberosEndpoint                  string   `json:"kerberos_endpoint"`
	TenantRegionScope                 *string  `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MSGraphHost                       string   `json:"msgraph_host"`
	RBACURL                           string   `json:"rbac_url"`
}

// tenantRegionScope is what tenant-specific documents carry ("WW" worldwide; the 2021
// sample shows "NA").
var tenantRegionScope = "WW"

// discoveryScope resolves {tenant} for discovery: the segment used in endpoint URLs, the
// tenant ID for the issuer ("{tenantid}" for common/organizations) and the region scope.
func (s *Server) discoveryScope(w http.ResponseWriter, r *http.Request, ev *Event) (seg, tid string, region *string, ok bool) {
	if seg, tid, region, ok := s.consumersScope(r, ev); ok {
		return seg, tid, region, ok
	}
	t, multi, ok := s.oidcTenant(r)
	if !ok {
		s.writeTokenError(w, errUnknownTenant(r.PathValue("tenant")), ev)
		return "", "", nil, false
	}
	if multi {
		seg := r.PathValue("tenant")
		return seg, "{tenantid}", nil, true
	}
	ev.TenantID = t.ID
	return t.ID, t.ID, &tenantRegionScope, true
}

func (s *Server) handleDiscoveryV2(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Protocol: "OIDC", Kind: EventDiscovery, Binding: "GET"}
	seg, tid, region, ok := s.discoveryScope(w, r, ev)
	if !ok {
		return
	}
	s.writeDiscoveryBytes(w, s.jsonDocs.get("v2 "+s.base()+" "+seg, nil, func() any { return s.discoveryV2(seg, tid, region) }), ev)
}

func (s *Server) discoveryV2(seg, tid string, region *string) discoveryV2 {
	b := s.base() + "/" + seg
	return discoveryV2{
		TokenEndpoint:                     b + "/oauth2/v2.0/token",
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		JWKSURI:                           b + "/discovery/v2.0/keys",
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		Issuer:                            s.issuerV2(tid),
		UserinfoEndpoint:                  s.base() + "/oidc/userinfo",
		AuthorizationEndpoint:             b + "/oauth2/v2.0/authorize",
		DeviceAuthorizationEndpoint:       b + "/oauth2/v2.0/devicecode",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                b + "/oauth2/v2.0/logout",
		ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host",
			"aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		KerberosEndpoint:   b + "/kerberos",
		TenantRegionScope:  region,
		CloudInstanceName:  "microsoftonline.com",
		CloudGraphHostName: "graph.windows.net",
		MSGraphHost:        "graph.microsoft.com",
		RBACURL:            "https://pas.windows.net",
	}
}

func (s *Server) handleDiscoveryV1(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Protocol: "OIDC", Kind: EventDiscovery, Binding: "GET"}
	seg, tid, region, ok := s.discoveryScope(w, r, ev)
	if !ok {
		return
	}
	s.writeDiscoveryBytes(w, s.jsonDocs.get("v1 "+s.base()+" "+seg, nil, func() any { return s.discoveryV1(seg, tid, region) }), ev)
}

func (s *Server) discoveryV1(seg, tid string, region *string) discoveryV1 {
	b := s.base() + "/" + seg
	return discoveryV1{
		TokenEndpoint:                     b + "/oauth2/token",
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		JWKSURI:                           b + "/discovery/keys",
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "token id_token", "token"},
		ScopesSupported:                   []string{"openid"},
		Issuer:                            s.issuerV1(tid),
		MicrosoftMultiRefreshToken:        true,
		AuthorizationEndpoint:             b + "/oauth2/authorize",
		DeviceAuthorizationEndpoint:       b + "/oauth2/devicecode",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                b + "/oauth2/logout",
		ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host",
			"aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "given_name", "family_name", "nickname"},
		CheckSessionIframe: b + "/oauth2/checksession",
		UserinfoEndpoint:   b + "/openid/userinfo",
		KerberosEndpoint:   b + "/kerberos",
		TenantRegionScope:  region,
		CloudInstanceName:  "microsoftonline.com",
		CloudGraphHostName: "graph.windows.net",
		MSGraphHost:        "graph.microsoft.com",
		RBACURL:            "https://pas.windows.net",
	}
}

// writeDiscoveryBytes sends a discovery document or key set (encoded by encodeJSON) with
// Entra's caching and CORS headers.
func (s *Server) writeDiscoveryBytes(w http.ResponseWriter, b []byte, ev *Event) {
	s.prepareEvent(ev)
	s.record(ev)
	h := w.Header()
	h.Set("Cache-Control", "max-age=86400, private")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("x-ms-request-id", ev.ID)
	writeJSONBytes(w, http.StatusOK, b, false)
}

// jsonDocCache keeps discovery documents and key sets as encoded: they change only with the
// server's URL (part of the key) and, for key sets, the keys (the state compared).
type jsonDocCache struct {
	mu   sync.Mutex
	docs map[string]jsonDoc
}

type jsonDoc struct {
	state []keyState
	body  []byte
}

// get returns the document for key made from state, building it when missing or when the
// state has changed.
func (c *jsonDocCache) get(key string, state []keyState, build func() any) []byte {
	c.mu.Lock()
	d, ok := c.docs[key]
	c.mu.Unlock()
	if ok && slices.Equal(d.state, state) {
		return d.body
	}
	body := encodeJSON(build())
	c.mu.Lock()
	if c.docs == nil || len(c.docs) >= 256 {
		c.docs = map[string]jsonDoc{} // bounded: common/organizations may come in any case
	}
	c.docs[key] = jsonDoc{state: state, body: body}
	c.mu.Unlock()
	return body
}
