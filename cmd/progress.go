package cmd

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor reports whether output to w may be coloured: a terminal, and NO_COLOR unset.
func useColor(w io.Writer) bool {
	_, noColor := os.LookupEnv("NO_COLOR")
	return !noColor && isTerminal(w)
}

// progress draws a one-line progress indicator on a terminal's stderr; on anything else it
// draws nothing, so logs and pipes stay clean.
type progress struct {
	w       io.Writer
	enabled bool

	mu    sync.Mutex
	stage string
	done  int
	total int
	frame int
	last  time.Time
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, enabled: isTerminal(w)}
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Update records the stage and draws it, at most every 80 ms unless the stage changed.
func (p *progress) Update(stage string, done, total int) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := stage != p.stage
	p.stage, p.done, p.total = stage, done, total
	if !changed && time.Since(p.last) < 80*time.Millisecond && done != total {
		return
	}
	p.last = time.Now()
	p.frame = (p.frame + 1) % len(spinner)
	if total > 0 {
		fmt.Fprintf(p.w, "\r\x1b[K%s %s %d/%d", spinner[p.frame], stage, done, total)
	} else {
		fmt.Fprintf(p.w, "\r\x1b[K%s %s", spinner[p.frame], stage)
	}
}

// Done clears the indicator line.
func (p *progress) Done() {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
}
