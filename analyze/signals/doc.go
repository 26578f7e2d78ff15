// Package signals measures the coupling between a loaded module's packages — imports, calls,
// type use, implements, shared state, data (tables), routes and git co-change — and collects
// it as facts.Facts, cached on disk by a key over the module's sources (FactsCache).
package signals
