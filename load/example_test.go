package load_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/load"
)

// Whole sign-ins against a mock IdP in this process, SAML then OIDC, for a fraction of a
// second each. Speed is printed by Result's String, never asserted; what does not vary is
// that every sign-in succeeded and how many signatures each one took (the mock signs the
// assertion only; the token endpoint signs an ID token and an access token).
func ExampleRun() {
	srv, err := idp.NewServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	res, err := load.Run(context.Background(), load.Options{
		Protocols:     []load.Protocol{load.ProtocolSAML, load.ProtocolOIDC},
		Concurrency:   2,
		Duration:      300 * time.Millisecond,
		Warmup:        100 * time.Millisecond,
		Server:        load.Server{URL: srv.URL, PID: os.Getpid()},
		SignatureCost: time.Millisecond, // skip measuring it
	})
	if err != nil {
		panic(err)
	}
	for _, r := range res.Runs {
		fmt.Println(r.Protocol, r.SignIns > 0, r.Errors, r.SigsMin, r.SigsMax)
	}
	// Output:
	// saml true 0 1 1
	// oidc true 0 2 2
}
