package reports

// Shard says that a run is one part of a sharded run (`conformance run --shard i/n`): it ran
// only its share of the checks, and `conformance merge` combines the n parts into the run a
// single machine would have made. A merged or unsharded run has none.
type Shard struct {
	// Index is this part, 1 to Count.
	Index int `json:"index"`
	// Count is how many parts the run was split into.
	Count int `json:"count"`
	// Catalog identifies the catalog the parts were planned from (a hash of the program's
	// version and every check of its catalog): parts of one run have the same, and a merge
	// refuses parts planned from different catalogs.
	Catalog string `json:"catalog"`
	// Checks are the keys of every check of the whole run, every part's, in catalog order:
	// what the merged run must hold. The findings among them are judged by the merge, over
	// every part's results, and are in no part's own checks.
	Checks []string `json:"checks"`
	// SignsRequests is the target's claim that the SP signs its SAML AuthnRequests, which
	// the merge judges the SAML request findings with.
	SignsRequests bool `json:"signsRequests,omitempty"`
	// Waived are the findings the target waived (expect: skip), with the target's reason,
	// by check key: the merge reports them as the single run would have.
	Waived map[string]string `json:"waived,omitempty"`
}
