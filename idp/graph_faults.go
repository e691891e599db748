package idp

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Graph faults: what Microsoft Graph does to importers under load, armed per run from Go
// (Server.ArmGraphFault) or the control API (POST /_mockidp/graph/faults). They are not
// sign-in faults (the catalog's), so they have their own small arming: each applies to the
// requests whose path starts with Path, after After such requests were answered normally,
// for Count requests. The graph-request event of a faulted request names the fault.

// Graph fault kinds.
const (
	// GraphFaultThrottle answers 429 TooManyRequests with Retry-After (Graph's throttling).
	GraphFaultThrottle = "throttle"
	// GraphFaultUnavailable answers 503 serviceNotAvailable with Retry-After.
	GraphFaultUnavailable = "unavailable"
	// GraphFaultShortPage answers the page but without @odata.nextLink although more
	// objects remain: an importer that checks counts (or $count) notices; most do not.
	GraphFaultShortPage = "short-page"
)

// GraphFault is one armed Graph fault.
type GraphFault struct {
	// Kind is throttle, unavailable or short-page.
	Kind string `json:"kind"`
	// Path is the path prefix the fault applies to (default /v1.0/users).
	Path string `json:"path,omitempty"`
	// After is how many matching requests are answered normally first (0: the next one);
	// After 1 with short-page cuts the listing after its second page.
	After int `json:"after,omitempty"`
	// Count is how many matching requests get the fault (default 1).
	Count int `json:"count,omitempty"`
	// RetryAfter is the Retry-After of throttle and unavailable, in seconds (default 2).
	RetryAfter int `json:"retryAfter,omitempty"`
	// Used is how many requests have had the fault so far.
	Used int `json:"used"`

	seen int // matching requests seen
}

// graphState is the server's armed Graph faults.
type graphState struct {
	mu     sync.Mutex
	faults []*GraphFault
}

// ArmGraphFault arms a Graph fault for the next matching requests.
func (s *Server) ArmGraphFault(f GraphFault) error {
	if !slices.Contains([]string{GraphFaultThrottle, GraphFaultUnavailable, GraphFaultShortPage}, f.Kind) {
		return fmt.Errorf("graph fault kind %q: want throttle, unavailable or short-page", f.Kind)
	}
	if f.Path == "" {
		f.Path = "/v1.0/users"
	}
	if !strings.HasPrefix(f.Path, "/v1.0/") {
		return fmt.Errorf("graph fault path %q: want a path under /v1.0/, e.g. /v1.0/users", f.Path)
	}
	if f.After < 0 || f.Count < 0 || f.RetryAfter < 0 {
		return fmt.Errorf("graph fault: after, count and retryAfter must not be negative")
	}
	if f.Count == 0 {
		f.Count = 1
	}
	if f.RetryAfter == 0 {
		f.RetryAfter = 2
	}
	f.Used, f.seen = 0, 0
	s.graph.mu.Lock()
	defer s.graph.mu.Unlock()
	if len(s.graph.faults) >= 64 {
		return fmt.Errorf("graph fault: 64 are armed already; disarm some first")
	}
	s.graph.faults = append(s.graph.faults, &f)
	return nil
}

// GraphFaults returns a snapshot of the armed Graph faults.
func (s *Server) GraphFaults() []GraphFault {
	s.graph.mu.Lock()
	defer s.graph.mu.Unlock()
	out := make([]GraphFault, 0, len(s.graph.faults))
	for _, f := range s.graph.faults {
		out = append(out, *f)
	}
	return out
}

// DisarmGraphFaults removes every armed Graph fault.
func (s *Server) DisarmGraphFaults() {
	s.graph.mu.Lock()
	s.graph.faults = nil
	s.graph.mu.Unlock()
}

// takeGraphFault consumes the first armed fault of one of kinds that applies to path.
// With count, the request counts towards the After of every matching fault.
func (s *Server) takeGraphFault(path string, count bool, kinds ...string) *GraphFault {
	s.graph.mu.Lock()
	defer s.graph.mu.Unlock()
	var hit *GraphFault
	for _, f := range s.graph.faults {
		if !slices.Contains(kinds, f.Kind) || f.Used >= f.Count || !strings.HasPrefix(path, f.Path) {
			continue
		}
		if count {
			f.seen++
		}
		if hit == nil && f.seen > f.After {
			f.Used++
			c := *f
			hit = &c
		}
	}
	return hit
}

// graphFaultBefore answers 429 or 503 when such a fault applies.
func (s *Server) graphFaultBefore(gr *graphReq) *graphErr {
	p := gr.r.URL.Path
	s.countShortPage(p)
	f := s.takeGraphFault(p, true, GraphFaultThrottle, GraphFaultUnavailable)
	if f == nil {
		return nil
	}
	gr.ev.Response["fault"] = f.Kind
	if f.Kind == GraphFaultThrottle {
		return &graphErr{status: http.StatusTooManyRequests, code: "TooManyRequests", msg: "Please retry again later.", retryAfter: f.RetryAfter}
	}
	return &graphErr{status: http.StatusServiceUnavailable, code: "serviceNotAvailable",
		msg: "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay, which may be specified in a Retry-After header.", retryAfter: f.RetryAfter}
}

// countShortPage counts a request towards the After of the short-page faults.
func (s *Server) countShortPage(path string) {
	s.graph.mu.Lock()
	defer s.graph.mu.Unlock()
	for _, f := range s.graph.faults {
		if f.Kind == GraphFaultShortPage && f.Used < f.Count && strings.HasPrefix(path, f.Path) {
			f.seen++
		}
	}
}

// graphFaultShortPage reports whether a short-page fault cuts this page's nextLink.
func (s *Server) graphFaultShortPage(gr *graphReq) bool {
	if f := s.takeGraphFault(gr.r.URL.Path, false, GraphFaultShortPage); f != nil {
		gr.ev.Response["fault"] = f.Kind
		return true
	}
	return false
}

// handleGraphFaultsGet is GET /_mockidp/graph/faults.
func (s *Server) handleGraphFaultsGet(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.GraphFaults()}, true)
}

// handleGraphFaultsArm is POST /_mockidp/graph/faults (body: a GraphFault).
func (s *Server) handleGraphFaultsArm(w http.ResponseWriter, r *http.Request) {
	var f GraphFault
	if err := decodeControl(r, &f); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if err := s.ArmGraphFault(f); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"faults": s.GraphFaults()}, true)
}

// handleGraphFaultsDisarm is DELETE /_mockidp/graph/faults.
func (s *Server) handleGraphFaultsDisarm(w http.ResponseWriter, r *http.Request) {
	s.DisarmGraphFaults()
	w.WriteHeader(http.StatusNoContent)
}
