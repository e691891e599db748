package idp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
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
}

// Armed Graph faults live in the store, so that every replica applies them and counts
// their requests together: "graph-fault/<n>" is the n-th armed fault (arming order), and
// its counters are markers claimed with Add, "graph-seen/<id>/<n>" for the n-th matching
// request and "graph-used/<id>/<n>" for the n-th faulted one. A replica remembers only the
// last n it saw of each counter, to start claiming from there.

// maxGraphFaults is how many Graph faults may be armed at once.
const maxGraphFaults = 64

// armedGraphFault is a Graph fault as the store keeps it.
type armedGraphFault struct {
	ID    string     `json:"id"`
	Fault GraphFault `json:"fault"`
}

// graphState is the replica's hints of the Graph fault counters (counter prefix → the
// highest n it claimed or saw).
type graphState struct {
	mu    sync.Mutex
	hints map[string]int
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
	f.Used = 0
	armed, err := s.armedGraphFaults()
	if err != nil {
		return err
	}
	if len(armed) >= maxGraphFaults {
		return fmt.Errorf("graph fault: %d are armed already; disarm some first", maxGraphFaults)
	}
	b, err := json.Marshal(armedGraphFault{ID: s.rand.guid(), Fault: f})
	if err != nil {
		return err
	}
	for n := len(armed); ; n++ { // the next free place in the arming order
		ok, err := s.store.Add(storeCtx(), graphFaultKey(n), b, time.Time{})
		if err != nil || ok {
			return err
		}
	}
}

// armedGraphFaults lists the armed Graph faults in arming order. Faults are only ever added
// at the next place and removed all at once, so their places are 0…n-1: one store Get per
// fault and one for the end (no List, which would scan the whole store on every Graph
// request).
func (s *Server) armedGraphFaults() ([]armedGraphFault, error) {
	var out []armedGraphFault
	for n := 0; n <= maxGraphFaults; n++ {
		b, err := s.store.Get(storeCtx(), graphFaultKey(n))
		if errors.Is(err, ErrStoreNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var a armedGraphFault
		if json.Unmarshal(b, &a) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// graphFaultKey is the store key of the n-th armed Graph fault.
func graphFaultKey(n int) string { return fmt.Sprintf("graph-fault/%06d", n) }

// GraphFaults returns a snapshot of the armed Graph faults.
func (s *Server) GraphFaults() []GraphFault {
	armed, _ := s.armedGraphFaults()
	out := make([]GraphFault, 0, len(armed))
	for _, a := range armed {
		f := a.Fault
		used, _ := s.store.List(storeCtx(), "graph-used/"+a.ID+"/")
		f.Used = min(len(used), f.Count)
		out = append(out, f)
	}
	return out
}

// DisarmGraphFaults removes every armed Graph fault.
func (s *Server) DisarmGraphFaults() {
	ctx := storeCtx()
	for _, prefix := range []string{"graph-fault/", "graph-seen/", "graph-used/"} {
		m, _ := s.store.List(ctx, prefix)
		for k := range m {
			_ = s.store.Delete(ctx, k)
		}
	}
}

// claimNext claims the next marker of a counter (prefix "graph-seen/<id>/" …) and returns
// its number (from 1); 0 when the store fails.
func (s *Server) claimNext(prefix string) int {
	s.graph.mu.Lock()
	n := s.graph.hints[prefix]
	s.graph.mu.Unlock()
	for {
		n++
		ok, err := s.store.Add(storeCtx(), prefix+strconv.Itoa(n), []byte{1}, time.Time{})
		if err != nil {
			return 0
		}
		if ok {
			break
		}
	}
	s.graph.mu.Lock()
	if s.graph.hints == nil {
		s.graph.hints = map[string]int{}
	}
	s.graph.hints[prefix] = max(s.graph.hints[prefix], n)
	s.graph.mu.Unlock()
	return n
}

// reached reports whether a counter has reached n (its n-th marker is claimed).
func (s *Server) reached(prefix string, n int) bool {
	_, err := s.store.Get(storeCtx(), prefix+strconv.Itoa(n))
	return err == nil
}

// takeGraphFault consumes the first armed fault of one of kinds that applies to path.
// With count, the request counts towards the After of every matching fault.
func (s *Server) takeGraphFault(path string, count bool, kinds ...string) *GraphFault {
	armed, _ := s.armedGraphFaults()
	var hit *GraphFault
	for _, a := range armed {
		f := a.Fault
		used := "graph-used/" + a.ID + "/"
		if !slices.Contains(kinds, f.Kind) || !strings.HasPrefix(path, f.Path) || s.reached(used, f.Count) {
			continue
		}
		var past bool // more than After matching requests were seen
		if count {
			past = s.claimNext("graph-seen/"+a.ID+"/") > f.After
		} else {
			past = s.reached("graph-seen/"+a.ID+"/", f.After+1)
		}
		if hit == nil && past {
			if n := s.claimNext(used); n > 0 && n <= f.Count {
				f.Used = n
				hit = &f
			}
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
	armed, _ := s.armedGraphFaults()
	for _, a := range armed {
		f := a.Fault
		if f.Kind == GraphFaultShortPage && strings.HasPrefix(path, f.Path) && !s.reached("graph-used/"+a.ID+"/", f.Count) {
			s.claimNext("graph-seen/" + a.ID + "/")
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
