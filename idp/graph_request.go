package idp

import (
	"net/http"
	"strconv"
	"strings"
)

// The mock's Microsoft Graph v1.0 (graph_*.go): served on the mock's own host under /v1.0/,
// and as https://graph.microsoft.com when that name points at the mock (a hosts entry with
// the mock's certificate). Every request is logged as a graph-request event: a judge reads
// from the log which pages an importer fetched and whether it waited as Retry-After asked.

// EventGraphRequest is a Microsoft Graph request (Protocol "Graph"). Request holds method,
// path, query, consistencyLevel; Response holds status, and for collections page (1-based),
// count (objects on the page), total (objects that matched), nextLink (true/false), and
// fault and retryAfter when a Graph fault answered or cut the page.
const EventGraphRequest EventKind = "graph-request"

// ProtocolGraph is the Protocol of graph-request events.
const ProtocolGraph = "Graph"

// graphReq is one Graph request on its way through a handler.
type graphReq struct {
	r           *http.Request
	ev          *Event
	caller      *graphCaller
	clientReqID string
	base        string // the Graph root the answer's links use: https://graph.microsoft.com or the mock's URL
}

// graphRoot is the Graph root of the links in an answer: Graph's own name when the request
// came to it (hosts entry), else the mock's URL.
func (s *Server) graphRoot(r *http.Request) string {
	if h, _, _ := strings.Cut(r.Host, ":"); strings.EqualFold(h, "graph.microsoft.com") {
		return "https://graph.microsoft.com"
	}
	return s.base()
}

// graphAPI wraps a Graph handler: the event, the Bearer token (401), the armed Graph faults
// (429, 503), then h.
func (s *Server) graphAPI(h func(http.ResponseWriter, *graphReq)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ev := &Event{Protocol: ProtocolGraph, Kind: EventGraphRequest, Binding: r.Method,
			Request:  map[string]string{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery},
			Response: map[string]string{}}
		if cl := r.Header.Get("ConsistencyLevel"); cl != "" {
			ev.Request["consistencyLevel"] = cl
		}
		ev.ID, ev.Time = s.rand.guid(), s.clock.Now()
		ev.CorrelationID = ev.ID
		gr := &graphReq{r: r, ev: ev, clientReqID: r.Header.Get("client-request-id"), base: s.graphRoot(r) + "/v1.0"}
		if gr.clientReqID == "" {
			gr.clientReqID = ev.ID
		} else {
			gr.clientReqID = truncate(gr.clientReqID, 64)
		}
		c, e := s.graphAuthenticate(r)
		if e != nil {
			s.writeGraphError(w, gr, e)
			return
		}
		gr.caller = c
		ev.TenantID, ev.AppID = c.tenant.ID, c.appID
		if c.user != nil {
			ev.UserID, ev.UserPrincipalName = c.user.ID, c.user.UserPrincipalName
		}
		if corr := s.utiCorrelation(c.uti); corr != "" {
			ev.CorrelationID = corr // a delegated call joins the sign-in its token came from
		}
		if e := s.graphFaultBefore(gr); e != nil {
			s.writeGraphError(w, gr, e)
			return
		}
		h(w, gr)
	}
}

// require answers 403 unless the caller holds one of perms.
func (gr *graphReq) require(perms ...string) *graphErr {
	if gr.caller.has(perms...) {
		return nil
	}
	return graphForbidden()
}

// eventual reports whether the request has ConsistencyLevel: eventual.
func (gr *graphReq) eventual() bool {
	return strings.EqualFold(strings.TrimSpace(gr.r.Header.Get("ConsistencyLevel")), "eventual")
}

// finishGraph sets Graph's response headers and records the event.
func (s *Server) finishGraph(w http.ResponseWriter, gr *graphReq, status int) {
	h := w.Header()
	h.Set("request-id", gr.ev.ID)
	h.Set("client-request-id", gr.clientReqID)
	h.Set("OData-Version", "4.0")
	gr.ev.Response["status"] = strconv.Itoa(status)
	if status >= 400 {
		gr.ev.Status = StatusFailure
	}
	s.record(gr.ev)
}

// writeGraph answers 200 with v.
func (s *Server) writeGraph(w http.ResponseWriter, gr *graphReq, v any) {
	s.finishGraph(w, gr, http.StatusOK)
	writeJSON(w, http.StatusOK, v, true)
}

// writeEntity answers one object with its @odata.context (…/$metadata#users/$entity).
func (s *Server) writeEntity(w http.ResponseWriter, gr *graphReq, context string, o *graphObject) {
	out := newGraphObject().set("@odata.context", gr.base+"/$metadata#"+context)
	for _, k := range o.keys {
		out.set(k, o.vals[k])
	}
	s.writeGraph(w, gr, out)
}

// writeCollection answers a page of a collection: @odata.context, @odata.count (with
// $count=true), value, and @odata.nextLink while more pages remain (unless a short-page
// fault cuts it).
func (s *Server) writeCollection(w http.ResponseWriter, gr *graphReq, context string, gq *graphQuery, all []*graphObject) {
	page, total, more := gq.apply(all)
	out := newGraphObject().set("@odata.context", gr.base+"/$metadata#"+context)
	if gq.count {
		out.set("@odata.count", total)
	}
	out.set("value", page)
	ev := gr.ev
	ev.Response["page"] = strconv.Itoa(gq.offset/gq.top + 1)
	ev.Response["count"] = strconv.Itoa(len(page))
	ev.Response["total"] = strconv.Itoa(total)
	if more && s.graphFaultShortPage(gr) {
		more = false
	}
	ev.Response["nextLink"] = strconv.FormatBool(more)
	if more {
		out.set("@odata.nextLink", gr.base+strings.TrimPrefix(gr.r.URL.Path, "/v1.0")+"?"+nextQuery(gr.r.URL.RawQuery, encodeSkipToken(gq.offset+gq.top)))
	}
	s.writeGraph(w, gr, out)
}

// nextQuery is the request's query with its $skiptoken replaced: Graph's nextLink keeps the
// other options ($top, $select, $filter) as the client sent them.
func nextQuery(raw, tok string) string {
	var parts []string
	for _, p := range strings.Split(raw, "&") {
		k, _, _ := strings.Cut(p, "=")
		if k == "" || strings.EqualFold(k, "$skiptoken") || strings.EqualFold(k, "%24skiptoken") || strings.EqualFold(k, "skiptoken") {
			continue
		}
		parts = append(parts, p)
	}
	return strings.Join(append(parts, "$skiptoken="+tok), "&")
}

// handleGraphUnknown answers any other /v1.0 path as Graph does an unknown segment.
func (s *Server) handleGraphUnknown(w http.ResponseWriter, gr *graphReq) {
	seg := strings.Trim(strings.TrimPrefix(gr.r.URL.Path, "/v1.0"), "/")
	if i := strings.LastIndex(seg, "/"); i >= 0 {
		seg = seg[i+1:]
	}
	s.writeGraphError(w, gr, graphBadRequest("BadRequest", "Resource not found for the segment '"+truncate(seg, 128)+"'."))
}
