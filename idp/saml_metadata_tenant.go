package idp

import (
	"net/http"
	"strings"
)

// The federation metadata documents that belong to no app: the tenant's
// (/{tenant}/federationmetadata/2007-06/federationmetadata.xml without appid) and the
// tenant-independent one of /common and /organizations. They have the app document's
// structure (the same element paths, see buildFedMetadata); what differs is the keys and the
// names:
//   - the tenant's lists the tenant's token-signing keys (the ones its JWKS publishes, not an
//     app's SAML certificate) and is signed with its active one;
//   - the common one names the entity https://sts.windows.net/{tenantid}/ with "{tenantid}"
//     written literally, a template the SP fills with the tid of each token, and puts its
//     endpoints under /common (samples federationmetadata-common-2017.xml and -2026.xml).
//     entra.md writes the template "{tenant}"; both samples write "{tenantid}", which is
//     followed here. The 2017 sample percent-encodes the braces in TargetScopes
//     (%7Btenantid%7D); the 2026 one does not, and is followed.
//
// Which key signs the common document, and what /organizations and ?appid= under /common
// return, are not in the samples. Entra's keys are shared by all tenants, so here the common
// document lists every tenant's published keys (as the common JWKS does) and is signed by the
// first tenant's active key; /organizations is served like /common with its own segment in
// the endpoints; ?appid= under either is ignored (an app's certificates belong to a tenant
// the path does not name).

// commonEntityID is the entity ID of the tenant-independent metadata, a template.
const commonEntityID = "https://sts.windows.net/{tenantid}/"

// appIDParam is the ?appid= (or the portal's ?appId=) of a metadata request.
func appIDParam(r *http.Request) string {
	q := r.URL.Query()
	if id := q.Get("appid"); id != "" {
		return id
	}
	return q.Get("appId")
}

// isMultiTenantSegment reports whether a path's tenant is one of the multi-tenant aliases
// that have federation metadata of their own.
func isMultiTenantSegment(seg string) bool {
	switch strings.ToLower(seg) {
	case "common", "organizations":
		return true
	}
	return false
}

// serveCommonMetadata serves /common or /organizations federation metadata.
func (s *Server) serveCommonMetadata(w http.ResponseWriter, r *http.Request, seg string, ev *Event) {
	s.serveScopedMetadata(w, r, strings.ToLower(seg), commonEntityID, s.cfg.Tenants, ev)
}

// serveScopedMetadata writes the signed document for seg (a tenant ID or a multi-tenant
// alias) listing the tenants' token-signing keys, and logs which certificates it showed.
func (s *Server) serveScopedMetadata(w http.ResponseWriter, r *http.Request, seg, entityID string, tenants []*Tenant, ev *Event) {
	b, keys, err := s.scopedMetadata(seg, entityID, tenants)
	if err != nil {
		s.renderErrorPage(w, r, asError(err), ev)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(b)
	var thumbs []string
	for _, k := range keys {
		thumbs = append(thumbs, k.Thumbprint())
	}
	ev.Status = StatusSuccess
	ev.Response = map[string]string{"certificates": strings.Join(thumbs, " ")}
	s.record(ev)
}

// scopedMetadata is the document for seg, kept while the keys and the URL stay the same (as
// the app documents are; see Server.Metadata), with the published keys it lists.
func (s *Server) scopedMetadata(seg, entityID string, tenants []*Tenant) ([]byte, []*SigningKey, error) {
	var keys []*SigningKey
	var signer *SigningKey
	seen := map[*SigningKey]bool{}
	for _, t := range tenants {
		for _, k := range s.OIDCKeys(t.ID) {
			if k.Active && signer == nil {
				signer = k
			}
			if k.Published && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	state := metadataState{tenant: seg, base: s.base(), keys: make([]keyState, len(keys))}
	for i, k := range keys {
		state.keys[i] = keyState{k: k, cert: k.Cert, active: k == signer, published: true}
	}
	if signer != nil {
		state.keys = append(state.keys, keyState{k: signer, cert: signer.Cert, active: true})
	}
	c := &s.metadataDocs
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.scoped[seg]; d != nil && d.state.equal(state) {
		return d.doc, keys, nil
	}
	doc, err := s.buildFedMetadata(seg, entityID, keys, signer)
	if err != nil {
		return nil, nil, err
	}
	if c.scoped == nil {
		c.scoped = map[string]*metadataDoc{}
	}
	c.scoped[seg] = &metadataDoc{state: state, doc: doc}
	return doc, keys, nil
}
