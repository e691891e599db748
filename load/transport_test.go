package load

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The bench transport keeps connections alive, sends a request again when the server closed
// its idle connection (as node does after 5 s), reads chunked and sized bodies, does not keep
// a connection the server says it closes, and a cancelled context stops a request waiting on
// a slow server at once; https goes through net/http's Transport.
func TestConnTransport(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.(http.Flusher).Flush() // no Content-Length: chunked
			io.WriteString(w, strings.Repeat("x", 5000))
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		case "/slow":
			<-r.Context().Done()
		default:
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, r.Method+" "+string(b))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	body := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	for range 3 {
		if got := body(c.Post(srv.URL+"/echo", "text/plain", strings.NewReader("hi"))); got != "POST hi" {
			t.Fatalf("echo: %q", got)
		}
	}
	if got := body(c.Get(srv.URL + "/chunked")); len(got) != 5000 {
		t.Fatalf("chunked body: %d bytes", len(got))
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 4 requests, want 1 kept alive", n)
	}
	// The server drops its idle connections: the next request goes on a new one.
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	if got := body(c.Post(srv.URL+"/echo", "text/plain", strings.NewReader("again"))); got != "POST again" {
		t.Fatalf("after the server closed the connection: %q", got)
	}
	if got := body(c.Get(srv.URL + "/close")); got != "bye" {
		t.Fatalf("close: %q", got)
	}
	if got := body(c.Get(srv.URL + "/echo")); got != "GET " {
		t.Fatalf("after Connection: close: %q", got)
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("%d connections, want 3 (one per close)", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
	start := time.Now()
	if _, err := c.Do(req); err == nil {
		t.Fatal("a cancelled request succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the cancelled request took %v", d)
	}
	// https goes through net/http's Transport.
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "tls") }))
	defer ts.Close()
	tr.https = ts.Client().Transport.(*http.Transport)
	if got := body(c.Get(ts.URL)); got != "tls" {
		t.Fatalf("https: %q", got)
	}
	if _, err := c.Get("ftp://127.0.0.1:1/"); err == nil || !strings.Contains(err.Error(), "unsupported URL scheme") {
		t.Fatalf("ftp: %v", err)
	}
}
