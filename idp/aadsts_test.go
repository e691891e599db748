package idp

import (
	"errors"
	"strings"
	"testing"
)

// TestAADSTSTable: every row of the AADSTS table is complete, a row that names a check has a
// fix, and an error built from a row matches its sentinel with errors.Is.
func TestAADSTSTable(t *testing.T) {
	if len(aadsts) == 0 {
		t.Fatal("empty AADSTS table")
	}
	for code, i := range aadsts {
		if i.Code != code || i.Sentinel == nil || i.Sentinel.Code != code || i.Sentinel.Message != "" {
			t.Errorf("%d: row %+v: code and sentinel disagree", code, i)
		}
		if i.OAuth == "" || i.Status == 0 || i.Message == "" {
			t.Errorf("%s: no OAuth error, status or message", i.Name())
		}
		if (i.Check == "") != (i.Fix == "") || (i.Check != "" && !strings.HasPrefix(i.Check, "config.") && !strings.HasPrefix(i.Check, "saml.request.")) {
			t.Errorf("%s: check %q, fix %q: want both or neither, and a config check (or a finding on the SP's requests)", i.Name(), i.Check, i.Fix)
		}
		if got, ok := LookupError(code); !ok || got.Code != code {
			t.Errorf("LookupError(%d) = %+v, %v", code, got, ok)
		}
		e := i.Sentinel.with(make([]any, strings.Count(i.Message, "%s"))...)
		if !errors.Is(e, i.Sentinel) || e.Name() != i.Name() || e.OAuth != i.OAuth || e.Status != i.Status {
			t.Errorf("%s: built %+v", i.Name(), e)
		}
	}
	if _, ok := LookupError(1); ok {
		t.Error("LookupError(1): want not found")
	}
	if i := (&Error{Code: 1}).Info(); i.Code != 1 || i.Sentinel == nil || i.OAuth != "" {
		t.Errorf("Info of a code not in the table: %+v", i)
	}
	if got := ErrReplyURLMismatch.Info().Name(); got != "AADSTS50011" {
		t.Errorf("Name: %s", got)
	}
}
