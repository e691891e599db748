package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ssoharness/ssoharness/provision"
)

// cmdProvision is `mockidp provision`: Test Connection and provisioning cycles of one app
// into its SCIM endpoint, without serving; the work is package provision's.
func cmdProvision(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("provision", "--app NAME|APPID [--config FILE] [--cycles 1] [--json]", stderr)
	c.register(fs)
	appName := fs.String("app", "", "the enterprise app with provisioning settings: display name or application ID")
	cycles := fs.Int("cycles", 1, "how many cycles to run after Test Connection (the first is the initial cycle)")
	asJSON := fs.Bool("json", false, "print the test result and the provisioning log as JSON lines")
	if err := c.parse(args); err != nil {
		return err
	}
	if *appName == "" || *cycles < 0 {
		return usagef("--app is required, and --cycles must be 0 or more")
	}
	s, err := c.newOffline()
	if err != nil {
		return err
	}
	svc := provision.New(s)
	tc, err := svc.TestConnection(ctx, *appName)
	if err != nil {
		return usagef("%v", err)
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(tc)
	} else {
		fmt.Fprintf(stdout, "Test Connection: %s\n", tc.Message)
	}
	if !tc.Success {
		return fmt.Errorf("test connection failed: %s", tc.ErrorCode)
	}
	for i := 0; i < *cycles; i++ {
		log, err := svc.Cycle(ctx, *appName)
		if err != nil {
			return err
		}
		if *asJSON {
			for _, e := range log {
				json.NewEncoder(stdout).Encode(e)
			}
			continue
		}
		provision.WriteLog(stdout, log)
	}
	return nil
}
