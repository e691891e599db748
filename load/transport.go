package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// connTransport is the driver's HTTP/1.1 transport: kept-alive connections in a pool, each
// request written and its response read whole by the goroutine that sends it, on one
// connection at a time.
//
// net/http's Transport runs two goroutines per connection (a reader and a writer) and hands
// every request and response between them and the caller. On the machine the server
// shares, those hand-offs (goroutine wake-ups across threads, each a futex and a context
// switch) cost the load generator more CPU than writing and parsing the messages, and that
// CPU is taken from the server under test. The wire is the same: Request.Write writes what
// Transport writes (no Accept-Encoding: compression was already off), http.ReadResponse
// reads the response. It speaks plain HTTP, as bench's servers on loopback do; an https URL
// goes through net/http's Transport (https).
type connTransport struct {
	dialer  net.Dialer
	maxIdle int // per host
	https   *http.Transport

	mu     sync.Mutex
	idle   map[string][]*benchConn
	closed bool
}

// benchConn is one kept-alive connection with its buffers.
type benchConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// newTransport is a keep-alive transport sized for concurrency virtual users.
func newTransport(concurrency int) *connTransport {
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &connTransport{
		dialer:  d,
		maxIdle: 4*concurrency + 16,
		idle:    map[string][]*benchConn{},
		https: &http.Transport{
			Proxy:               nil, // loopback: never through a proxy
			DialContext:         d.DialContext,
			MaxIdleConns:        4*concurrency + 16,
			MaxIdleConnsPerHost: 4*concurrency + 16,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// errNoResponse marks a failure before any byte of the response came back: on a kept-alive
// connection, the server may have closed it while it was idle (node closes idle connections
// after 5 s), so the request is sent again on a new one, as net/http's Transport does.
type errNoResponse struct{ err error }

func (e errNoResponse) Error() string { return e.err.Error() }
func (e errNoResponse) Unwrap() error { return e.err }

// RoundTrip sends req and returns its response with the body already read (at most maxBody
// bytes; a longer body is cut and its connection not kept).
func (t *connTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.URL.Scheme {
	case "http":
	case "https":
		return t.https.RoundTrip(req)
	default:
		closeBody(req)
		return nil, fmt.Errorf("unsupported URL scheme %q", req.URL.Scheme)
	}
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	ctx := req.Context()
	for retried := false; ; retried = true {
		c, reused, err := t.get(ctx, addr)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, keep, err := exchange(ctx, c, req)
		if err == nil {
			if keep {
				t.put(addr, c)
			} else {
				c.c.Close()
			}
			return resp, nil
		}
		c.c.Close()
		var nr errNoResponse
		if !reused || retried || ctx.Err() != nil || !errors.As(err, &nr) || !rewindable(req) {
			closeBody(req)
			return nil, err
		}
		body, gerr := req.GetBody()
		if gerr != nil {
			return nil, err
		}
		r2 := *req
		r2.Body = body
		req = &r2
	}
}

// exchange writes req on c and reads the response whole. keep says whether c can carry
// another request.
func exchange(ctx context.Context, c *benchConn, req *http.Request) (resp *http.Response, keep bool, err error) {
	dl, _ := ctx.Deadline() // zero: none
	if err := c.c.SetDeadline(dl); err != nil {
		return nil, false, errNoResponse{err}
	}
	// A cancelled context (the end of a run) unblocks the read or write at once.
	stop := context.AfterFunc(ctx, func() { _ = c.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := req.Write(c.bw); err != nil {
		return nil, false, errNoResponse{err}
	}
	if err := c.bw.Flush(); err != nil {
		return nil, false, errNoResponse{err}
	}
	if _, err := c.br.Peek(1); err != nil {
		return nil, false, errNoResponse{err}
	}
	resp, err = http.ReadResponse(c.br, req)
	if err != nil {
		return nil, false, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		resp.Body.Close()
		return nil, false, err
	}
	keep = !resp.Close && !req.Close && len(body) <= maxBody
	if len(body) > maxBody {
		body = body[:maxBody]
	} else {
		resp.Body.Close() // at EOF: net/http's body reader is done with the connection
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, keep, nil
}

// get returns an idle connection to addr, or a new one.
func (t *connTransport) get(ctx context.Context, addr string) (c *benchConn, reused bool, err error) {
	t.mu.Lock()
	if l := t.idle[addr]; len(l) > 0 {
		c = l[len(l)-1]
		l[len(l)-1] = nil
		t.idle[addr] = l[:len(l)-1]
		t.mu.Unlock()
		return c, true, nil
	}
	t.mu.Unlock()
	nc, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	return &benchConn{c: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 8<<10)}, false, nil
}

// put keeps c for the next request to addr, unless the pool is full or closed.
func (t *connTransport) put(addr string, c *benchConn) {
	t.mu.Lock()
	if !t.closed && len(t.idle[addr]) < t.maxIdle {
		t.idle[addr] = append(t.idle[addr], c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.c.Close()
	}
}

// CloseIdleConnections closes the idle connections; connections in use are closed when
// their request is done.
func (t *connTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*benchConn{}
	t.closed = true
	t.mu.Unlock()
	t.https.CloseIdleConnections()
	for _, l := range idle {
		for _, c := range l {
			c.c.Close()
		}
	}
}

// rewindable reports whether req can be sent again: no body, or one GetBody makes anew.
func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// closeBody closes req's body, as a RoundTripper must even when it fails.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
