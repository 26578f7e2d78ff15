package render

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// Report writes a Markdown migration brief: a suggested order of extraction, then per service
// the routes that move, the tables to sync, the shared tables and who else uses them, and every
// cross-service call that becomes a network call when the service leaves the monolith.
func Report(w io.Writer, p *plan.Plan) error {
	bw := bufio.NewWriter(w)
	order := ExtractionOrder(p)

	fmt.Fprintf(bw, "# Migration brief: %s\n\n", p.Module)
	fmt.Fprintf(bw, "%d services proposed by `carve analyze` (modularity %.2f, inter-service calls %.0f%%).\n\n",
		len(p.Services), p.Metrics.Modularity, 100*p.Metrics.ICP)
	bw.WriteString("## Suggested order of extraction\n\n")
	bw.WriteString("Fewest incoming dependencies first: a service few others call can leave with the fewest\n")
	bw.WriteString("callers to change. Ties go to the service with fewer outgoing calls, then by name.\n\n")
	bw.WriteString("| # | service | lines | callers (services) | incoming call sites | outgoing call sites | routes | tables |\n")
	bw.WriteString("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for i, o := range order {
		svc := service(p, o.Service)
		fmt.Fprintf(bw, "| %d | %s | %d | %d | %d | %d | %d | %s |\n", i+1, o.Service, serviceLines(p, svc), o.Callers, o.IncomingCalls, o.OutgoingCalls,
			len(svc.Routes), mdDash(tableNames(svc.Tables)))
	}
	bw.WriteString("\n")

	for _, o := range order {
		writeServiceBrief(bw, p, service(p, o.Service))
	}
	return bw.Flush()
}

// Extraction is one service's place in the suggested order of extraction.
type Extraction struct {
	Service string
	// Callers is how many other services call into this one or use its types.
	Callers int
	// IncomingCalls and OutgoingCalls count static call sites across the service's boundary.
	IncomingCalls, OutgoingCalls int
}

// ExtractionOrder sorts the plan's services fewest incoming dependencies first.
func ExtractionOrder(p *plan.Plan) []Extraction {
	by := map[string]*Extraction{}
	var out []*Extraction
	for _, s := range p.Services {
		e := &Extraction{Service: s.Name}
		by[s.Name] = e
		out = append(out, e)
	}
	for _, e := range p.Edges {
		if to := by[e.To]; to != nil && e.From != e.To {
			to.Callers++
			to.IncomingCalls += e.Calls
		}
		if from := by[e.From]; from != nil && e.From != e.To {
			from.OutgoingCalls += e.Calls
		}
	}
	slices.SortStableFunc(out, func(a, b *Extraction) int {
		if a.Callers != b.Callers {
			return a.Callers - b.Callers
		}
		if a.IncomingCalls != b.IncomingCalls {
			return a.IncomingCalls - b.IncomingCalls
		}
		if a.OutgoingCalls != b.OutgoingCalls {
			return a.OutgoingCalls - b.OutgoingCalls
		}
		return strings.Compare(a.Service, b.Service)
	})
	res := make([]Extraction, len(out))
	for i, e := range out {
		res[i] = *e
	}
	return res
}

