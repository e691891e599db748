// Package reports renders the result of one conformance run — the [Run] of the harness that
// drives a browser between a mock Microsoft Entra ID and a service provider — into the four
// reports a user reads:
//
//   - the console: a header, one progress line per finished check and a summary table
//     ([Console]);
//   - JUnit XML for CI test tabs (Jenkins, GitLab, GitHub) ([WriteJUnit]);
//   - JSON, with a JSON Schema (draft 2020-12) to validate and consume it ([WriteJSON],
//     [ReadJSON], [Schema], [ValidateJSON]);
//   - one self-contained HTML page, screenshots inlined, no external resource ([WriteHTML]).
//
// Every report is rendered from the same [Run]; [WriteAll] writes the three files of a run
// into one directory.
//
// # Quick start
//
//	con := reports.NewConsole(os.Stdout)
//	run := &reports.Run{Tool: "ssoharness conformance", Target: target, IdP: idp, Parallel: 4, Started: time.Now()}
//	con.Start(run, len(catalog))
//	for i, c := range results { // as checks finish, possibly from several goroutines
//		run.Checks = append(run.Checks, c)
//		con.Progress(c, i+1, len(catalog))
//	}
//	run.Finished = time.Now()
//	run.DurationMS = run.Finished.Sub(run.Started).Milliseconds()
//	run.Recount()
//	paths, err := reports.WriteAll("ssoharness-report", run)
//	if err != nil {
//		log.Fatal(err)
//	}
//	con.Summary(run, paths.List()...)
//	os.Exit(run.ExitCode())
//
// Screenshots are PNG files the harness writes under the report directory; [Step.Screenshot]
// holds their path relative to it, and the HTML report inlines them as data: URIs so that
// index.html can be mailed or archived alone.
package reports
