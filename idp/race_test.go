package idp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestRaceControlSignInsLog drives the control API (arming, listing, disarming), SAML
// sign-ins that take the armed faults, and the sign-in log at once. Its point is the -race
// build (go test -race ./idp -run TestRaceControlSignInsLog): the control API once copied an
// armed fault without the lock while a sign-in counted its use under it.
func TestRaceControlSignInsLog(t *testing.T) {
	sp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "SP reached") }))
	t.Cleanup(sp.Close)
	cfg := idp.DefaultConfig()
	app := cfg.Tenants[0].EnterpriseApps[0]
	app.SAML.Identifiers = []idp.Identifier{{Value: "https://sp.example.test/saml/metadata", Default: true}}
	app.SAML.ReplyURLs = []idp.ReplyURL{{URL: sp.URL + "/saml/acs", Default: true}}
	const token = "race-test-control-token"
	cfg.ControlAPI = &idp.ControlAPI{Token: token}
	srv := idptest.Start(t, idp.WithConfig(cfg), idp.WithClock(idp.NewFrozenClock(faultClockAt)), idp.WithRand(idp.NewSeededRand(11)))
	rig := &faultRig{srv: srv, tenant: srv.Config().Tenants[0], app: srv.Config().Tenants[0].EnterpriseApps[0],
		reg: srv.Config().Tenants[0].AppRegistrations[0], sp: sp}

	// Everything goes to the server in-process (ServeHTTP), not through sockets: under -race
	// every socket write happens-before every later socket read (internal/poll's ioSync),
	// which orders an unlocked read in one handler before every later request and so hides
	// it from the detector.
	direct := inProcess{srv: srv}
	control := func(method, path, body string) int {
		req := httptest.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	// Arming: one fault at a time, for one sign-in, then a pause with no synchronisation at
	// all (a sleep) in which the sign-ins take it — so that a sign-in counts the use of the
	// fault the control API has just handed out while nothing orders the two.
	wg.Go(func() {
		defer done.Store(true)
		for range 40 {
			if c := control("POST", "/_mockidp/faults/armed", `{"fault":"saml.audience.wrong","count":1}`); c != http.StatusCreated {
				t.Errorf("arm: %d", c)
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	})
	// Sign-ins, from three browsers at once, while faults are being armed.
	for w := range 3 {
		wg.Go(func() {
			for i := 0; !done.Load() && i < 500; i++ {
				rig.samlSignIn(t, idptest.NewBrowser(&http.Client{Transport: direct}), w*1000+i)
			}
		})
	}
	// The log, read as the harness reads it.
	wg.Go(func() {
		for !done.Load() {
			req := httptest.NewRequest("GET", srv.URL+"/_mockidp/signins", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			srv.ServeHTTP(httptest.NewRecorder(), req)
			time.Sleep(5 * time.Millisecond)
		}
	})
	wg.Wait()
	n := 0
	for _, ev := range srv.Events() {
		if ev.Fault != nil {
			n++
		}
	}
	if n == 0 {
		t.Error("no sign-in took an armed fault: the test drove nothing concurrently")
	}
	t.Logf("%d of %d logged requests had a fault", n, len(srv.Events()))
	if c := control("DELETE", "/_mockidp/faults/armed", ""); c != http.StatusNoContent {
		t.Errorf("disarm all: %d", c)
	}
}

// inProcess is an http.RoundTripper that hands requests for srv to its ServeHTTP and the
// rest (the SP) to the default transport.
type inProcess struct{ srv *idp.Server }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if "http://"+r.URL.Host != p.srv.URL {
		return http.DefaultTransport.RoundTrip(r)
	}
	rec := httptest.NewRecorder()
	p.srv.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
