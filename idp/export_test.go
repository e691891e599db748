package idp

// Test-only names for the package's external tests (package idp_test): internals they
// exercise that are not part of the package's API.

// SAMLResponseInput is samlResponseInput.
type SAMLResponseInput = samlResponseInput

// BuildSAMLResponse makes the Response Entra would send, signed as the app is configured.
func (s *Server) BuildSAMLResponse(in SAMLResponseInput) (*samlResponse, error) {
	return s.buildSAMLResponse(in, nil)
}

// ParseSAMLRequest parses a decoded SAML protocol message as the server does.
func ParseSAMLRequest(b []byte) (*samlRequest, error) { return parseSAMLRequest(b, nil) }

// IsGUID is isGUID.
func IsGUID(s string) bool { return isGUID(s) }

// RoutePatterns lists the patterns of the route table, in its order.
func RoutePatterns() []string {
	var out []string
	for _, rt := range (&Server{}).routeTable() {
		out = append(out, rt.pattern)
	}
	return out
}

// SAMLResponseBytes is what a plain sign-in sends: the direct writer, or the DOM when the
// app encrypts.
func (s *Server) SAMLResponseBytes(in SAMLResponseInput) ([]byte, error) {
	b, _, err := s.samlResponseBytes(in)
	return b, err
}
