package scenarios_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoAADSTSLiterals: what an AADSTS code means to the harness lives in idp's one table
// (idp.LookupError, the Err* sentinels and their Name); no non-test file of this package
// writes a code itself, so a code's meaning cannot drift between the IdP and the judge.
func TestNoAADSTSLiterals(t *testing.T) {
	code := regexp.MustCompile(`AADSTS[0-9]|\b(?:code|Code|ErrorCode)\s*(?:==|!=|:)\s*[0-9]{5,7}\b`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if code.MatchString(line) {
				t.Errorf("%s:%d: an AADSTS code written out (use idp's sentinel or idp.LookupError): %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
