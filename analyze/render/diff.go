package render

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/carve-dev/carve/analyze/plan"
)

// Diff writes what changed from plan a (file nameA) to plan b (nameB): renamed, added and
// removed services, moved packages, and the scores that moved.
func Diff(w io.Writer, d *plan.Diff, nameA, nameB string) error {
	ew := &errWriter{w: w}
	if d.Empty() {
		fmt.Fprintf(ew, "%s and %s place every package alike and score alike\n", nameA, nameB)
		return ew.err
	}
	fmt.Fprintf(ew, "%s → %s: %d package(s) moved, %d service(s) renamed, %d added, %d removed\n\n",
		nameA, nameB, len(d.Moved), len(d.Renamed), len(d.Added), len(d.Removed))
	t := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	for _, r := range d.Renamed {
		fmt.Fprintf(t, "renamed\t%s → %s\t\n", r.From, r.To)
	}
	for _, s := range d.Added {
		fmt.Fprintf(t, "added\t%s\t\n", s)
	}
	for _, s := range d.Removed {
		fmt.Fprintf(t, "removed\t%s\t\n", s)
	}
	for _, m := range d.Moved {
		fmt.Fprintf(t, "moved\t%s\t%s → %s\n", m.Path, m.From, m.To)
	}
	for _, p := range d.OnlyA {
		fmt.Fprintf(t, "only in %s\t%s\t\n", nameA, p)
	}
	for _, p := range d.OnlyB {
		fmt.Fprintf(t, "only in %s\t%s\t\n", nameB, p)
	}
	for _, m := range d.Metrics {
		fmt.Fprintf(t, "score\t%s\t%s → %s (%+.3g)\n", m.Name, num(m.A), num(m.B), m.B-m.A)
	}
	t.Flush()
	return ew.err
}

// num prints a count as an integer and a score with three decimals.
func num(x float64) string {
	if x == float64(int64(x)) {
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%.3f", x)
}
