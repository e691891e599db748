package idp

// AppValues is what an admin copies from the portal into an SP for one app: the "Set up
// <app>" box of a SAML app, or the Overview/Certificates & secrets of an app registration.
type AppValues struct {
	// Kind is "SAML enterprise app" or "OIDC app registration".
	Kind string
	// Name is the app's display name.
	Name string
	// Tenant is the tenant's display name.
	Tenant string
	// Values are label/value pairs in the portal's order and wording.
	Values [][2]string
}

// AdminValues lists, per app, the values an admin copies into an SP.
func (s *Server) AdminValues() []AppValues {
	var out []AppValues
	for _, t := range s.cfg.Tenants {
		for _, a := range t.EnterpriseApps {
			v := AppValues{Kind: "SAML enterprise app", Name: a.DisplayName, Tenant: t.DisplayName}
			add := func(k, val string) { v.Values = append(v.Values, [2]string{k, val}) }
			add("Application ID", a.AppID)
			add("Login URL", s.LoginURL(t))
			add("Microsoft Entra Identifier", EntityID(t))
			add("Logout URL", s.LoginURL(t))
			add("App Federation Metadata Url", s.MetadataURL(t, a))
			add("Certificate (Base64)", s.CertificateURL(a))
			if k := s.activeKey(a); k != nil {
				add("Thumbprint", k.Thumbprint())
				add("Expiration", k.Cert.NotAfter.Format("1/2/2006, 3:04:05 PM"))
			}
			add("User access URL", s.UserAccessURL(t, a))
			add("Identifier (Entity ID)", a.SAML.DefaultIdentifier())
			add("Reply URL (ACS)", a.SAML.DefaultReplyURL())
			out = append(out, v)
		}
	}
	return append(out, s.oidcAdminValues()...)
}
