package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreFlags checks the usage errors of store and serve's replica flags: exit status 2
// with a message naming the flag.
func TestStoreFlags(t *testing.T) {
	short := filepath.Join(t.TempDir(), "short.key")
	if err := os.WriteFile(short, []byte("too short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"store", "--addr", "0.0.0.0:0", "--token", ""}, "--addr 0.0.0.0:0 is reachable from other machines: give --token"},
		{[]string{"store", "--addr", "nonsense"}, `--addr "nonsense": want host:port`},
		{[]string{"store", "extra"}, "extra"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--key-dir", "", "--store-token", "x"}, "--store-token needs --store"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--key-dir", "", "--store", "127.0.0.1:7070"}, "want the http:// URL"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--key-dir", "", "--state-key-file", short}, "need at least 32"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--key-dir", "", "--state-key-file", filepath.Join(t.TempDir(), "missing")}, "--state-key-file"},
	}
	t.Setenv(storeTokenEnv, "")
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := program.Run(context.Background(), c.args, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("mockidp %s: exit %d, stderr %q; want %d and %q", strings.Join(c.args, " "), code, errb.String(), exitUsage, c.want)
		}
	}
	// A store that does not answer is a runtime failure, named.
	var out, errb bytes.Buffer
	code := program.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--key-dir", "", "--store", "http://127.0.0.1:1"}, &out, &errb)
	if code != exitFailure || !strings.Contains(errb.String(), "--store: the store does not answer") {
		t.Errorf("unreachable store: exit %d, stderr %q", code, errb.String())
	}
}
