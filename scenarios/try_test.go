package scenarios

import (
	"context"
	"os"
	"testing"

	"github.com/ssoharness/ssoharness/reports"
)

func TestTry(t *testing.T) {
	env, _, err := StartReferenceEnv(context.Background(), ReferenceOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	dir := t.TempDir()
	con := reports.NewConsole(os.Stdout)
	run, err := Run(context.Background(), env, Options{Parallel: 2, ReportDir: dir, Only: onlyEnv(), Progress: con.Progress})
	if err != nil {
		t.Fatal(err)
	}
	con.Summary(run)
}

func onlyEnv() []string {
	if v := os.Getenv("ONLY"); v != "" {
		return []string{v}
	}
	return nil
}
