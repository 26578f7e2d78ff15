// Package analyze proposes how to split a Go module into services. It is the recipe over the
// stages of the analysis, each a package of its own along the data flow:
//
//	load      the module, type-checked once (load.Load)
//	signals   the coupling signals over it, producing facts (signals.Collect)
//	facts     the plain data the signals find, cached between runs
//	graph     the weighted package graph built from the facts
//	evidence  what the module's structure says: mains, composition roots, territories, tools
//	cluster   the placement of what structure leaves open, the kernel and the services' names
//	score     modularity, cross-service calls and agreement with a known decomposition
//
// Propose runs graph → evidence → cluster → score and writes a plan.Plan (package plan, the
// contract every other part of carve reads). Config is carve.yaml, the user's say over it.
package analyze
