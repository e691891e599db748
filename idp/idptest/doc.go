// Package idptest starts a mock Entra ID for a Go test, like net/http/httptest starts a
// server, and stops it when the test ends. It is the only package of ssoharness that imports
// testing.
//
//	srv := idptest.Start(t)                       // embedded default directory
//	srv := idptest.Start(t, idp.WithConfig(cfg))  // your own tenants and apps
//	srv := idptest.Start(t, idp.WithSAMLApp(entityID, acsURL), idp.WithOIDCClient(clientID, redirectURI))
//	tenant := srv.Config().Tenants[0]
//	resp, _ := srv.Client().Get(srv.MetadataURL(tenant, tenant.EnterpriseApps[0]))
package idptest