func writeServiceBrief(w *bufio.Writer, p *plan.Plan, s *plan.Service) {
	fmt.Fprintf(w, "## %s\n\n", s.Name)
	fmt.Fprintf(w, "Packages (%s of Go): %s.\n\n", count(serviceLines(p, s), "line"), codeList(trimModule(p, s.Packages)))

	w.WriteString("### Routes to move\n\n")
	if len(s.Routes) == 0 {
		w.WriteString("None: the service serves no HTTP routes, so the proxy has nothing to shift; it is reached\nthrough calls and events only.\n\n")
	} else {
		w.WriteString("| method | pattern | handler | registered at |\n| --- | --- | --- | --- |\n")
		for _, r := range s.Routes {
			fmt.Fprintf(w, "| %s | `%s%s` | `%s` | %s |\n", orAny(r.Method), r.Host, r.Pattern, trimModule(p, []string{r.Handler})[0], mdDash(r.Site))
		}
		fmt.Fprintf(w, "\n`carve plan strangler --service %s` writes the proxy config for them.\n\n", s.Name)
	}

	w.WriteString("### Tables to sync\n\n")
	if len(s.Tables) == 0 {
		w.WriteString("None.\n\n")
	} else {
		w.WriteString("| table | store | access | key prefixes | shared with |\n| --- | --- | --- | --- | --- |\n")
		for _, t := range s.Tables {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", t.Name, t.Store, t.Access, mdDash(codeList(t.KeyPrefixes)), mdDash(strings.Join(sharers(p, t.Name, s.Name), ", ")))
		}
		w.WriteString("\n")
		writeSyncCommands(w, s)
	}

	var shared []plan.SharedTable
	for _, st := range p.SharedTables {
		for _, a := range st.Services {
			if a.Service == s.Name {
				shared = append(shared, st)
				break
			}
		}
	}
	if len(shared) > 0 {
		w.WriteString("### Shared tables\n\n")
		for _, st := range shared {
			writeSharedTable(w, p, s.Name, st)
		}
		w.WriteString("\n")
	}

	writeEvents(w, p, s)

	w.WriteString("### Calls that become network calls\n\n")
	out, in := crossCalls(p, s.Name)
	if len(out)+len(in) == 0 {
		w.WriteString("None.\n\n")
		return
	}
	if len(out) > 0 {
		fmt.Fprintf(w, "From %s to other services (each becomes a client call with a timeout):\n\n", s.Name)
		writeCalls(w, p, out)
	}
	if len(in) > 0 {
		fmt.Fprintf(w, "From other services into %s (each caller needs %s API):\n\n", s.Name, possessive(s.Name))
		writeCalls(w, p, in)
	}
}

// crossCall is one package edge with static calls crossing a service boundary.
type crossCall struct {
	fromSvc, toSvc string
	edge           plan.PackageEdge
}

func crossCalls(p *plan.Plan, name string) (out, in []crossCall) {
	svcOf := map[string]string{}
	wiring := map[string]bool{}
	for _, pk := range p.Packages {
		svcOf[pk.Path] = pk.Service
		wiring[pk.Path] = pk.Wiring
	}
	for _, e := range p.Graph {
		fs, ts := svcOf[e.From], svcOf[e.To]
		if e.Calls == 0 || fs == "" || ts == "" || fs == ts || wiring[e.From] {
			continue
		}
		c := crossCall{fromSvc: fs, toSvc: ts, edge: e}
		switch name {
		case fs:
			out = append(out, c)
		case ts:
			in = append(in, c)
		}
	}
	sortCalls := func(cs []crossCall) {
		slices.SortFunc(cs, func(a, b crossCall) int {
			return strings.Compare(a.edge.From+"\x00"+a.edge.To, b.edge.From+"\x00"+b.edge.To)
		})
	}
	sortCalls(out)
	sortCalls(in)
	return out, in
}

func writeCalls(w *bufio.Writer, p *plan.Plan, cs []crossCall) {
	w.WriteString("| from | to | calls | sites |\n| --- | --- | ---: | --- |\n")
	for _, c := range cs {
		sites := c.edge.Sites
		if len(sites) > c.edge.Calls {
			sites = sites[:c.edge.Calls] // call sites come first; the rest are other uses
		}
		list := strings.Join(sites, ", ")
		if more := c.edge.Calls - len(sites); more > 0 {
			list += fmt.Sprintf(" and %d more", more)
		}
		fmt.Fprintf(w, "| `%s` (%s) | `%s` (%s) | %d | %s |\n", trimModule(p, []string{c.edge.From})[0], c.fromSvc,
			trimModule(p, []string{c.edge.To})[0], c.toSvc, c.edge.Calls, mdDash(list))
	}
	w.WriteString("\n")
}

func service(p *plan.Plan, name string) *plan.Service {
	if s := p.Service(name); s != nil {
		return s
	}
	return &plan.Service{Name: name}
}

func sharers(p *plan.Plan, table, except string) []string {
	for _, st := range p.SharedTables {
		if st.Name != table {
			continue
		}
		var out []string
		for _, a := range st.Services {
			if a.Service != except {
				out = append(out, a.Service+" ("+a.Access+")")
			}
		}
		return out
	}
	return nil
}

func tableNames(ts []plan.Table) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// trimModule shortens import paths and handler names inside the plan's module.
func trimModule(p *plan.Plan, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n
		for _, m := range append([]string{p.Module}, p.Modules...) {
			if m != "" {
				out[i] = strings.ReplaceAll(out[i], m+"/", "")
			}
		}
	}
	return out
}

func codeList(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return "`" + strings.Join(xs, "`, `") + "`"
}

func mdDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}
