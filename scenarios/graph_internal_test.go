package scenarios

import (
	"context"
	"testing"
)

// The read-back formats docs/targets.md promises.
func TestParseImported(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []ImportedUser
	}{
		{`["a@x", "b@x"]`, []ImportedUser{{Key: "a@x", Enabled: true}, {Key: "b@x", Enabled: true}}},
		{`[{"userPrincipalName":"a@x","id":"1"},{"id":"2","accountEnabled":false}]`, []ImportedUser{{Key: "a@x", ID: "1", Enabled: true}, {Key: "2", ID: "2", Enabled: false}}},
		{`{"value":[{"userPrincipalName":"a@x","active":false}]}`, []ImportedUser{{Key: "a@x", Enabled: false}}},
		{`{"users":["a@x"]}`, []ImportedUser{{Key: "a@x", Enabled: true}}},
		{"a@x\n\n b@x \n", []ImportedUser{{Key: "a@x", Enabled: true}, {Key: "b@x", Enabled: true}}},
		{"", nil},
	} {
		got, err := parseImported(tc.in)
		if err != "" || len(got) != len(tc.want) {
			t.Errorf("%q: %v %q", tc.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: [%d] = %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
	for _, bad := range []string{`{"value": 3}`, `[{"id": 3}]`, `{`} {
		if _, err := parseImported(bad); err == "" {
			t.Errorf("%q: no error", bad)
		}
	}
}

// A command endpoint: exit status 0 is success, its output what the admin sees.
func TestGraphCommandEndpoint(t *testing.T) {
	ge := GraphEnv{Dir: t.TempDir()}
	if r := ge.call(context.Background(), Endpoint{Command: "echo imported 3"}, "POST"); !r.OK || r.Output != "imported 3\n" {
		t.Errorf("ok command: %+v", r)
	}
	if r := ge.call(context.Background(), Endpoint{Command: "echo consent missing >&2; exit 3"}, "POST"); r.OK || r.Output == "" {
		t.Errorf("failing command: %+v", r)
	}
}
