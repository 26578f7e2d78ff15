package analyze

// Module is a loaded Go module (or workspace): its own packages with syntax and types, shared by
// every signal. (Being written: see the loader.)
type Module struct{}
