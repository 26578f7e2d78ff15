package backfill

// SummarySchema is the version of the JSON summary of a backfill (Summary), which
// `carve sync backfill` prints on stdout.
const SummarySchema = "carve.sync.backfill/v1"

// Summary is a backfill's Result as a versioned JSON document.
type Summary struct {
	Schema  string `json:"schema"`
	Scanned int64  `json:"scanned"`
	// Written, Stale, Failed and Repaired are per pipeline, as in Result.
	Written  map[string]int64 `json:"written"`
	Stale    map[string]int64 `json:"stale"`
	Failed   map[string]int64 `json:"failed"`
	Repaired map[string]int64 `json:"repaired"`
	Version  string           `json:"version"`
}

// Summary returns r as its JSON document.
func (r *Result) Summary() Summary {
	return Summary{Schema: SummarySchema, Scanned: r.Scanned, Written: r.Written, Stale: r.Stale,
		Failed: r.Failed, Repaired: r.Repaired, Version: r.Version}
}
