// Package evidence reads what a module's structure says about its services before any
// clustering: service mains, composition roots and the components they wire, the directory
// territory of each entry, what several services build (the kernel), tools and wiring. Each
// package placed carries the reason (docs/plan.md lists the rules).
package evidence
