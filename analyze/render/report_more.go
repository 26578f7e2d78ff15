package render

import (
	"bufio"
	"fmt"
	"slices"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// serviceLines is the lines of Go in a service's packages.
func serviceLines(p *plan.Plan, s *plan.Service) int {
	n := 0
	for _, pk := range p.Packages {
		if slices.Contains(s.Packages, pk.Path) {
			n += pk.Lines
		}
	}
	return n
}

// possessive is name's possessive: "orders'" for a name ending in s, "cart's" otherwise.
func possessive(name string) string {
	if strings.HasSuffix(name, "s") {
		return name + "'"
	}
	return name + "'s"
}

// writeSyncCommands gives the sync command for each of the service's DynamoDB tables, with
// the table's real name.
func writeSyncCommands(w *bufio.Writer, s *plan.Service) {
	var cmds []string
	for _, t := range s.Tables {
		if t.Store == "dynamodb" {
			cmds = append(cmds, fmt.Sprintf("carve plan sync --service %s --source-table %s", s.Name, t.Name))
		}
	}
	switch len(cmds) {
	case 0:
		return
	case 1:
		fmt.Fprintf(w, "`%s` writes the sync config for the DynamoDB table.\n\n", cmds[0])
	default:
		w.WriteString("These write the sync config for each DynamoDB table:\n\n")
		for _, c := range cmds {
			fmt.Fprintf(w, "- `%s`\n", c)
		}
		w.WriteString("\n")
	}
}

// writeSharedTable says, for a table the service shares, who writes which entity (the key
// prefixes each writer writes, where the code shows them) and who only reads it.
func writeSharedTable(w *bufio.Writer, p *plan.Plan, self string, st plan.SharedTable) {
	var others, readers []string
	selfReads := false
	for _, a := range st.Services {
		if a.Service == self && a.Access == "read" {
			selfReads = true
		}
		if a.Service != self {
			others = append(others, a.Service)
			if a.Access == "read" {
				readers = append(readers, a.Service)
			}
		}
	}
	fmt.Fprintf(w, "- `%s` (%s), shared with %s:\n", st.Name, st.Store, strings.Join(others, ", "))
	byPrefix := map[string][]string{} // key prefix → services writing it
	for _, a := range st.Services {
		if a.Access == "read" {
			continue
		}
		var prefixes []string
		for _, t := range service(p, a.Service).Tables {
			if t.Name == st.Name && t.Store == st.Store {
				prefixes = t.KeyPrefixes
			}
		}
		for _, k := range prefixes {
			byPrefix[k] = append(byPrefix[k], a.Service)
		}
		who := a.Service
		if a.Service == self {
			who += " (this service)"
		}
		ents := "entities the code does not show (no constant key prefix)"
		if len(prefixes) > 0 {
			ents = codeList(prefixes)
		}
		fmt.Fprintf(w, "  - %s writes %s\n", who, ents)
	}
	if selfReads {
		readers = append([]string{self + " (this service)"}, readers...)
	}
	if len(readers) > 0 {
		fmt.Fprintf(w, "  - only read by %s\n", strings.Join(readers, ", "))
	}
	var contested []string
	for _, k := range slices.Sorted(mapsKeys(byPrefix)) {
		if len(byPrefix[k]) > 1 {
			contested = append(contested, fmt.Sprintf("`%s` (%s)", k, strings.Join(byPrefix[k], ", ")))
		}
	}
	if len(contested) > 0 {
		fmt.Fprintf(w, "  - written by more than one service: %s; give each entity one owner\n", strings.Join(contested, ", "))
	}
	w.WriteString("\n  Split it by entity before the service owns its copy; every other writer must go through the\n  owner's API or events.\n")
}

func mapsKeys(m map[string][]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// writeEvents lists the service's event contracts: the topics it publishes, with the services
// consuming them, and the topics it consumes, with their publishers. They stay asynchronous
// when the service leaves: a broker, not a network call.
func writeEvents(w *bufio.Writer, p *plan.Plan, s *plan.Service) {
	if len(s.Publishes)+len(s.Consumes) == 0 {
		return
	}
	w.WriteString("### Event contracts\n\n")
	w.WriteString("Asynchronous: these stay events on a broker when the service leaves, not network calls.\n\n")
	w.WriteString("| direction | topic | system | other services |\n| --- | --- | --- | --- |\n")
	others := func(t plan.TopicRef, publishers bool) string {
		var out []string
		for _, e := range p.AsyncEdges {
			if !slices.Contains(e.Topics, t.String()) {
				continue
			}
			switch {
			case publishers && e.To == s.Name && !slices.Contains(out, e.From):
				out = append(out, e.From)
			case !publishers && e.From == s.Name && !slices.Contains(out, e.To):
				out = append(out, e.To)
			}
		}
		slices.Sort(out)
		if len(out) == 0 {
			return "— (none in this module)"
		}
		return strings.Join(out, ", ")
	}
	for _, t := range s.Publishes {
		fmt.Fprintf(w, "| publishes | `%s` | %s | consumed by %s |\n", t.Name, t.System, others(t, false))
	}
	for _, t := range s.Consumes {
		fmt.Fprintf(w, "| consumes | `%s` | %s | published by %s |\n", t.Name, t.System, others(t, true))
	}
	w.WriteString("\n")
}
