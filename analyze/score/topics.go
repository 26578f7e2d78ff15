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
	type acc struct {
		t          plan.Topic
		pubs, subs map[int]bool // service indexes
	}
	byKey := map[plan.TopicRef]*acc{}
	pubs := make([]map[plan.TopicRef]bool, len(p.Services))
	subs := make([]map[plan.TopicRef]bool, len(p.Services))
	for i, pkg := range p.Packages {
		for _, t := range pkg.Topics {
			k := plan.TopicRef{Name: t.Name, System: t.System}
			a := byKey[k]
			if a == nil {
				a = &acc{t: plan.Topic{Name: t.Name, System: t.System, Publishers: []string{}, Consumers: []string{}}, pubs: map[int]bool{}, subs: map[int]bool{}}
				byKey[k] = a
			}
			l := label[i]
			switch t.Role {
			case facts.Publish:
				a.t.Publishers = append(a.t.Publishers, pkg.Path)
				if l >= 0 {
					a.pubs[l] = true
					if pubs[l] == nil {
						pubs[l] = map[plan.TopicRef]bool{}
					}
					pubs[l][k] = true
				}
			case facts.Consume:
				a.t.Consumers = append(a.t.Consumers, pkg.Path)
				if l >= 0 {
					a.subs[l] = true
					if subs[l] == nil {
						subs[l] = map[plan.TopicRef]bool{}
					}
					subs[l][k] = true
				}
			}
			for _, s := range t.Sites {
				if len(a.t.Sites) < facts.MaxSites && !slices.Contains(a.t.Sites, s) {
					a.t.Sites = append(a.t.Sites, s)
				}
			}
		}
	}
	refs := func(m map[plan.TopicRef]bool) []plan.TopicRef {
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
	for s := range p.Services {
		p.Services[s].Publishes = refs(pubs[s])
		p.Services[s].Consumes = refs(subs[s])
	}
	p.Topics = nil
	edges := map[[2]int][]string{}
	for _, a := range byKey {
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
	p.AsyncEdges = nil
	for k, ts := range edges {
		sort.Strings(ts)
		p.AsyncEdges = append(p.AsyncEdges, plan.AsyncEdge{From: p.Services[k[0]].Name, To: p.Services[k[1]].Name, Topics: ts})
	}
	sort.Slice(p.AsyncEdges, func(i, j int) bool {
		a, b := p.AsyncEdges[i], p.AsyncEdges[j]
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
}
