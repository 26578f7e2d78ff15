package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/carve-dev/carve/analyze/plan"
)

const (
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

// Text writes a readable report of p: the services as a table, then the kernel, the shared
// tables, the dependencies that would become network calls, and the scores.
func Text(w io.Writer, p *plan.Plan, opts Options) error {
	r := &textReport{tw: &errWriter{w: w}, p: p, opts: opts}
	fmt.Fprintf(r.tw, "%s %s: %d services, %d kernel packages, %d packages\n\n",
		r.bold(moduleTitle(p)), moduleName(p), len(p.Services), len(p.Kernel), len(p.Packages))
	r.table()
	r.services()
	r.outside()
	r.sharedTables()
	r.edges()
	r.scores()
	writeCoverage(r.tw, p.Coverage, opts.Verbose, r.bold)
	for _, warn := range p.Warnings {
		fmt.Fprintf(r.tw, "warning: %s\n", warn)
	}
	return r.tw.err
}

// textReport is the text report being written: one method per section.
type textReport struct {
	tw   *errWriter
	p    *plan.Plan
	opts Options
}

func (r *textReport) bold(s string) string {
	if r.opts.Color {
		return ansiBold + s + ansiReset
	}
	return s
}

func (r *textReport) dim(s string) string {
	if r.opts.Color {
		return ansiDim + s + ansiReset
	}
	return s
}

// table writes one row per service.
func (r *textReport) table() {
	t := tabwriter.NewWriter(r.tw, 0, 4, 2, ' ', 0)
	// Escapes inside cells would count toward tabwriter's column widths: the table stays plain.
	fmt.Fprintln(t, "SERVICE\tPACKAGES\tROUTES\tTABLES\tCOHESION\tCOUPLING")
	for _, s := range r.p.Services {
		tables := make([]string, 0, len(s.Tables))
		for _, tb := range s.Tables {
			tables = append(tables, tb.Name+accessMark(tb.Access))
		}
		fmt.Fprintf(t, "%s\t%d\t%d\t%s\t%.2f\t%.2f\n", s.Name, len(s.Packages), len(s.Routes), orDash(strings.Join(tables, " ")), s.Cohesion, s.Coupling)
	}
	t.Flush()
	fmt.Fprintln(r.tw)
}

// services writes each service's packages, routes (four without -v) and topics.
func (r *textReport) services() {
	tw := r.tw
	for _, s := range r.p.Services {
		fmt.Fprintf(tw, "%s\n", r.bold(s.Name))
		for _, pkg := range s.Packages {
			fmt.Fprintf(tw, "  %s\n", shortPath(r.p.Module, pkg))
		}
		limit := 4
		if r.opts.Verbose {
			limit = len(s.Routes)
		}
		for i, rt := range s.Routes {
			if i == limit {
				fmt.Fprintf(tw, "  %s\n", r.dim(fmt.Sprintf("… %d more routes (-v lists all)", len(s.Routes)-limit)))
				break
			}
			fmt.Fprintf(tw, "  %s\n", r.dim(routeString(rt)))
		}
		if refs := topicRefs(s.Publishes); refs != "" {
			fmt.Fprintf(tw, "  %s\n", r.dim("publishes "+refs))
		}
		if refs := topicRefs(s.Consumes); refs != "" {
			fmt.Fprintf(tw, "  %s\n", r.dim("consumes "+refs))
		}
	}
}

// outside writes the packages in no service (kernel, mains, ...), by group.
func (r *textReport) outside() {
	for _, grp := range outsideGroups(r.p) {
		short := make([]string, len(grp.packages))
		for i, k := range grp.packages {
			short[i] = shortPath(r.p.Module, k)
		}
		fmt.Fprintf(r.tw, "\n%s (%s): %s\n", r.bold(grp.title), grp.note, strings.Join(short, ", "))
	}
}

// sharedTables writes the tables several services use, with each one's access.
func (r *textReport) sharedTables() {
	if len(r.p.SharedTables) == 0 {
		return
	}
	fmt.Fprintf(r.tw, "\n%s\n", r.bold("Shared tables"))
	for _, st := range r.p.SharedTables {
		parts := make([]string, len(st.Services))
		for i, a := range st.Services {
			parts[i] = a.Service + accessMark(a.Access)
		}
		fmt.Fprintf(r.tw, "  %s (%s): %s\n", st.Name, st.Store, strings.Join(parts, ", "))
	}
}

// edges writes the dependencies that would become network calls, then the events between
// services.
func (r *textReport) edges() {
	tw := r.tw
	if len(r.p.Edges) > 0 {
		fmt.Fprintf(tw, "\n%s\n", r.bold("Dependencies that would become network calls"))
		for _, e := range sortedEdges(r.p) {
			ex := ""
			if len(e.Sites) > 0 {
				ex = "  e.g. " + e.Sites[0]
			}
			fmt.Fprintf(tw, "  %s → %s: %s, %s%s\n", e.From, e.To, count(e.Calls, "call"), count(e.Refs, "other ref"), r.dim(ex))
		}
	}
	if len(r.p.AsyncEdges) > 0 {
		fmt.Fprintf(tw, "\n%s\n", r.bold("Events between services (async: contracts, not network calls)"))
		for _, e := range r.p.AsyncEdges {
			fmt.Fprintf(tw, "  %s ⇢ %s: %s\n", e.From, e.To, strings.Join(e.Topics, ", "))
		}
	}
}

// scores writes the plan's metrics on one line.
func (r *textReport) scores() {
	tw, m := r.tw, r.p.Metrics
	fmt.Fprintf(tw, "\n%s modularity %.3f · cross-service calls (ICP) %.1f%% · interface number (IFN) %.2f",
		r.bold("Scores"), m.Modularity, 100*m.ICP, m.IFN)
	if m.KernelPackages > 0 {
		fmt.Fprintf(tw, " · kernel %.0f%% of packages, %.0f%% of lines · whole-module Q %.3f", 100*m.KernelPackages, 100*m.KernelLines, m.ModularityAll)
	}
	if m.ARIStrict != nil {
		fmt.Fprintf(tw, " · ARI strict %.3f", *m.ARIStrict)
	}
	switch {
	case m.ARIFull != nil:
		fmt.Fprintf(tw, " · ARI full %.3f", *m.ARIFull)
	case m.ARI != nil: // a plan written before the strict and full scores
		fmt.Fprintf(tw, " · ARI %.3f", *m.ARI)
	}
	if m.MoJoFMStrict != nil {
		fmt.Fprintf(tw, " · MoJoFM strict %.1f", *m.MoJoFMStrict)
	}
	switch {
	case m.MoJoFMFull != nil:
		fmt.Fprintf(tw, " · MoJoFM full %.1f", *m.MoJoFMFull)
	case m.MoJoFM != nil:
		fmt.Fprintf(tw, " · MoJoFM %.1f", *m.MoJoFM)
	}
	fmt.Fprintln(tw)
}

func routeString(r plan.Route) string {
	s := r.Pattern
	if r.Host != "" {
		s = r.Host + s
	}
	if r.Method != "" {
		s = r.Method + " " + s
	}
	return s
}

func accessMark(a string) string {
	switch a {
	case "read":
		return "(r)"
	case "write":
		return "(w)"
	case "readwrite":
		return "(rw)"
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// errWriter keeps the first write error so the renderer can report it once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return len(b), nil
	}
	n, err := e.w.Write(b)
	if err != nil {
		e.err = err
	}
	return n, nil
}
