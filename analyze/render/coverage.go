package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// maxUnresolvedShown is how many unresolved call sites the text report lists without -v.
const maxUnresolvedShown = 10

// usesNoun names what a framework's uses count, by kind.
var usesNoun = map[string]string{"router": "routes", "grpc": "services", "data": "tables", "messaging": "topics"}

// writeCoverage writes which frameworks the analysis recognised, with their uses, and the call
// sites it could not read: what the plan does not know.
func writeCoverage(w io.Writer, c *plan.Coverage, verbose bool, bold func(string) string) {
	if c == nil {
		return
	}
	if len(c.Frameworks) > 0 {
		parts := make([]string, len(c.Frameworks))
		for i, fw := range c.Frameworks {
			parts[i] = fmt.Sprintf("%s %d %s", fw.Name, fw.Uses, usesNoun[fw.Kind])
		}
		fmt.Fprintf(w, "%s %s\n", bold("Recognised:"), strings.Join(parts, ", "))
	}
	if len(c.Unresolved) == 0 {
		return
	}
	fmt.Fprintf(w, "%s %d call site(s) look like routing, data access or messaging but could not be read; the plan does not know what they do:\n", bold("Not read:"), len(c.Unresolved))
	for i, u := range c.Unresolved {
		if i == maxUnresolvedShown && !verbose {
			fmt.Fprintf(w, "  … %d more (-v lists all, -o json has them under coverage.unresolved)\n", len(c.Unresolved)-i)
			break
		}
		fmt.Fprintf(w, "  %s %s: %s: %s\n", u.Kind, u.Site, u.Call, u.Why)
	}
}
