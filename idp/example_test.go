package idp_test

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ssoharness/ssoharness/idp"
)

// A mock IdP with the default directory, a frozen clock and deterministic IDs, serving the
// app's federation metadata.
func ExampleNewServer() {
	srv, err := idp.NewServer(
		idp.WithClock(idp.NewFrozenClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))),
		idp.WithRand(idp.NewSeededRand(1)),
	)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	tenant := srv.Config().Tenants[0]
	app := tenant.EnterpriseApps[0]
	resp, err := srv.Client().Get(srv.MetadataURL(tenant, app))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.HasPrefix(string(body), "\ufeff<?xml"))
	fmt.Println(idp.EntityID(tenant))
	// Output:
	// 200 true
	// https://sts.windows.net/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/
}
