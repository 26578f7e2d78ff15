package render

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// Picture detail levels (Options.Detail).
const (
	DetailAuto     = ""         // services above ServiceLevelAbove packages, packages below
	DetailServices = "services" // one node per service
	DetailPackages = "packages" // every package, in a cluster per service
)

// ServiceLevelAbove is the package count above which pictures show services, not packages: past
// it a package graph is a strip of unreadable labels.
const ServiceLevelAbove = 30

// serviceLevel reports whether a picture of p shows one node per service.
func serviceLevel(p *plan.Plan, opts Options) bool {
	switch opts.Detail {
	case DetailServices:
		return true
	case DetailPackages:
		return false
	}
	return opts.Focus == "" && len(p.Packages) > ServiceLevelAbove
}

// shownEdges are the service dependencies a picture draws: those with calls, and the
// references-only ones when asked for.
func shownEdges(p *plan.Plan, opts Options) []plan.Edge {
	var out []plan.Edge
	for _, e := range sortedEdges(p) {
		if e.Calls > 0 || opts.Refs {
			out = append(out, e)
		}
	}
	return out
}

// heaviestPerService is the edges a large service-level picture keeps, so that it stays
// readable: each service's heaviest outgoing dependencies (edges come sorted heaviest first).
// It returns all of them below maxEdgesPerService × services.
func heaviestPerService(edges []plan.Edge, services int) (kept []plan.Edge, hidden int) {
	if len(edges) <= maxEdgesPerService*services {
		return edges, 0
	}
	per := map[string]int{}
	for _, e := range edges {
		if per[e.From] < maxEdgesPerService {
			per[e.From]++
			kept = append(kept, e)
		}
	}
	return kept, len(edges) - len(kept)
}

// maxEdgesPerService is how many dependencies of each service a crowded picture keeps.
const maxEdgesPerService = 3

// penWidth grows with the calls an edge carries, slowly: a dependency of 100 calls is drawn
// about three times as thick as one of 1.
func penWidth(e plan.Edge) float64 {
	return math.Round((1+math.Log2(1+float64(e.Calls))/2)*10) / 10
}

// dotServices draws one node per service (its size by packages), the kernel, wiring and tools
// as one node each, and an edge per dependency, as thick as its calls; references-only edges
// dashed and hidden unless opts.Refs.
func dotServices(w io.Writer, p *plan.Plan, opts Options) error {
	ew := &errWriter{w: w}
	edges, hidden := heaviestPerService(shownEdges(p, opts), len(p.Services))
	title := fmt.Sprintf("%s: %d services, %d packages", p.Module, len(p.Services), len(p.Packages))
	if hidden > 0 {
		title += fmt.Sprintf(" (each service's %d heaviest dependencies; %d lighter ones hidden)", maxEdgesPerService, hidden)
	}
	// A few services read left to right; many read best as a rough rectangle (a left-to-right
	// strip of fifty services is as unreadable as a package graph).
	layout := "rankdir=LR;"
	if len(p.Services) > 12 {
		layout = "rankdir=TB;\n  ratio=0.6;"
	}
	fmt.Fprintf(ew, "digraph carve {\n  label=%s;\n  labelloc=t;\n  %s\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#dfe7f2\", fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10, color=\"#5b6b82\"];\n", strconv.Quote(title), layout)
	for i, s := range p.Services {
		size := 12 + 4*math.Log2(1+float64(len(s.Packages)))
		fmt.Fprintf(ew, "  s%d [label=%s, fontsize=%.0f];\n", i, strconv.Quote(serviceLabel(s)), size)
	}
	for _, grp := range outsideGroups(p) {
		fmt.Fprintf(ew, "  %s [label=%s, style=\"rounded,dashed\", fillcolor=white];\n", grp.id, strconv.Quote(grp.label()+"\n"+count(len(grp.packages), "package")))
	}
	for _, e := range edges {
		fi, ti := serviceIndex(p, e.From), serviceIndex(p, e.To)
		if fi < 0 || ti < 0 {
			continue
		}
		style := fmt.Sprintf("penwidth=%.1f", penWidth(e))
		if e.Calls == 0 {
			style = "style=dashed"
		}
		fmt.Fprintf(ew, "  s%d -> s%d [label=%s, %s];\n", fi, ti, strconv.Quote(edgeLabel(e)), style)
	}
	dotAsync(ew, p, func(i int) (string, string) { return "s" + strconv.Itoa(i), "" })
	fmt.Fprintln(ew, "}")
	return ew.err
}

// mermaidServices is dotServices for Mermaid: thick arrows for the heaviest dependencies.
func mermaidServices(w io.Writer, p *plan.Plan, opts Options) error {
	ew := &errWriter{w: w}
	edges, hidden := heaviestPerService(shownEdges(p, opts), len(p.Services))
	fmt.Fprintln(ew, "flowchart LR")
	if hidden > 0 {
		fmt.Fprintf(ew, "  %%%% each service's %d heaviest dependencies; %d lighter ones hidden\n", maxEdgesPerService, hidden)
	}
	for i, s := range p.Services {
		fmt.Fprintf(ew, "  s%d[%s]\n", i, mermaidText(strings.ReplaceAll(serviceLabel(s), "\n", "<br/>")))
	}
	for _, grp := range outsideGroups(p) {
		fmt.Fprintf(ew, "  %s[%s]\n", grp.id, mermaidText(grp.label()+": "+count(len(grp.packages), "package")))
	}
	for _, e := range edges {
		fi, ti := serviceIndex(p, e.From), serviceIndex(p, e.To)
		if fi < 0 || ti < 0 {
			continue
		}
		arrow := "-->"
		switch {
		case e.Calls == 0:
			arrow = "-.->"
		case e.Calls >= 10:
			arrow = "==>"
		}
		fmt.Fprintf(ew, "  s%d %s|%s| s%d\n", fi, arrow, mermaidText(edgeLabel(e)), ti)
	}
	mermaidAsync(ew, p)
	return ew.err
}

func serviceLabel(s plan.Service) string {
	return fmt.Sprintf("%s\n%s · %s", s.Name, count(len(s.Packages), "package"), count(len(s.Routes), "route"))
}

// count writes n and the word, with an s unless n is 1.
func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// focus returns the part of p a --focus picture draws: the focused service's packages, the
// services it depends on or that depend on it (as services), nothing else. ok is false when p
// has no such service.
func focus(p *plan.Plan, name string) (*plan.Plan, bool) {
	if p.Service(name) == nil {
		return nil, false
	}
	near := map[string]bool{name: true}
	var edges []plan.Edge
	for _, e := range p.Edges {
		if e.From == name || e.To == name {
			near[e.From], near[e.To] = true, true
			edges = append(edges, e)
		}
	}
	async := focusAsync(p, name, near)
	q := *p
	q.Services, q.Edges, q.Kernel, q.Wiring, q.Tools = nil, edges, nil, nil, nil
	q.AsyncEdges = async
	for _, s := range p.Services {
		switch {
		case s.Name == name:
			q.Services = append(q.Services, s)
		case near[s.Name]:
			s.Packages = nil // a neighbour is drawn as one node
			q.Services = append(q.Services, s)
		}
	}
	return &q, true
}
