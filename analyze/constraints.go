package analyze

import (
	"maps"
	"slices"
)

// constraints are a config resolved against the module's packages (indexes into pkgGraph.paths).
type constraints struct {
	pin     []string // service name per package, "" if not pinned
	pinLine []int
	kernel  []bool
	// root, tool and main are the packages carve.yaml declares composition roots, tools and
	// service mains.
	root, tool, main []bool
	together         [][]int // groups that must share a service
	apart            [][2]int
	// apartLine is the carve.yaml line of each apart pair, for messages.
	apartLine []int
}

// withoutPlacements returns the constraints less the pins and kernel marks, which Propose
// applies over the proposal (applyPins) rather than into it.
func (c *constraints) withoutPlacements() *constraints {
	out := *c
	out.pin = make([]string, len(c.pin))
	out.pinLine = make([]int, len(c.pinLine))
	out.kernel = make([]bool, len(c.kernel))
	return &out
}

// applyPins puts each pinned package into its service — the proposed service of that name when
// there is one, else a new one — and each package marked kernel into the kernel; a group kept
// together follows its pinned member. Labels are renumbered densely; names follow.
func applyPins(labels []int, names map[int]string, cons *constraints) ([]int, map[int]string) {
	out := slices.Clone(labels)
	byName := map[string]int{}
	next := 0
	for l, n := range names {
		byName[n] = l
		next = max(next, l+1)
	}
	for _, l := range labels {
		next = max(next, l+1)
	}
	named := maps.Clone(names)
	for i := range out {
		switch {
		case cons.kernel[i]:
			out[i] = -1
		case cons.pin[i] != "":
			l, ok := byName[cons.pin[i]]
			if !ok {
				l = next
				next++
				byName[cons.pin[i]] = l
				named[l] = cons.pin[i]
			}
			out[i] = l
		}
	}
	for _, grp := range cons.together {
		for _, i := range grp {
			if cons.pin[i] == "" {
				continue
			}
			for _, j := range grp {
				out[j] = out[i]
			}
			break
		}
	}
	dense := normalize(out)
	final := map[int]string{}
	for i, l := range dense {
		if l >= 0 {
			final[l] = named[out[i]]
		}
	}
	return dense, final
}
