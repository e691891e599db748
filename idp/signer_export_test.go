package idp

// Test-only names for the signer tests (signer_test.go): each kind of signature the server
// makes, through the same code paths as the routes (SAMLResponseBytes is in export_test.go).

// SignJWT signs claims with the tenant's active OIDC key, as every v2 token is.
func (s *Server) SignJWT(tid string, claims any) (string, error) {
	return s.signJWT(tid, claims, false)
}

// SignedRedirectURL deflates, encodes and signs xml for the redirect binding with app's active
// key, as the SLO fan-out does.
func (s *Server) SignedRedirectURL(app *EnterpriseApp, dest string, xml []byte) (string, error) {
	return s.signedRedirectURL(dest, "SAMLRequest", xml, s.activeKey(app), app.SAML.Signing.Algorithm)
}
