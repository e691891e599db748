package idp

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The HTTP store is how replicas of one mock IdP share a Store: `mockidp store` serves a
// MemoryStore with StoreHandler, and every `mockidp serve --store URL` talks to it with
// NewHTTPStore. The protocol is small and readable with curl:
//
//	GET    /v1/item?key=K            200 the value (application/octet-stream), 404 when absent
//	PUT    /v1/item?key=K            204; body: the value; X-Store-Expires: RFC 3339 time (none: kept)
//	POST   /v1/item?key=K&op=add     201 added, 409 a live value is there (same body and header)
//	POST   /v1/item?key=K&op=take    200 the value, now deleted; 404 when absent
//	DELETE /v1/item?key=K            204 (also when absent)
//	GET    /v1/items?prefix=P        200 {"items":{"K":"<base64>",…}}
//	GET    /ready                    200 ok, without the token (a readiness probe; tells nothing)
//
// A PUT or add may instead send Content-Type: application/json with {"value":"<base64>",
// "expires":"<RFC 3339>"}. Every request carries Authorization: Bearer <token> when the
// store has a token. Errors are JSON in the shape of Entra's OAuth errors:
// {"error":"not_found","error_description":"…"}.

// storeExpiresHeader carries a value's expiry (RFC 3339 with nanoseconds) on PUT and add.
const storeExpiresHeader = "X-Store-Expires"

// Limits of the HTTP store: far above what the IdP keeps (markers of a few bytes, fault key
// PEMs of a few KiB), low enough that a stray client cannot make the store buffer much.
const (
	maxStoreKey   = 1024
	maxStoreValue = 1 << 20
)

// storeError is the JSON body of an HTTP store error.
type storeError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// storeJSONValue is the JSON form of a PUT or add body.
type storeJSONValue struct {
	Value   []byte    `json:"value"`
	Expires time.Time `json:"expires,omitzero"`
}

// storeList is the body of GET /v1/items.
type storeList struct {
	Items map[string][]byte `json:"items"`
}

// StoreHandler serves st over HTTP (the protocol above) to the replicas of one mock IdP.
// With a token, only requests bearing it are served (compared in constant time); bad input
// gets a 4xx JSON error, never a 500.
func StoreHandler(st Store, token string) http.Handler {
	h := &storeHandler{st: st, token: []byte(token)}
	// Its own small dispatch, not the IdP's route table: this is another server.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ready" && r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "ok\n")
		case !h.authorized(w, r):
		case r.URL.Path == "/v1/item":
			r.Body = http.MaxBytesReader(w, r.Body, maxStoreValue+4096)
			h.item(w, r)
		case r.URL.Path == "/v1/items":
			h.items(w, r)
		default:
			storeFail(w, http.StatusNotFound, "invalid_request", "no such store endpoint: use /v1/item?key=K or /v1/items?prefix=P")
		}
	})
}

type storeHandler struct {
	st    Store
	token []byte
}

