package idp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
)

// storeUnderTest is a Store and the clock its expiry follows.
type storeUnderTest struct {
	name  string
	st    idp.Store
	clock *idp.Clock
}

// storesUnderTest are the in-memory store and the HTTP store serving another in-memory
// store, each with a frozen clock of its own.
func storesUnderTest(t *testing.T, token string) []storeUnderTest {
	t.Helper()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	memClock, httpClock := idp.NewFrozenClock(t0), idp.NewFrozenClock(t0)
	srv := httptest.NewServer(idp.StoreHandler(idp.NewMemoryStore(httpClock), token))
	t.Cleanup(srv.Close)
	return []storeUnderTest{
		{"memory", idp.NewMemoryStore(memClock), memClock},
		{"http", idp.NewHTTPStore(srv.URL, token, nil), httpClock},
	}
}

// TestStoreContract runs the Store contract against MemoryStore and the HTTP store.
func TestStoreContract(t *testing.T) {
	for _, su := range storesUnderTest(t, "s3cret-token") {
		t.Run(su.name, func(t *testing.T) { storeContract(t, su.st, su.clock) })
	}
}

func storeContract(t *testing.T, st idp.Store, clock *idp.Clock) {
	ctx := context.Background()
	now := clock.Now()
	if _, err := st.Get(ctx, "code-used/missing"); !errors.Is(err, idp.ErrStoreNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrStoreNotFound", err)
	}
	if _, err := st.Take(ctx, "code-used/missing"); !errors.Is(err, idp.ErrStoreNotFound) {
		t.Fatalf("Take of a missing key: %v, want ErrStoreNotFound", err)
	}
	if err := st.Delete(ctx, "code-used/missing"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	bin := []byte{0, 1, 2, 0xff, '\n', '"'}
	if err := st.Put(ctx, "fault/a b/é?&=", bin, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Get(ctx, "fault/a b/é?&="); err != nil || !bytes.Equal(v, bin) {
		t.Fatalf("Get after Put: %q, %v; want %q", v, err, bin)
	}
	if err := st.Put(ctx, "fault/empty", nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Get(ctx, "fault/empty"); err != nil || len(v) != 0 {
		t.Fatalf("Get of an empty value: %q, %v", v, err)
	}
	// Add: only the first of two adds stores; an expired value does not count.
	if ok, err := st.Add(ctx, "code-used/1", []byte("a"), now.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("first Add: %v, %v", ok, err)
	}
	if ok, err := st.Add(ctx, "code-used/1", []byte("b"), now.Add(time.Minute)); ok || err != nil {
		t.Fatalf("second Add: %v, %v; want false, nil", ok, err)
	}
	if v, _ := st.Get(ctx, "code-used/1"); string(v) != "a" {
		t.Fatalf("the second Add changed the value to %q", v)
	}
	// List by prefix, expired values left out.
	_ = st.Put(ctx, "code-used/2", []byte("c"), now.Add(2*time.Minute))
	_ = st.Put(ctx, "code-usedX", []byte("x"), time.Time{})
	m, err := st.List(ctx, "code-used/")
	if err != nil || len(m) != 2 || string(m["code-used/1"]) != "a" || string(m["code-used/2"]) != "c" {
		t.Fatalf("List: %q, %v", m, err)
	}
	if m, err := st.List(ctx, "nothing/"); err != nil || len(m) != 0 {
		t.Fatalf("List of an empty prefix: %q, %v", m, err)
	}
	clock.Advance(90 * time.Second)
	if _, err := st.Get(ctx, "code-used/1"); !errors.Is(err, idp.ErrStoreNotFound) {
		t.Fatalf("Get of an expired key: %v, want ErrStoreNotFound", err)
	}
	if m, _ := st.List(ctx, "code-used/"); len(m) != 1 {
		t.Fatalf("List after expiry: %q, want code-used/2 alone", m)
	}
	if ok, err := st.Add(ctx, "code-used/1", []byte("d"), now.Add(3*time.Minute)); !ok || err != nil {
		t.Fatalf("Add over an expired value: %v, %v; want true", ok, err)
	}
	// Take returns and deletes; Delete deletes.
	if v, err := st.Take(ctx, "code-used/1"); err != nil || string(v) != "d" {
		t.Fatalf("Take: %q, %v", v, err)
	}
	if _, err := st.Get(ctx, "code-used/1"); !errors.Is(err, idp.ErrStoreNotFound) {
		t.Fatalf("Get after Take: %v", err)
	}
	if err := st.Delete(ctx, "code-used/2"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "code-used/2"); !errors.Is(err, idp.ErrStoreNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	// Put replaces, and its expiry with it.
	_ = st.Put(ctx, "device/x", []byte("1"), clock.Now().Add(time.Second))
	_ = st.Put(ctx, "device/x", []byte("2"), time.Time{})
	clock.Advance(time.Hour)
	if v, err := st.Get(ctx, "device/x"); err != nil || string(v) != "2" {
		t.Fatalf("Get after a Put without expiry replaced one with: %q, %v", v, err)
	}
}

// TestHTTPStoreAddRace has 50 goroutines add the same key over HTTP at once: exactly one
// wins, and the value is the winner's.
func TestHTTPStoreAddRace(t *testing.T) {
	srv := httptest.NewServer(idp.StoreHandler(idp.NewMemoryStore(nil), "tok"))
	defer srv.Close()
	for round := range 5 {
		st := idp.NewHTTPStore(srv.URL, "tok", nil)
		key := fmt.Sprintf("code-used/race-%d", round)
		var wins atomic.Int32
		var winner atomic.Value
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := st.Add(context.Background(), key, []byte(fmt.Sprint(i)), time.Now().Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
					winner.Store(fmt.Sprint(i))
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d goroutines won the Add, want exactly 1", round, wins.Load())
		}
		if v, _ := st.Get(context.Background(), key); string(v) != winner.Load() {
			t.Fatalf("round %d: stored %q, the winner was %v", round, v, winner.Load())
		}
	}
}

// TestStoreHandlerRefuses checks the handler's answers to strangers and bad input: 401
// without the token, 4xx JSON for the rest, never a 500.
func TestStoreHandlerRefuses(t *testing.T) {
	srv := httptest.NewServer(idp.StoreHandler(idp.NewMemoryStore(nil), "tok"))
	defer srv.Close()
	cases := []struct {
		method, path, auth, ctype, expires, body string
		want                                     int
		wantErr                                  string
	}{
		{"GET", "/ready", "", "", "", "", 200, ""},
		{"GET", "/v1/item?key=a", "", "", "", "", 401, "invalid_token"},
		{"GET", "/v1/item?key=a", "Bearer wrong", "", "", "", 401, "invalid_token"},
		{"GET", "/v1/item?key=a", "Basic dG9rOg==", "", "", "", 401, "invalid_token"},
		{"GET", "/v1/item", "Bearer tok", "", "", "", 400, "invalid_request"},
		{"GET", "/v1/item?key=" + strings.Repeat("k", 2000), "Bearer tok", "", "", "", 400, "invalid_request"},
		{"GET", "/v1/item?key=nope", "Bearer tok", "", "", "", 404, "not_found"},
		{"PATCH", "/v1/item?key=a", "Bearer tok", "", "", "x", 405, "invalid_request"},
		{"POST", "/v1/item?key=a&op=frob", "Bearer tok", "", "", "x", 405, "invalid_request"},
		{"PUT", "/v1/item?key=a", "Bearer tok", "", "tomorrow", "x", 400, "invalid_request"},
		{"PUT", "/v1/item?key=a", "Bearer tok", "application/json", "", "{not json", 400, "invalid_request"},
		{"PUT", "/v1/item?key=a", "Bearer tok", "", "", strings.Repeat("v", 1<<20+1), 413, "invalid_request"},
		{"POST", "/v1/items", "Bearer tok", "", "", "", 405, "invalid_request"},
		{"GET", "/admin", "Bearer tok", "", "", "", 404, "invalid_request"},
		{"PUT", "/v1/item?key=j", "Bearer tok", "application/json", "", `{"value":"aGk=","expires":"2099-01-01T00:00:00Z"}`, 204, ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		if c.expires != "" {
			req.Header.Set("X-Store-Expires", c.expires)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		name := c.method + " " + c.path[:min(len(c.path), 40)]
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", name, resp.StatusCode, b, c.want)
			continue
		}
		if c.wantErr != "" && (!strings.Contains(string(b), `"error":"`+c.wantErr+`"`) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")) {
			t.Errorf("%s: body %s (%s), want a JSON error %s", name, b, resp.Header.Get("Content-Type"), c.wantErr)
		}
	}
	// The JSON PUT stored its value.
	if v, err := idp.NewHTTPStore(srv.URL, "tok", nil).Get(context.Background(), "j"); err != nil || string(v) != "hi" {
		t.Fatalf("JSON PUT: %q, %v", v, err)
	}
	// A client with the wrong token gets a clear error, not ErrStoreNotFound.
	_, err := idp.NewHTTPStore(srv.URL, "wrong", nil).Get(context.Background(), "j")
	if err == nil || errors.Is(err, idp.ErrStoreNotFound) || !strings.Contains(err.Error(), "invalid_token") {
		t.Fatalf("wrong token: %v", err)
	}
	// A store that is not there: an error naming it.
	_, err = idp.NewHTTPStore("http://127.0.0.1:1", "", nil).Get(context.Background(), "j")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("no store: %v", err)
	}
}
