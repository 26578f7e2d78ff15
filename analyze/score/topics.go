package score

import (
	"slices"
	"sort"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/plan"
)

// scoreTopics recomputes the plan's topics, each service's event contracts (the topics it
// publishes and consumes) and the async edges between services from p.Packages, where label[i]
// is package i's service index in p.Services (negative: kernel or outside every service).
func scoreTopics(p *plan.Plan, label []int) {
	tl := topicTally{byKey: map[plan.TopicRef]*topicAcc{}, pubs: make([]map[plan.TopicRef]bool, len(p.Services)), subs: make([]map[plan.TopicRef]bool, len(p.Services))}
	for i, pkg := range p.Packages {
		for _, t := range pkg.Topics {
			tl.add(pkg.Path, label[i], t)
		}
	}
	for s := range p.Services {
		p.Services[s].Publishes = sortedRefs(tl.pubs[s])
		p.Services[s].Consumes = sortedRefs(tl.subs[s])
	}
	p.Topics = nil
	edges := map[[2]int][]string{}
	for _, a := range tl.byKey {
		sort.Strings(a.t.Publishers)
		sort.Strings(a.t.Consumers)
		a.t.Publishers = slices.Compact(a.t.Publishers)
		a.t.Consumers = slices.Compact(a.t.Consumers)
		sort.Strings(a.t.Sites)
		p.Topics = append(p.Topics, a.t)
		name := plan.TopicRef{Name: a.t.Name, System: a.t.System}.String()
		for from := range a.pubs {
			for to := range a.subs {
				if from != to {
					edges[[2]int{from, to}] = append(edges[[2]int{from, to}], name)
				}
			}
		}
	}
	sort.Slice(p.Topics, func(i, j int) bool {
		a, b := p.Topics[i], p.Topics[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.System < b.System
	})
	p.AsyncEdges = asyncEdges(p, edges)
}

// topicAcc is one topic as the plan's packages use it, with the services (indexes) publishing
// and consuming it.
type topicAcc struct {
	t          plan.Topic
	pubs, subs map[int]bool
}

// topicTally gathers the topics of the plan's packages: per topic, and per service the topics
// it publishes and consumes.
type topicTally struct {
	byKey      map[plan.TopicRef]*topicAcc
	pubs, subs []map[plan.TopicRef]bool
}

// add records one topic use of package path, in service l (-1: none, a kernel package).
func (tl *topicTally) add(path string, l int, t plan.PackageTopic) {
	k := plan.TopicRef{Name: t.Name, System: t.System}
	a := tl.byKey[k]
	if a == nil {
		a = &topicAcc{t: plan.Topic{Name: t.Name, System: t.System, Publishers: []string{}, Consumers: []string{}}, pubs: map[int]bool{}, subs: map[int]bool{}}
		tl.byKey[k] = a
	}
	switch t.Role {
	case facts.Publish:
		a.t.Publishers = append(a.t.Publishers, path)
		markService(a.pubs, tl.pubs, l, k)
	case facts.Consume:
		a.t.Consumers = append(a.t.Consumers, path)
		markService(a.subs, tl.subs, l, k)
	}
	for _, s := range t.Sites {
		if len(a.t.Sites) < facts.MaxSites && !slices.Contains(a.t.Sites, s) {
			a.t.Sites = append(a.t.Sites, s)
		}
	}
}

// markService records that service l (when it is one) uses topic k: in the topic's set and in
// the service's.
func markService(topic map[int]bool, byService []map[plan.TopicRef]bool, l int, k plan.TopicRef) {
	if l < 0 {
		return
	}
	topic[l] = true
	if byService[l] == nil {
		byService[l] = map[plan.TopicRef]bool{}
	}
	byService[l][k] = true
}

// sortedRefs returns the topics of m sorted by name, nil for none.
func sortedRefs(m map[plan.TopicRef]bool) []plan.TopicRef {
	if len(m) == 0 {
		return nil
	}
	out := make([]plan.TopicRef, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// asyncEdges returns the plan's async edges, one per pair of services (publisher → consumer)
// with the topics they share, sorted.
func asyncEdges(p *plan.Plan, edges map[[2]int][]string) []plan.AsyncEdge {
	var out []plan.AsyncEdge
	for k, ts := range edges {
		sort.Strings(ts)
		out = append(out, plan.AsyncEdge{From: p.Services[k[0]].Name, To: p.Services[k[1]].Name, Topics: ts})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	return out
}
