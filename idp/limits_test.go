package idp_test

import (
	"net/http"
	"strings"
	"testing"

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
