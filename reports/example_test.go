package reports_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ssoharness/ssoharness/reports"
)

// ExampleWriteAll writes the three reports of a small run, and prints its summary on the
// console as a conformance run does at the end.
func ExampleWriteAll() {
	started := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	run := &reports.Run{
		Tool:     "ssoharness conformance (devel)",
		Target:   reports.Target{Name: "Contoso Expenses", Protocols: []string{"SAML"}},
		IdP:      reports.IdP{URL: "http://127.0.0.1:7443", TenantID: "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"},
		Parallel: 1,
		Started:  started,
		Finished: started.Add(3 * time.Second),
		Checks: []reports.Check{
			{
				ID: "saml.happy.sp-initiated", Protocol: "SAML", Kind: "fault", Expected: "accept",
				Description: "SP-initiated sign-in is accepted.",
				Observed:    "accepted as B.Simon@contoso.com", Status: reports.StatusPass,
				Started: started, DurationMS: 1400,
			},
			{
				ID: "saml.audience.wrong", Protocol: "SAML", Kind: "fault", Expected: "reject",
				Description: "An assertion for another SP is refused.",
				Observed:    "accepted as B.Simon@contoso.com", Status: reports.StatusFail,
				Started: started.Add(1400 * time.Millisecond), DurationMS: 1600,
				Diagnosis: "The SP does not check the assertion's Audience.",
				Fix:       "Compare Audience with the SP's entity ID.",
			},
		},
	}
	run.Recount() // Summary and DurationMS from the checks and the times

	dir, err := os.MkdirTemp("", "ssoharness-report-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	paths, err := reports.WriteAll(dir, run)
	if err != nil {
		log.Fatal(err)
	}

	con := &reports.Console{W: os.Stdout} // reports.NewConsole(os.Stdout) turns colours on in a terminal
	var names []string
	for _, p := range paths.List() {
		names = append(names, filepath.Base(p))
	}
	con.Summary(run, names...)
	fmt.Println("exit code", run.ExitCode())
	// Output:
	//
	// CHECK                STATUS  OBSERVED                         DIAGNOSIS
	// saml.audience.wrong  FAIL    accepted as B.Simon@contoso.com  The SP does not check the assertion's Audience.
	//
	// 2 checks: 1 pass, 1 fail, 0 warn, 0 waived, 0 skip, 0 error in 3.0s
	// FAIL: 1 failed, 0 could not run
	// reports: index.html  junit.xml  report.json
	// exit code 1
}
