// Package graph turns facts into the weighted package graph the later stages share: one edge
// weight per package pair from the chosen signals and weights, the routes and tables of each
// package, and the plan's package edges.
package graph
