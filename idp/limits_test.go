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
