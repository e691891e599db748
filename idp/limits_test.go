package idp_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestServerHeaderLimit: headers over MaxHeaderBytes are refused by the server (431) before
// any handler runs; headers a browser sends with a long sign-in URL are not.
func TestServerHeaderLimit(t *testing.T) {
	srv := idptest.Start(t)
	for _, tc := range []struct {
		header int
		want   int
	}{
		{16 << 10, http.StatusOK},
		{idp.MaxHeaderBytes + 8<<10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/_mockidp/ready", nil)
		req.Header.Set("Cookie", "x="+strings.Repeat("c", tc.header))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%d-byte header: %d, want %d", tc.header, resp.StatusCode, tc.want)
		}
	}
}

// TestIdPInitiatedRefusesOversizedValues: the User access URL refuses a login_hint (or any
// value) over 8 KiB with AADSTS90015 instead of keeping it in a sign-in flow for 30 minutes —
// the memory bound (cmd/mockidp TestServeRSSOversized) saw 2,000 such 200 KB hints hold
// 400 MiB. A hint of ordinary length still reaches the sign-in page.
func TestIdPInitiatedRefusesOversizedValues(t *testing.T) {
	srv := idptest.Start(t)
	tn := srv.Config().Tenants[0]
	base := srv.URL + "/myapps/signin/" + tn.EnterpriseApps[0].AppID + "?tenantId=" + tn.ID
	for _, tc := range []struct {
		hint string
		want int
	}{
		{"B.Simon@contoso.com", http.StatusOK},
		{strings.Repeat("h", 200<<10), http.StatusBadRequest},
	} {
		srv.ResetEvents()
		resp, err := http.Get(base + "&login_hint=" + tc.hint)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("login_hint of %d bytes: %d, want %d", len(tc.hint), resp.StatusCode, tc.want)
		}
		if tc.want != http.StatusOK {
			if evs := srv.Events(); len(evs) != 1 || evs[0].ErrorCode != 90015 {
				t.Errorf("login_hint of %d bytes: events %+v, want one AADSTS90015", len(tc.hint), evs)
			}
		}
	}
}

// TestPendingFlowsNotKept: a sign-in in progress is sealed into its page's ctx, so the server
// keeps nothing per flow and needs no bound (it once kept each flow, with its request's
// values, for 30 minutes, and had to drop the oldest past 1,000: a flood of authorize requests
// with 8 KiB values held ~30 KiB of heap each, found with cmd/mockidp TestServeRSSOversized).
// The oldest of 1,001 open flows still works; a flow past its 30 minutes gets AADSTS50089.
func TestPendingFlowsNotKept(t *testing.T) {
	srv := idptest.Start(t)
	tn := srv.Config().Tenants[0]
	authorize := "/" + tn.ID + "/oauth2/v2.0/authorize?" + url.Values{"client_id": {tn.AppRegistrations[0].AppID},
		"redirect_uri": {"http://localhost:8080/signin-oidc"}, "response_type": {"code"}, "scope": {"openid"}}.Encode()
	ctxRE := regexp.MustCompile(`name="ctx" value="([^"]+)"`)
	var cookie string
	var ctxs []string
	for i := range 1001 {
		req := httptest.NewRequest("GET", authorize, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if c.Name == "esctx" {
				cookie = "esctx=" + c.Value
			}
		}
		m := ctxRE.FindStringSubmatch(rec.Body.String())
		if m == nil {
			t.Fatalf("request %d: no sign-in page (%d)", i, rec.Code)
		}
		ctxs = append(ctxs, html.UnescapeString(m[1]))
	}
	post := func(ctx string) int {
		srv.ResetEvents()
		req := httptest.NewRequest("POST", "/"+tn.ID+"/login", strings.NewReader(url.Values{"ctx": {ctx}, "login": {"B.Simon@contoso.com"}, "step": {"email"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		srv.ServeHTTP(httptest.NewRecorder(), req)
		if evs := srv.Events(); len(evs) > 0 {
			return evs[len(evs)-1].ErrorCode
		}
		return 0
	}
	if code := post(ctxs[0]); code != 0 {
		t.Errorf("the oldest of 1,001 flows: AADSTS%d, want it usable (nothing is dropped)", code)
	}
	if code := post(ctxs[len(ctxs)-1]); code != 0 {
		t.Errorf("the newest flow: AADSTS%d, want it usable", code)
	}
	srv.Clock().Advance(31 * time.Minute)
	defer srv.Clock().Advance(-31 * time.Minute)
	if code := post(ctxs[len(ctxs)-1]); code != 50089 {
		t.Errorf("a flow after 31 minutes: AADSTS%d, want 50089 (expired)", code)
	}
}
