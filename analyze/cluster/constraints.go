package cluster

import (
	"maps"
	"slices"
)

// Constraints are a config resolved against the module's packages (indexes into pkgGraph.paths).
type Constraints struct {
	Pin     []string // service name per package, "" if not pinned
	PinLine []int
	Kernel  []bool
	// Root, Tool and Main are the packages carve.yaml declares composition roots, tools and
	// service mains.
	Root, Tool, Main []bool
	Together         [][]int // groups that must share a service
	Apart            [][2]int
	// ApartLine is the carve.yaml line of each apart pair, for messages.
	ApartLine []int
}

// WithoutPlacements returns the constraints less the pins and kernel marks, which Propose
// applies over the proposal (applyPins) rather than into it.
func (c *Constraints) WithoutPlacements() *Constraints {
	out := *c
	out.Pin = make([]string, len(c.Pin))
	out.PinLine = make([]int, len(c.PinLine))
	out.Kernel = make([]bool, len(c.Kernel))
	return &out
}

// ApplyPins puts each pinned package into its service — the proposed service of that name when
// there is one, else a new one — and each package marked kernel into the kernel; a group kept
// together follows its pinned member. Labels are renumbered densely; names follow.
func ApplyPins(labels []int, names map[int]string, cons *Constraints) ([]int, map[int]string) {
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
		case cons.Kernel[i]:
			out[i] = -1
		case cons.Pin[i] != "":
			l, ok := byName[cons.Pin[i]]
			if !ok {
				l = next
				next++
				byName[cons.Pin[i]] = l
				named[l] = cons.Pin[i]
			}
			out[i] = l
		}
	}
	for _, grp := range cons.Together {
		for _, i := range grp {
			if cons.Pin[i] == "" {
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
