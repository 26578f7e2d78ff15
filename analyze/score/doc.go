// Package score measures a plan: modularity and cross-service calls, kernel share, and the
// agreement of a plan with a known decomposition (truth files, ARI and MoJoFM).
package score
