package analyze

import (
	"sort"

	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/plan"

	"github.com/carve-dev/carve/analyze/facts"
)

// whyBus is the placement reason of an in-process event bus.
const whyBus = "in-process event bus: infrastructure every service replaces with a broker client, so its publishes are events, not calls"

// busKernel puts the module's in-process event buses into the kernel (label -1): a service
// publishing through the bus must not depend on whichever service would hold it, and calls
// into it never become network calls. A pin in carve.yaml still wins (pins apply after).
func busKernel(g *graph.Graph, buses []string, labels []int, why []string) {
	for _, b := range buses {
		i, ok := g.Index[b]
		if !ok || g.Info[i].Main {
			continue
		}
		labels[i] = -1
		if i < len(why) {
			why[i] = whyBus
		}
	}
}

// packageTopics merges a package's uses of each topic.
func packageTopics(uses []facts.TopicUse) []plan.PackageTopic {
	if len(uses) == 0 {
		return nil
	}
	type key struct{ system, name, role string }
	byKey := map[key]*plan.PackageTopic{}
	for _, u := range uses {
		k := key{u.System, u.Topic, u.Role}
		t := byKey[k]
		if t == nil {
			t = &plan.PackageTopic{Name: u.Topic, System: u.System, Role: u.Role}
			byKey[k] = t
		}
		for _, s := range u.Sites {
			if len(t.Sites) < facts.MaxSites {
				t.Sites = append(t.Sites, s.String())
			}
		}
	}
	out := make([]plan.PackageTopic, 0, len(byKey))
	for _, t := range byKey {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.System != b.System {
			return a.System < b.System
		}
		return a.Role < b.Role
	})
	return out
}
