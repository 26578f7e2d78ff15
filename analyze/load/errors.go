package load

import (
	"errors"
	"strings"
)

// InputError reports input that carve cannot analyse: a path that does not exist, a directory
// that is not a module or workspace, a module without Go packages. The CLI maps it to the exit
// code for bad input (2); every other error from Load or Collect is a failure (1).
type InputError struct {
	Path    string // the directory or file concerned
	Problem string // what is wrong, lower-case, e.g. "no go.mod or go.work in this directory"
	Hint    string // what to do about it
	Err     error  // the underlying error, if any
}

func (e *InputError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err is, or wraps, an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
