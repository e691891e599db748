package scenarios

import (
	"net"
	"net/http"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/refsp/refgraph"
)

// referenceImporterTop is the $top of the reference importer started for a target: small,
// so that a seed directory of a handful of users already spans three pages or more.
const referenceImporterTop = 2

// startGraph serves a target's graph trigger and read-back with the strict reference
// importer (refsp/refgraph), signing in to Graph as the target's app registration with its
// first client secret: what `--reference-sp` does for an importer that does not exist yet.
func (b *targetRefs) startGraph(g *GraphTarget) error {
	env := b.env
	if g.Trigger.URL == "" || g.Imported.URL == "" {
		return refProblem("graph.trigger", "the reference importer is reached by URL, not a command", "give trigger.url http://127.0.0.1:<port>/import and imported.url http://127.0.0.1:<port>/users")
	}
	addr, public, u, err := b.listen(g.Trigger.URL)
	if err != nil {
		return refProblem("graph.trigger.url", err.Error(), "give the trigger a host in hosts (or 127.0.0.1) and a port")
	}
	switch {
	case u.Scheme != "http":
		return refProblem("graph.trigger.url", "the reference importer serves plain HTTP", "use http://…")
	case u.Path != "/import":
		return refProblem("graph.trigger.url", "path "+u.Path+" is not the reference importer's /import", "use "+public+"/import")
	case g.Imported.URL != public+"/users":
		return refProblem("graph.imported.url", g.Imported.URL+" is not the reference importer's read-back", "use "+public+"/users")
	}
	if err := b.claim(addr, "graph.trigger.url"); err != nil {
		return refProblem("graph.trigger.url", err.Error(), "give the importer its own port")
	}
	var reg *idp.AppRegistration
	for _, t := range env.Server.Config().Tenants {
		if reg = t.AppRegistration(g.AppID); reg != nil {
			break
		}
	}
	if reg == nil || len(reg.PasswordCredentials) == 0 {
		return refProblem("graph.appId", "not an app registration with a client secret in the mock's directory", "give the importer's app registration a passwordCredentials secret in idp.config")
	}
	im, err := refgraph.New(refgraph.Options{TokenURL: env.Server.URL + "/" + env.Tenant.ID + "/oauth2/v2.0/token", GraphURL: env.Server.URL,
		ClientID: reg.AppID, ClientSecret: reg.PasswordCredentials[0].SecretText, Top: referenceImporterTop, HTTP: b.client})
	if err != nil {
		return refProblem("graph.appId", err.Error(), "")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return refProblem("graph.trigger.url", err.Error(), "free the port")
	}
	srv := &http.Server{Handler: im.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends with ErrServerClosed at Close
	env.OnClose(func() { _ = srv.Close() })
	return nil
}
