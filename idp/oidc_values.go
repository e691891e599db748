package idp

// oidcAdminValues lists the values of app registrations (filled in by the OIDC side).
func (s *Server) oidcAdminValues() []AppValues { return nil }
