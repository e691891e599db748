package idp

import (
	"errors"
	"reflect"
)

// WithSAMLApp points the directory's SAML enterprise app (the first of the first tenant) at
// your service provider: entityID becomes its one "Identifier (Entity ID)" and acsURLs its
// "Reply URLs" (the first is the default). Its Sign on URL and Logout Url are cleared, so
// "Test this application" starts an IdP-initiated sign-in and SLO ends on Entra's page.
// Without WithConfig (given before this option) the directory is DefaultConfig's: tenant
// Contoso, B.Simon@contoso.com / Passw0rd!. Only the server's copy is changed.
func WithSAMLApp(entityID string, acsURLs ...string) Option {
	return func(s *Server) error {
		if entityID == "" || len(acsURLs) == 0 {
			return errors.New("WithSAMLApp: an entity ID and at least one ACS URL are required")
		}
		t := s.firstTenant()
		if len(t.EnterpriseApps) == 0 {
			return errors.New("WithSAMLApp: the first tenant has no enterprise app to configure")
		}
		a := &t.EnterpriseApps[0].SAML
		a.Identifiers = []Identifier{{Value: entityID, Default: true}}
		a.ReplyURLs = make([]ReplyURL, len(acsURLs))
		for i, u := range acsURLs {
			a.ReplyURLs[i] = ReplyURL{URL: u, Default: i == 0}
		}
		a.SignOnURL, a.LogoutURL = "", ""
		return nil
	}
}

// WithOIDCClient points the directory's app registration (the first of the first tenant) at
// your relying party: clientID (a GUID; "" keeps the registration's own) becomes its
// Application (client) ID and redirectURIs its only redirect URIs, on the Web platform. Its
// client secret is the registration's first (see Server.Config); a public client with PKCE
// needs none. Without WithConfig (given before this option) the directory is
// DefaultConfig's. Only the server's copy is changed.
func WithOIDCClient(clientID string, redirectURIs ...string) Option {
	return func(s *Server) error {
		if len(redirectURIs) == 0 {
			return errors.New("WithOIDCClient: at least one redirect URI is required")
		}
		t := s.firstTenant()
		if len(t.AppRegistrations) == 0 {
			return errors.New("WithOIDCClient: the first tenant has no app registration to configure")
		}
		r := t.AppRegistrations[0]
		if clientID != "" {
			r.AppID = clientID
		}
		r.Web.RedirectURIs = append([]string(nil), redirectURIs...)
		r.Web.LogoutURL = ""
		r.SPA.RedirectURIs, r.PublicClient.RedirectURIs = nil, nil
		return nil
	}
}

// firstTenant is the tenant the app options configure, starting from the default directory
// when no WithConfig came first.
func (s *Server) firstTenant() *Tenant {
	if s.cfg == nil {
		s.cfg = DefaultConfig()
	}
	if len(s.cfg.Tenants) == 0 {
		s.cfg.Tenants = append(s.cfg.Tenants, DefaultConfig().Tenants[0])
	}
	return s.cfg.Tenants[0]
}

// clone is a deep copy of c: the server normalizes and serves its own copy, so the caller's
// Config is never changed. Nil and empty slices stay as they are (an empty Claims list means
// something else than none).
func (c *Config) clone() *Config {
	if c == nil {
		return nil
	}
	return deepCopy(reflect.ValueOf(c)).Interface().(*Config)
}

// deepCopy copies pointers, slices, maps and the exported fields of structs (unexported
// fields, as time.Time's, are copied as values).
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(deepCopy(v.Elem()))
		return n
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			n.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return n
	case reflect.Interface:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(deepCopy(v.Elem()))
		return n
	}
	return v
}
