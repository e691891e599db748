package idp

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The sign-in log and the control API are the tester's, not the SP's or a browser's: the log
// holds UPNs, object IDs, state, nonce and issued ID tokens, and the control API makes the IdP
// mint forged responses. Two guards keep them to their owner:
//
//   - the Host check: they answer only requests addressed to the server's public host or a
//     loopback name. A web page the tester visits can point a DNS name of its own at
//     127.0.0.1 (DNS rebinding) and read same-origin from the mock, but its requests carry
//     its own name in Host.
//   - the token: the log needs the control API's bearer token when one is set, and always
//     when the server listens on an address other machines reach, where a log without
//     credentials would be readable from the network.

// Paging of GET /_mockidp/signins, as Microsoft Graph's GET /auditLogs/signIns pages: $top
// entries per page (at most maxSignInsPage, which is also the default), and @odata.nextLink
// with a $skiptoken for the next page while there is one. Unlike Graph the log is oldest
// first, so that a harness that keeps the last nextLink reads only what is new.
const maxSignInsPage = 1000

// ownerOnly wraps the sign-in log: the Host check, then the token (see above).
func (s *Server) ownerOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.ownerHost(r.Host) {
			s.foreignHost(w, r)
			return
		}
		api := s.cfg.ControlAPI
		switch {
		case api != nil && api.Token != "":
			if !bearerIs(r, api.Token) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mockidp control API"`)
				controlError(w, http.StatusUnauthorized, "invalid_token", "the sign-in log needs Authorization: Bearer <controlApi.token> when a control token is set")
				return
			}
		case !s.loopbackBound(r):
			controlError(w, http.StatusForbidden, "forbidden", "the server listens on an address other machines reach: the sign-in log needs a control token (controlApi.token, or --control-token) and Authorization: Bearer <token>")
			return
		}
		h(w, r)
	}
}

// foreignHost refuses a request for the log or the control API addressed to another host.
// 421 Misdirected Request: the request reached a server that does not serve that origin.
func (s *Server) foreignHost(w http.ResponseWriter, r *http.Request) {
	controlError(w, http.StatusMisdirectedRequest, "invalid_host",
		"the sign-in log and the control API answer only on "+s.publicHost()+" and loopback names (localhost, 127.0.0.1, [::1]), not on "+strconv.Quote(truncate(r.Host, 128)))
}

// publicHost is the host name of the server's public URL, "" before it has one.
func (s *Server) publicHost() string {
	if u, err := url.Parse(s.URL); err == nil {
		return u.Hostname()
	}
	return ""
}

// ownerHost reports whether a Host header names the server: its public host, localhost, or
// a loopback address; the port is not compared (a published port may differ from the one
// the server listens on).
func (s *Server) ownerHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") || strings.EqualFold(host, s.publicHost()) {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackBound reports whether the server takes connections on loopback only: its
// listener's address when it has one, else the address the connection came in on; a
// request handed to ServeHTTP in-process (no connection) is the embedding program's own.
func (s *Server) loopbackBound(r *http.Request) bool {
	var addr net.Addr
	if s.Listener != nil {
		addr = s.Listener.Addr()
	} else if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		addr = a
	}
	if addr == nil {
		return true
	}
	ta, ok := addr.(*net.TCPAddr)
	return !ok || ta.IP.IsLoopback()
}

// bearerIs reports whether the request carries Authorization: Bearer token.
func bearerIs(r *http.Request, token string) bool {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(token)) == 1
}

// signInsPage is the answer of GET /_mockidp/signins.
type signInsPage struct {
	Context  string  `json:"@odata.context"`
	NextLink string  `json:"@odata.nextLink,omitempty"`
	Value    []Event `json:"value"`
}

// serveSignIns answers GET /_mockidp/signins with a page of the log, oldest first, in
// Graph's envelope.
func (s *Server) serveSignIns(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.logQueryError(w, "BadRequest", "The query string could not be parsed.")
		return
	}
	top := maxSignInsPage
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSignInsPage {
			s.logQueryError(w, "BadRequest", "Invalid page size specified: '"+truncate(v, 32)+"'. Must be between 1 and "+strconv.Itoa(maxSignInsPage)+".")
			return
		}
		top = n
	}
	var from uint64
	if v := q.Get("$skiptoken"); v != "" {
		n, err := strconv.ParseUint(v, 16, 64)
		if err != nil || n == 0 {
			s.logQueryError(w, "BadRequest", "Invalid skip token.")
			return
		}
		from = n
	}
	page, next := s.events.page(from, top)
	out := signInsPage{Context: s.base() + "/_mockidp/$metadata#auditLogs/signIns", Value: page}
	if out.Value == nil {
		out.Value = []Event{}
	}
	if next != 0 {
		nq := url.Values{"$top": {strconv.Itoa(top)}, "$skiptoken": {strconv.FormatUint(next, 16)}}
		out.NextLink = s.base() + "/_mockidp/signins?" + nq.Encode()
	}
	writeJSON(w, http.StatusOK, out, true)
}

// page returns up to top events from the one numbered from (or the oldest kept, if that one
// was dropped), and the number of the event after them, 0 when they are the last.
func (l *eventLog) page(from uint64, top int) ([]Event, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, _ := slices.BinarySearchFunc(l.events, from, func(e Event, seq uint64) int {
		switch {
		case e.seq < seq:
			return -1
		case e.seq > seq:
			return 1
		}
		return 0
	})
	end := min(i+top, len(l.events))
	out := slices.Clone(l.events[i:end])
	if end < len(l.events) {
		return out, l.events[end].seq
	}
	return out, 0
}

// logQueryError answers a bad paging parameter with Graph's 400 error, as Graph's signIns
// API does.
func (s *Server) logQueryError(w http.ResponseWriter, code, msg string) {
	id := s.rand.guid()
	w.Header().Set("request-id", id)
	writeJSON(w, http.StatusBadRequest, newGraphError(code, msg, s.clock.Now(), id, id), true)
}
