package scenarios_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// TestReplayRealSPEvidence replays the evidence recorded from each real SP (Shibboleth SP,
// mod_auth_mellon, mod_auth_openidc, oauth2-proxy: written by `go test
// ./fixtures/sp/apache -run TestRealSP -update`) through the judge, without a browser or
// the SPs: every recorded verdict must come out again, so a change to the judge shows at
// once what it changes on real SPs.
func TestReplayRealSPEvidence(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "real-sps", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("want the recorded evidence of 4 real SPs in testdata/real-sps, found %v", files)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var recs []scenarios.RecordedCheck
			if err := json.Unmarshal(b, &recs); err != nil {
				t.Fatal(err)
			}
			judged := map[reports.Status]int{}
			for _, rc := range recs {
				f, ok := idp.LookupFault(idp.FaultID(rc.ID))
				if !ok {
					t.Errorf("%s: not in the catalog", rc.ID)
					continue
				}
				ev, err := scenarios.EvidenceOf(reports.Check{ID: rc.ID, Evidence: rc.Evidence})
				if err != nil || ev == nil {
					t.Errorf("%s: %v", rc.ID, err)
					continue
				}
				v := scenarios.Judge(&f, *ev, rc.Override)
				if v.Status != rc.Status {
					t.Errorf("%s: the judge says %s over the recorded evidence, the run said %s (%s%s)", rc.ID, v.Status, rc.Status, v.Diagnosis, v.Reason)
				}
				judged[v.Status]++
			}
			t.Logf("%d fault checks replayed: %v", len(recs), judged)
		})
	}
}
