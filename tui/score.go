package tui

import (
	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/analyze/score"
)

// Scorer recomputes everything in a plan that follows from where its packages sit: the services
// (packages, routes, tables, cohesion, coupling), the kernel list, the shared tables, the
// service edges and the metrics. It reads only Packages and Graph, so a plan is rescored after
// each edit without loading the module again.
type Scorer func(p *plan.Plan) error

// Rescore is the Scorer carve analyze itself uses (analyze.Score), without a ground truth: an
// edited plan is no longer what a truth file's agreement was measured on.
func Rescore(p *plan.Plan) error {
	if err := score.Score(p, nil); err != nil {
		return err
	}
	p.Metrics.ARI, p.Metrics.MoJoFM = nil, nil
	p.Metrics.ARIStrict, p.Metrics.MoJoFMStrict, p.Metrics.ARIFull, p.Metrics.MoJoFMFull = nil, nil, nil, nil
	return nil
}
