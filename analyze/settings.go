package analyze

import "slices"

// usedWeights is the part of weights a plan records in its settings: the signals with a weight
// above 0 that were collected (all of them when collected is nil: unknown), so that a weight
// given to a signal that never ran (co-change, off by default) does not claim it was used.
func usedWeights(weights map[string]float64, collected []string) map[string]float64 {
	out := make(map[string]float64, len(weights))
	for s, w := range weights {
		if w > 0 && (collected == nil || slices.Contains(collected, s)) {
			out[s] = w
		}
	}
	return out
}
