// Package refgraph is the reference Microsoft Graph user importer: the app side of
// bvoip's "Import Microsoft 365 users" (an app registration with the application
// permission User.Read.All and admin consent, reading /users with client credentials). The
// strict importer does what Microsoft Graph's paging and throttling guidance asks; weak
// variants (weakness.go) each leave one thing out, as the oracle of the graph.* checks.
//
// It exposes an import trigger (POST /import) and a read-back of who was imported (GET
// /users) over HTTP: a conformance target's graph section points at them.
package refgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2/clientcredentials"
)

// Options configure an importer.
type Options struct {
	// TokenURL is the tenant's v2.0 token endpoint (…/{tenant}/oauth2/v2.0/token).
	TokenURL string
	// GraphURL is Microsoft Graph's root (https://graph.microsoft.com, or the mock's URL).
	GraphURL string
	// ClientID and ClientSecret are the app registration's credentials.
	ClientID, ClientSecret string
	// Top is the page size asked for with $top (default 10, so that a small directory
	// already has several pages).
	Top int
	// Weakness selects a weak variant ("" strict).
	Weakness Weakness
	// HTTP is the client for the token endpoint and Graph (default http.DefaultClient).
	HTTP *http.Client
	// MaxAttempts bounds the attempts per page on 429 and 503 (default 5).
	MaxAttempts int
}

// User is one imported user.
type User struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	// AccountEnabled is the state the app gave the user.
	AccountEnabled bool `json:"accountEnabled"`
}

// Importer imports the directory's users; each import replaces the previous one's set.
type Importer struct {
	o Options

	mu      sync.Mutex
	users   []User
	lastErr string
}

// New makes an importer.
func New(o Options) (*Importer, error) {
	if o.TokenURL == "" || o.GraphURL == "" || o.ClientID == "" {
		return nil, errors.New("refgraph: tokenURL, graphURL and clientID are required")
	}
	if !Valid(o.Weakness) {
		return nil, fmt.Errorf("refgraph: unknown weakness %q", o.Weakness)
	}
	if o.Top <= 0 {
		o.Top = 10
	}
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	o.GraphURL = strings.TrimSuffix(o.GraphURL, "/")
	return &Importer{o: o}, nil
}

// graphError is a Graph answer other than 200, with Graph's error envelope.
type graphError struct {
	Status     int
	Code, Msg  string
	RetryAfter time.Duration // 0: none given
}

func (e *graphError) Error() string {
	s := fmt.Sprintf("Microsoft Graph answered %d %s: %s", e.Status, e.Code, e.Msg)
	if e.Status == http.StatusForbidden {
		s += " (the app registration needs the application permission User.Read.All with admin consent granted: Entra admin center → App registrations → API permissions → Grant admin consent)"
	}
	return s
}

// Import lists the users of the directory and replaces the imported set. An error leaves
// the previous set and is what the admin sees.
func (im *Importer) Import(ctx context.Context) ([]User, error) {
	users, err := im.list(ctx)
	im.mu.Lock()
	defer im.mu.Unlock()
	if err != nil {
		im.lastErr = err.Error()
		return nil, err
	}
	if im.o.Weakness == KeepDeleted {
		users = merge(im.users, users)
	}
	im.users, im.lastErr = users, ""
	return users, nil
}

// merge is old with the users of add not in it (by object ID): keep-deleted's import.
func merge(old, add []User) []User {
	out := append([]User(nil), old...)
	for _, u := range add {
		if !slices.ContainsFunc(out, func(x User) bool { return x.ID == u.ID }) {
			out = append(out, u)
		}
	}
	return out
}

// Users is the set of the last successful import.
func (im *Importer) Users() []User {
	im.mu.Lock()
	defer im.mu.Unlock()
	return append([]User(nil), im.users...)
}

