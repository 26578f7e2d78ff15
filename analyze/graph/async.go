package graph

import (
	"maps"
	"slices"

	"github.com/carve-dev/carve/analyze/facts"
)

// buildAsync records the async couplings: for every topic, each package publishing it to each
// other package consuming it, weighted w × damp(topics shared). It also fills g.Topics.
func (g *Graph) buildAsync(f *facts.Facts, w float64, edge func(a, b int) *dirEdge) {
	g.Topics = make([][]facts.TopicUse, len(g.Paths))
	type topicKey struct{ system, name string }
	pubs, subs := map[topicKey][]int{}, map[topicKey][]int{}
	for _, t := range f.Topics {
		i, ok := g.Index[t.Package]
		if !ok {
			continue
		}
		g.Topics[i] = append(g.Topics[i], t)
		k := topicKey{t.System, t.Topic}
		switch t.Role {
		case facts.Publish:
			if !slices.Contains(pubs[k], i) {
				pubs[k] = append(pubs[k], i)
			}
		case facts.Consume:
			if !slices.Contains(subs[k], i) {
				subs[k] = append(subs[k], i)
			}
		}
	}
	touched := map[*dirEdge]bool{}
	for _, k := range slices.SortedFunc(maps.Keys(pubs), func(a, b topicKey) int {
		if a.system != b.system {
			return cmpString(a.system, b.system)
		}
		return cmpString(a.name, b.name)
	}) {
		for _, p := range pubs[k] {
			for _, c := range subs[k] {
				if p == c {
					continue
				}
				e := edge(p, c)
				e.async++
				touched[e] = true
			}
		}
	}
	for e := range touched {
		e.asyncW = w * damp(e.async)
	}
}

// Entry reports whether package i is an entry point of the module: it serves routes or
// consumes a topic (a message handler starts work the way a request does).
func (g *Graph) Entry(i int) bool {
	if len(g.Routes[i]) > 0 {
		return true
	}
	if i < len(g.Topics) {
		for _, t := range g.Topics[i] {
			if t.Role == facts.Consume {
				return true
			}
		}
	}
	return false
}
