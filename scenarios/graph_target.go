package scenarios

import (
	"fmt"
	"strings"
)

// GraphTarget is the Microsoft Graph side of a target: an app that imports the directory's
// users through Graph (bvoip's "Import Microsoft 365 users"). The graph.* checks arm a
// Graph condition in the mock (throttling, an outage, consent revoked), trigger an import,
// and judge from the mock's log of Graph requests and the read-back of who was imported.
type GraphTarget struct {
	// AppID is the Application (client) ID the importer uses (its app registration in the
	// mock's config, with User.Read.All as an application permission). It selects the
	// importer's requests in the log and the app whose consent graph.consent.missing revokes.
	AppID string `json:"appId"`
	// Trigger starts one import and reports how it went.
	Trigger Endpoint `json:"trigger"`
	// Imported reads back who the last import imported: JSON, a list of UPNs or object IDs,
	// or of objects with userPrincipalName and/or id (and accountEnabled false for a user
	// imported as disabled), or an object with such a list under "value" or "users"; a
	// command may also print one UPN per line.
	Imported Endpoint `json:"imported"`
}

// Endpoint is a URL or a shell command.
type Endpoint struct {
	// URL: the trigger is POSTed (a 2xx means the import succeeded; the body is what the
	// admin sees), the read-back is GETted.
	URL string `json:"url,omitempty"`
	// Command is run with sh -c from the target file's directory: exit status 0 means
	// success; its output is what the admin sees (trigger) or the list (read-back).
	Command string `json:"command,omitempty"`
}

// graph checks the graph section.
func (v *targetProblems) graph(g *GraphTarget) {
	if strings.TrimSpace(g.AppID) == "" {
		v.bad("graph.appId", "missing", "give the Application (client) ID the importer signs in to Graph with")
	}
	for _, e := range []struct {
		field string
		ep    Endpoint
	}{{"graph.trigger", g.Trigger}, {"graph.imported", g.Imported}} {
		switch {
		case e.ep.URL == "" && e.ep.Command == "":
			v.bad(e.field, "neither url nor command", fmt.Sprintf("give a URL (e.g. %s.url: https://app.example.test/admin/import) or a command", e.field))
		case e.ep.URL != "" && e.ep.Command != "":
			v.bad(e.field, "both url and command", "give one of them")
		default:
			v.checkURL(e.field+".url", e.ep.URL, false)
		}
	}
}
