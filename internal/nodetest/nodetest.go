// Package nodetest runs the Node projects our tests use as oracles (npm packages nobody here
// wrote: @azure/msal-node, passport-wsfed-saml2, scimmy): it finds node and installs a
// project's locked packages once.
//
// A project is a directory under some testdata/ with package.json and package-lock.json
// committed and node_modules git-ignored. Without node or npm, or when npm ci fails, the
// test fails under CI=true (the oracle is part of what CI must show) and is skipped
// otherwise.
package nodetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Node returns the node binary after making sure dir's packages are installed (npm ci when
// dir/node_modules is absent).
func Node(t testing.TB, dir string) string {
	t.Helper()
	unavailable := func(format string, a ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, a...)
		}
		t.Skipf(format, a...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return node
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable("npm is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		unavailable("npm ci in %s: %v\n%s", dir, err, b)
	}
	return node
}
