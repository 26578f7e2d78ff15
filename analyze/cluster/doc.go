// Package cluster places the packages structure leaves open: Louvain community detection over
// the package graph under carve.yaml's constraints, the shared kernel, and the services' names.
package cluster
