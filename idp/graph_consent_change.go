package idp

import "fmt"

// SetAdminConsent sets "Grant admin consent for <tenant>" of an app registration (app ID or
// display name, any tenant) at run time, as an admin clicks it or revokes it in the portal:
// the app-only Microsoft Graph tokens minted afterwards carry the app's application
// permissions as roles only while it is granted (graph_auth.go). Tokens minted before keep
// their roles until they expire, as Entra's do. The graph.consent.* checks use it to show
// an importer a tenant where consent is missing.
func (s *Server) SetAdminConsent(app string, granted bool) error {
	return s.change(dirChange{Op: opAdminConsent, Target: app, On: granted})
}

func (s *Server) setAdminConsent(app string, granted bool) error {
	for _, t := range s.cfg.Tenants {
		if a := t.AppRegistration(app); a != nil {
			a.AdminConsentGranted = &granted
			return nil
		}
	}
	return fmt.Errorf("no app registration %q in the directory", app)
}

// AdminConsentGranted reports whether admin consent is granted for an app registration (app
// ID or display name); ok is false when there is no such app.
func (s *Server) AdminConsentGranted(app string) (granted, ok bool) {
	s.syncDirectory()
	s.changes.mu.RLock()
	defer s.changes.mu.RUnlock()
	for _, t := range s.cfg.Tenants {
		if a := t.AppRegistration(app); a != nil {
			return adminConsented(a), true
		}
	}
	return false, false
}