// list fetches a fresh app-only token (so that a consent change shows at the next import)
// and follows @odata.nextLink to the last page. It asks for @odata.count ($count=true with
// ConsistencyLevel: eventual): a listing that ends with fewer users than the count said is
// listed once more, then reported, rather than imported short.
func (im *Importer) list(ctx context.Context) ([]User, error) {
	cc := clientcredentials.Config{ClientID: im.o.ClientID, ClientSecret: im.o.ClientSecret, TokenURL: im.o.TokenURL,
		Scopes: []string{"https://graph.microsoft.com/.default"}}
	tok, err := cc.Token(context.WithValue(ctx, oauth2HTTPClient, im.o.HTTP))
	if err != nil {
		return nil, fmt.Errorf("get a token for Microsoft Graph: %w", err)
	}
	for attempt := 1; ; attempt++ {
		users, got, want, err := im.listOnce(ctx, tok.AccessToken)
		if err != nil || got >= want || im.o.Weakness == TrustShortPage || im.o.Weakness == FirstPageOnly {
			return users, err
		}
		if attempt == 2 {
			return nil, fmt.Errorf("Microsoft Graph's user listing ended after %d of the %d users its @odata.count announced, twice; nothing was imported, try again later", got, want)
		}
	}
}

// listOnce reads the listing once: the users to import, how many users the pages held, and
// the @odata.count of the first page.
func (im *Importer) listOnce(ctx context.Context, token string) (out []User, got, want int, err error) {
	next := im.o.GraphURL + "/v1.0/users?$select=id,userPrincipalName,accountEnabled,userType&$count=true&$top=" + strconv.Itoa(im.o.Top)
	for first := true; next != ""; first = false {
		var page struct {
			Count *int `json:"@odata.count"`
			Value []struct {
				ID                string `json:"id"`
				UserPrincipalName string `json:"userPrincipalName"`
				AccountEnabled    *bool  `json:"accountEnabled"`
			} `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := im.get(ctx, token, next, &page); err != nil {
			var ge *graphError
			if im.o.Weakness == SilentOn403 && errors.As(err, &ge) && ge.Status == http.StatusForbidden {
				return out, 0, 0, nil // the weakness: "no users" looks like a successful import
			}
			return nil, 0, 0, err
		}
		if first && page.Count != nil {
			want = *page.Count
		}
		got += len(page.Value)
		for _, u := range page.Value {
			enabled := u.AccountEnabled == nil || *u.AccountEnabled
			if !enabled && im.o.Weakness != ImportDisabled {
				continue // a disabled account gets no seat in the app
			}
			out = append(out, User{ID: u.ID, UserPrincipalName: u.UserPrincipalName, AccountEnabled: true})
		}
		next = page.NextLink
		if im.o.Weakness == FirstPageOnly {
			next = ""
		}
	}
	return out, got, want, nil
}

// get GETs one Graph URL into v, retrying 429 and 503 as Graph's throttling guidance asks:
// wait Retry-After when given, else back off exponentially.
func (im *Importer) get(ctx context.Context, token, u string, v any) error {
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		err := im.getOnce(ctx, token, u, v)
		var ge *graphError
		if !errors.As(err, &ge) || (ge.Status != http.StatusTooManyRequests && ge.Status != http.StatusServiceUnavailable) {
			return err
		}
		if im.o.Weakness == NoRetry || attempt >= im.o.MaxAttempts {
			return err
		}
		wait := ge.RetryAfter
		if wait == 0 {
			wait, backoff = backoff, backoff*2
		}
		if im.o.Weakness == IgnoreRetryAfter {
			wait = 50 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// getOnce is one GET.
func (im *Importer) getOnce(ctx context.Context, token, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("ConsistencyLevel", "eventual") // $count needs it
	resp, err := im.o.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		ge := &graphError{Status: resp.StatusCode}
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(body, &env)
		ge.Code, ge.Msg = env.Error.Code, env.Error.Message
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			ge.RetryAfter = time.Duration(s) * time.Second
		}
		return ge
	}
	return json.Unmarshal(body, v)
}

// Handler serves the trigger and the read-back: POST /import runs an import (200 with the
// count, or 502 with the error for the admin), GET /users lists the imported users as JSON.
func (im *Importer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /import", func(w http.ResponseWriter, r *http.Request) {
		users, err := im.Import(r.Context())
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "Import from Microsoft 365 failed: " + err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]int{"imported": len(users)})
	})
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(im.Users())
	})
	return mux
}
