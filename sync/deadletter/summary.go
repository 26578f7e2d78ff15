package deadletter

// ReplaySchema is the version of the JSON summary of a replay (ReplaySummary), which
// `carve sync replay-dead-letters` prints on stdout.
const ReplaySchema = "carve.sync.replay/v1"

// ReplaySummary is a ReplayResult as a versioned JSON document.
type ReplaySummary struct {
	Schema string `json:"schema"`
	*ReplayResult
}

// Summary returns r as its JSON document.
func (r *ReplayResult) Summary() ReplaySummary {
	return ReplaySummary{Schema: ReplaySchema, ReplayResult: r}
}
