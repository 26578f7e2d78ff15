package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// Async edges (issue 13, 16): a service publishing topics another consumes. Pictures draw
// them dashed and in their own colour, apart from sync dependencies, labelled with the topics.

// asyncColor is the colour of async edges in DOT pictures.
const asyncColor = "#b5651d"

// asyncLabel names the topics of an async edge: one or two by name, more by count.
func asyncLabel(e plan.AsyncEdge) string {
	names := make([]string, len(e.Topics))
	for i, t := range e.Topics {
		_, name, ok := strings.Cut(t, ":")
		if !ok {
			name = t
		}
		names[i] = name
	}
	if len(names) <= 2 {
		return "async: " + strings.Join(names, ", ")
	}
	return "async: " + count(len(names), "topic")
}

// shownAsync are the async edges between services both drawn in p.
func shownAsync(p *plan.Plan) []plan.AsyncEdge {
	var out []plan.AsyncEdge
	for _, e := range p.AsyncEdges {
		if serviceIndex(p, e.From) >= 0 && serviceIndex(p, e.To) >= 0 {
			out = append(out, e)
		}
	}
	return out
}

// dotAsync draws the async edges dashed between the nodes node(i) gives for service i, and
// the cluster the node stands for ("" when the node is the service).
func dotAsync(w io.Writer, p *plan.Plan, node func(i int) (id, cluster string)) {
	for _, e := range shownAsync(p) {
		from, fc := node(serviceIndex(p, e.From))
		to, tc := node(serviceIndex(p, e.To))
		if from == "" || to == "" {
			continue
		}
		attrs := ""
		if fc != "" {
			attrs += fmt.Sprintf("ltail=%q, ", fc)
		}
		if tc != "" {
			attrs += fmt.Sprintf("lhead=%q, ", tc)
		}
		fmt.Fprintf(w, "  %s -> %s [%slabel=%s, style=dashed, color=%q, fontcolor=%q];\n", from, to, attrs, strconv.Quote(asyncLabel(e)), asyncColor, asyncColor)
	}
}

// mermaidAsync draws the async edges between service nodes s<i> as dotted arrows.
func mermaidAsync(w io.Writer, p *plan.Plan) {
	for _, e := range shownAsync(p) {
		fmt.Fprintf(w, "  s%d -.->|%s| s%d\n", serviceIndex(p, e.From), mermaidText(asyncLabel(e)), serviceIndex(p, e.To))
	}
}

// focusAsync keeps the async edges touching the focused service, and reports the services at
// their other end.
func focusAsync(p *plan.Plan, name string, near map[string]bool) []plan.AsyncEdge {
	var out []plan.AsyncEdge
	for _, e := range p.AsyncEdges {
		if e.From == name || e.To == name {
			near[e.From], near[e.To] = true, true
			out = append(out, e)
		}
	}
	return out
}

// topicRefs lists topics as "system:name", comma-separated.
func topicRefs(ts []plan.TopicRef) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return strings.Join(out, ", ")
}
