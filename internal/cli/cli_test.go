package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

var errTarget = errors.New("target: bad field")

func testProgram() *Program {
	return &Program{
		Name:  "tool",
		Usage: "Usage: tool ...\n",
		Commands: []Command{
			{Name: "ok", Run: func(_ context.Context, args []string, stdout, stderr io.Writer) error {
				fs := NewFlagSet("tool", "ok", "[--n N]", stderr)
				fs.Int("n", 0, "a number")
				return ParseNoArgs(fs, args)
			}},
			{Name: "fail", Run: func(context.Context, []string, io.Writer, io.Writer) error { return errors.New("boom") }},
			{Name: "status", Run: func(context.Context, []string, io.Writer, io.Writer) error { return ExitStatus(1) }},
			{Name: "target", Run: func(context.Context, []string, io.Writer, io.Writer) error { return errTarget }},
			{Name: "panic", Run: func(context.Context, []string, io.Writer, io.Writer) error { panic("oops") }},
		},
		Version: func() string { return "v1.2.3" },
		IsUsage: func(err error) bool { return errors.Is(err, errTarget) },
	}
}

func TestProgramRun(t *testing.T) {
	for _, tc := range []struct {
		args             []string
		code             int
		wantOut, wantErr string
		stderrEmpty      bool
	}{
		{args: nil, code: ExitUsage, wantErr: "Usage: tool"},
		{args: []string{"-h"}, code: ExitOK, wantOut: "Usage: tool"},
		{args: []string{"help"}, code: ExitOK, wantOut: "Usage: tool"},
		{args: []string{"version"}, code: ExitOK, wantOut: "tool v1.2.3\n", stderrEmpty: true},
		{args: []string{"version", "--x"}, code: ExitUsage, wantErr: "tool version: flag provided but not defined: -x"},
		{args: []string{"frob"}, code: ExitUsage, wantErr: `tool frob: unknown command "frob" (want ok, fail, status, target, panic or version; see tool -h)`},
		{args: []string{"ok", "--n", "3"}, code: ExitOK, stderrEmpty: true},
		{args: []string{"ok", "-h"}, code: ExitOK, wantErr: "Usage: tool ok [--n N]"},
		{args: []string{"ok", "--bogus"}, code: ExitUsage, wantErr: "tool ok: flag provided but not defined: -bogus"},
		{args: []string{"ok", "extra"}, code: ExitUsage, wantErr: `tool ok: unexpected argument "extra" (flags start with --)`},
		{args: []string{"fail"}, code: ExitFailure, wantErr: "tool fail: boom\n"},
		{args: []string{"status"}, code: ExitFailure, stderrEmpty: true},
		{args: []string{"target"}, code: ExitUsage, wantErr: "tool target: target: bad field"},
		{args: []string{"panic"}, code: ExitFailure, wantErr: "tool: internal error: oops"},
	} {
		var out, errb bytes.Buffer
		code := testProgram().Run(context.Background(), tc.args, &out, &errb)
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
		}
		if !strings.Contains(out.String(), tc.wantOut) {
			t.Errorf("%q: stdout %q lacks %q", tc.args, out.String(), tc.wantOut)
		}
		if !strings.Contains(errb.String(), tc.wantErr) {
			t.Errorf("%q: stderr %q lacks %q", tc.args, errb.String(), tc.wantErr)
		}
		if tc.stderrEmpty && errb.Len() > 0 {
			t.Errorf("%q: stderr %q, want none", tc.args, errb.String())
		}
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); v == "" || strings.Contains(v, " ") {
		t.Errorf("Version() = %q, want one word", v)
	}
	if v := BuildVersion(); !strings.HasPrefix(v, Version()) || !strings.Contains(v, " go1.") {
		t.Errorf("BuildVersion() = %q, want Version() … goX", v)
	}
}
