package scenarios

import (
	"context"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/fixtures/lb/haproxy"
	"github.com/ssoharness/ssoharness/idp"
)

// TestReplicasEnv starts a target's IdP as two replicas behind HAProxy (no browser): requests
// to the public URL alternate between the replicas, Env.Events merges both logs and knows
// which replica logged each event, and a check's requests are found in HAProxy's log by its
// context cookie and by the request IDs of its events.
func TestReplicasEnv(t *testing.T) {
	if _, err := haproxy.Binary(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	tgt := &Target{Name: "replicas", Success: Success{Text: "ok"},
		OIDC: &OIDCTarget{SignIn: []OIDCSignIn{{URL: "http://rp.rp-example.test/login", RedirectURI: "http://rp.rp-example.test/cb"}}},
		IdP:  IdPSide{PublicURL: "http://login.example.test", Replicas: 2}}
	if err := tgt.Validate(); err != nil {
		t.Fatal(err)
	}
	env, err := Start(context.Background(), tgt, StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if len(env.Replicas) != 2 || env.Server != env.Replicas[0] || env.Replicas[0].URL != env.Replicas[1].URL {
		t.Fatalf("replicas %d, URL %s", len(env.Replicas), env.Server.URL)
	}
	// Both replicas were built from one key directory: they publish the same keys.
	k0, k1 := env.Replicas[0].OIDCKeys(env.Tenant.ID), env.Replicas[1].OIDCKeys(env.Tenant.ID)
	if len(k0) == 0 || len(k1) != len(k0) || !k0[0].Cert.Equal(k1[0].Cert) {
		t.Fatal("the replicas do not share their OIDC signing keys")
	}
	// The browser reaches the IdP's host name at the load balancer.
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(env.Hosts["login.example.test"], port))
	}}}
	discovery := env.Server.URL + "/" + env.Tenant.ID + "/v2.0/.well-known/openid-configuration"
	for i := range 4 {
		req, _ := http.NewRequest("GET", discovery, nil)
		if i == 1 {
			req.AddCookie(&http.Cookie{Name: idp.FaultCookie, Value: "ctx-mine"})
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("discovery through the load balancer: %s", resp.Status)
		}
	}
	evs, by := env.replicaEvents()
	var disc []idp.Event
	for _, e := range evs {
		if e.Kind == idp.EventDiscovery {
			disc = append(disc, e)
		}
	}
	if len(disc) != 4 || !slices.IsSortedFunc(evs, func(a, b idp.Event) int { return a.Time.Compare(b.Time) }) {
		t.Fatalf("%d discovery events in the merged log, want 4 in time order", len(disc))
	}
	count := map[string]int{}
	for _, e := range disc {
		count[by[e.ID]]++
	}
	if count["r0"] != 2 || count["r1"] != 2 {
		t.Fatalf("events per replica %v, want 2 and 2", count)
	}
	var log []haproxy.Entry
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && len(log) < 4; time.Sleep(20 * time.Millisecond) {
		log = env.LoadBalancerLog()
	}
	if len(log) != 4 {
		t.Fatalf("HAProxy logged %d requests, want 4", len(log))
	}
	for _, le := range log {
		if by[le.ResponseID] != le.Server {
			t.Errorf("HAProxy says %s served %s, the logs say %s", le.Server, le.ResponseID, by[le.ResponseID])
		}
	}
	// A check's requests: its context's, and those answering its events.
	cr := &checkRun{r: &runner{env: env}, tokens: []string{"ctx-mine"}}
	got := cr.idpRequests([]idp.Event{disc[3]})
	if len(got) != 2 || got[0].RequestID != log[1].ResponseID || got[1].RequestID != disc[3].ID {
		t.Fatalf("the check's requests: %+v", got)
	}
	if env.CAPEM() != nil {
		t.Error("a CA over plain HTTP")
	}
}

// TestReplicasValidate: idp.replicas and idp.loadBalancer out of range name the field.
func TestReplicasValidate(t *testing.T) {
	for _, c := range []struct {
		side IdPSide
		want string
	}{
		{IdPSide{Replicas: 17}, "idp.replicas: 17 replicas"},
		{IdPSide{Replicas: -1}, "idp.replicas: -1 replicas"},
		{IdPSide{Replicas: 2, LoadBalancer: "nginx"}, `idp.loadBalancer: "nginx" is not a load balancer`},
	} {
		tgt := &Target{Name: "x", OIDC: &OIDCTarget{SignIn: []OIDCSignIn{{URL: "http://rp.test/login", RedirectURI: "http://rp.test/cb"}}}, IdP: c.side}
		if err := tgt.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.side, err, c.want)
		}
	}
	ok := &Target{Name: "x", OIDC: &OIDCTarget{SignIn: []OIDCSignIn{{URL: "http://rp.test/login", RedirectURI: "http://rp.test/cb"}}},
		IdP: IdPSide{Replicas: 3, LoadBalancer: "haproxy"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("3 replicas behind haproxy: %v", err)
	}
}