// authorized reports whether the request bears the owner's token, and answers 401 when not.
func (h *storeHandler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if len(h.token) == 0 {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && subtle.ConstantTimeCompare([]byte(got), h.token) == 1 {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="mockidp store"`)
	storeFail(w, http.StatusUnauthorized, "invalid_token", "the store needs its bearer token (mockidp serve --store-token)")
	return false
}

func (h *storeHandler) item(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	switch {
	case key == "":
		storeFail(w, http.StatusBadRequest, "invalid_request", "the key parameter is missing")
		return
	case len(key) > maxStoreKey:
		storeFail(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("the key is longer than %d bytes", maxStoreKey))
		return
	}
	ctx := r.Context()
	op := r.URL.Query().Get("op")
	switch {
	case r.Method == http.MethodGet && op == "":
		v, err := h.st.Get(ctx, key)
		h.value(w, v, err)
	case r.Method == http.MethodPost && op == "take":
		v, err := h.st.Take(ctx, key)
		h.value(w, v, err)
	case r.Method == http.MethodDelete && op == "":
		h.done(w, h.st.Delete(ctx, key), http.StatusNoContent)
	case r.Method == http.MethodPut && op == "", r.Method == http.MethodPost && op == "add":
		v, exp, ok := readStoreValue(w, r)
		if !ok {
			return
		}
		if op != "add" {
			h.done(w, h.st.Put(ctx, key, v, exp), http.StatusNoContent)
			return
		}
		added, err := h.st.Add(ctx, key, v, exp)
		if err == nil && !added {
			storeFail(w, http.StatusConflict, "conflict", "a live value is already stored under the key")
			return
		}
		h.done(w, err, http.StatusCreated)
	default:
		w.Header().Set("Allow", "GET, PUT, POST, DELETE")
		storeFail(w, http.StatusMethodNotAllowed, "invalid_request", fmt.Sprintf("%s with op=%q is not a store operation (GET, PUT, DELETE; POST with op=add or op=take)", r.Method, truncate(op, 32)))
	}
}

func (h *storeHandler) items(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		storeFail(w, http.StatusMethodNotAllowed, "invalid_request", "list with GET /v1/items?prefix=P")
		return
	}
	m, err := h.st.List(r.Context(), r.URL.Query().Get("prefix"))
	if err != nil {
		storeFail(w, http.StatusBadGateway, "store_failure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(storeList{Items: m})
}

// value answers a Get or Take.
func (h *storeHandler) value(w http.ResponseWriter, v []byte, err error) {
	if errors.Is(err, ErrStoreNotFound) {
		storeFail(w, http.StatusNotFound, "not_found", "no live value under the key")
		return
	}
	if err != nil {
		storeFail(w, http.StatusBadGateway, "store_failure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(v)
}

// done answers a write.
func (h *storeHandler) done(w http.ResponseWriter, err error, status int) {
	if err != nil {
		storeFail(w, http.StatusBadGateway, "store_failure", err.Error())
		return
	}
	w.WriteHeader(status)
}

// readStoreValue reads a PUT or add body (raw bytes, or JSON by its Content-Type) and its
// expiry; on bad input it has answered and ok is false.
func readStoreValue(w http.ResponseWriter, r *http.Request) (v []byte, exp time.Time, ok bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil || len(body) > maxStoreValue {
		storeFail(w, http.StatusRequestEntityTooLarge, "invalid_request", fmt.Sprintf("the value is larger than %d bytes", maxStoreValue))
		return nil, time.Time{}, false
	}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		var jv storeJSONValue
		if err := json.Unmarshal(body, &jv); err != nil {
			storeFail(w, http.StatusBadRequest, "invalid_request", "the JSON body is not {\"value\":\"<base64>\",\"expires\":\"<RFC 3339>\"}: "+truncate(err.Error(), 200))
			return nil, time.Time{}, false
		}
		return jv.Value, jv.Expires, true
	}
	if h := r.Header.Get(storeExpiresHeader); h != "" {
		if exp, err = time.Parse(time.RFC3339Nano, h); err != nil {
			storeFail(w, http.StatusBadRequest, "invalid_request", storeExpiresHeader+" is not an RFC 3339 time: "+truncate(h, 64))
			return nil, time.Time{}, false
		}
	}
	return body, exp, true
}

func storeFail(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(storeError{Error: code, Description: desc})
}

// httpStore is the client side: a Store whose every call is one request to StoreHandler.
type httpStore struct {
	base   string
	token  string
	client *http.Client
}

// NewHTTPStore is the Store served by StoreHandler (`mockidp store`) at baseURL, e.g.
// http://127.0.0.1:7070, sending token as a bearer token ("" sends none). client nil: a
// client of its own that keeps connections alive (a replica calls the store several times a
// sign-in) and gives up on a request after 10 s. ErrStoreNotFound comes back as itself;
// any other failure names the operation, the key and what the store said.
func NewHTTPStore(baseURL, token string, client *http.Client) Store {
	if client == nil {
		tr := &http.Transport{
			Proxy:               nil, // the store is the replicas' own: never through a proxy
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		}
		client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	return &httpStore{base: strings.TrimRight(baseURL, "/"), token: token, client: client}
}

// do sends one request and returns the status and the body of a 2xx or a 409 (an add that
// found a live value); the store's 404 for a missing key is ErrStoreNotFound.
func (s *httpStore) do(ctx context.Context, method, path string, q url.Values, body []byte, exp time.Time) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path+"?"+q.Encode(), rd)
	if err != nil {
		return 0, nil, err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if !exp.IsZero() {
		req.Header.Set(storeExpiresHeader, exp.UTC().Format(time.RFC3339Nano))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxStoreValue+1<<20))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusConflict {
		return resp.StatusCode, b, nil
	}
	if resp.StatusCode == http.StatusNotFound && len(b) > 0 && bytes.Contains(b, []byte(`"not_found"`)) {
		return resp.StatusCode, nil, ErrStoreNotFound
	}
	var se storeError
	if json.Unmarshal(b, &se) == nil && se.Error != "" {
		return resp.StatusCode, nil, fmt.Errorf("%s (%s): %s", resp.Status, se.Error, se.Description)
	}
	return resp.StatusCode, nil, fmt.Errorf("%s: %s", resp.Status, truncate(string(b), 200))
}

// wrap names the operation and key in an error other than ErrStoreNotFound.
func (s *httpStore) wrap(op, key string, err error) error {
	if err == nil || errors.Is(err, ErrStoreNotFound) {
		return err
	}
	return fmt.Errorf("idp: http store %s: %s %q: %w", s.base, op, truncate(key, 128), err)
}

// Get implements Store.
func (s *httpStore) Get(ctx context.Context, key string) ([]byte, error) {
	_, b, err := s.do(ctx, http.MethodGet, "/v1/item", url.Values{"key": {key}}, nil, time.Time{})
	return b, s.wrap("get", key, err)
}

// Put implements Store.
func (s *httpStore) Put(ctx context.Context, key string, value []byte, expires time.Time) error {
	_, _, err := s.do(ctx, http.MethodPut, "/v1/item", url.Values{"key": {key}}, nonNil(value), expires)
	return s.wrap("put", key, err)
}

// Add implements Store.
func (s *httpStore) Add(ctx context.Context, key string, value []byte, expires time.Time) (bool, error) {
	code, _, err := s.do(ctx, http.MethodPost, "/v1/item", url.Values{"key": {key}, "op": {"add"}}, nonNil(value), expires)
	if err != nil {
		return false, s.wrap("add", key, err)
	}
	return code == http.StatusCreated, nil
}

// Take implements Store.
func (s *httpStore) Take(ctx context.Context, key string) ([]byte, error) {
	_, b, err := s.do(ctx, http.MethodPost, "/v1/item", url.Values{"key": {key}, "op": {"take"}}, nil, time.Time{})
	return b, s.wrap("take", key, err)
}

// Delete implements Store.
func (s *httpStore) Delete(ctx context.Context, key string) error {
	_, _, err := s.do(ctx, http.MethodDelete, "/v1/item", url.Values{"key": {key}}, nil, time.Time{})
	return s.wrap("delete", key, err)
}

// List implements Store.
func (s *httpStore) List(ctx context.Context, prefix string) (map[string][]byte, error) {
	_, b, err := s.do(ctx, http.MethodGet, "/v1/items", url.Values{"prefix": {prefix}}, nil, time.Time{})
	if err != nil {
		return nil, s.wrap("list", prefix, err)
	}
	var l storeList
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, s.wrap("list", prefix, fmt.Errorf("bad answer: %w", err))
	}
	if l.Items == nil {
		l.Items = map[string][]byte{}
	}
	return l.Items, nil
}

// nonNil makes an empty value an empty body: do sends a body only when it is not nil.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
