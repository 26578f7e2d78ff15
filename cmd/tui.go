package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/carve-dev/carve/analyze/load"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/analyze"
	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/tui"
)

type tuiOptions struct {
	dir      string
	planFile string
	config   string
	out      string
	debugLog string
	tests    bool
}

// newTUICmd explores a plan and reshapes its services in the terminal.
func newTUICmd(s Streams) *cobra.Command {
	o := &tuiOptions{}
	c := &cobra.Command{
		Use:   "tui [DIR]",
		Short: "Explore the coupling and reshape the proposed services in the terminal",
		Long: `Open a plan in a terminal UI: the services with their packages, routes, tables, cohesion
and coupling; one service (its packages, routes, tables, the services it calls and that call
it); one package (its strongest couplings by signal and why it sits where it is); the shared
tables and the kernel.

Reshape the services and watch every score change: move a package to another service or a
new one, merge, split, rename, mark a package as kernel; undo and redo. 'w' saves the plan
(--out, default the --plan file or DIR/plan.json) and writes the edits as carve.yaml
constraints (--config, default DIR/carve.yaml or carve.yaml beside the plan), so a later
'carve analyze' keeps them.

With --plan the plan opens at once; otherwise the module at DIR (default ".") is analysed
first, showing its progress. '?' lists every key. docs/tui.md has the details.`,
		Example: `  carve tui --plan plan.json            # open a plan written by 'carve analyze -o json'
  carve tui samples/shop                 # analyse the module, then explore it
  carve tui . --debug-log /tmp/tui.log   # keep a log (nothing is logged to the terminal)`,
		Args: maxArgs(1, "at most one argument, the module's directory"),
		RunE: func(c *cobra.Command, args []string) error {
			o.dir = "."
			if len(args) == 1 {
				o.dir = args[0]
			}
			return runTUI(c.Context(), s, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.planFile, "plan", "", "open the plan in `FILE` instead of analysing DIR")
	f.StringVar(&o.config, "config", "", "carve.yaml `FILE`: its constraints shape the analysis, and 'w' writes the edits to it")
	f.StringVar(&o.out, "out", "", "`FILE` where 'w' saves the plan (default: the --plan file, or DIR/plan.json)")
	f.StringVar(&o.debugLog, "debug-log", "", "write a debug log to `FILE` (the TUI never logs to the terminal)")
	f.BoolVar(&o.tests, "tests", false, "include _test.go files when analysing DIR")
	return c
}

func runTUI(ctx context.Context, s Streams, o *tuiOptions) error {
	logger, closeLog, err := tuiLogger(o.debugLog)
	if err != nil {
		return inputErr(err)
	}
	defer closeLog()

	opts := tui.Options{Color: useColor(s.Out), Context: ctx}
	switch {
	case o.planFile != "":
		p, err := plan.ReadFile(o.planFile)
		if err != nil {
			return inputErr(err)
		}
		opts.Plan = p
		opts.PlanPath = o.planFile
		opts.ConfigPath = filepath.Join(filepath.Dir(o.planFile), "carve.yaml")
	default:
		if st, err := os.Stat(o.dir); err != nil || !st.IsDir() {
			return inputErr(fmt.Errorf("%s is not a directory: give the module's directory, or --plan FILE", o.dir))
		}
		cfgPath := o.config
		if cfgPath == "" {
			cfgPath = filepath.Join(o.dir, "carve.yaml")
		}
		// A carve.yaml that does not exist yet is where the edits will go.
		var cfg *analyze.Config
		if _, err := os.Stat(cfgPath); err == nil {
			if cfg, err = analyze.LoadConfig(cfgPath); err != nil {
				return inputErr(err)
			}
		}
		opts.Load = moduleLoader(o, cfg, logger)
		opts.Source = o.dir
		opts.PlanPath = filepath.Join(o.dir, "plan.json")
		opts.ConfigPath = cfgPath
	}
	if o.config != "" {
		opts.ConfigPath = o.config
	}
	if o.out != "" {
		opts.PlanPath = o.out
	}
	m, err := tui.New(opts)
	if err != nil {
		return inputErr(err)
	}
	if !isTerminal(s.Out) {
		return inputErr(errors.New("carve tui needs a terminal on stdout; for a report use 'carve analyze -o text'"))
	}
	// Whatever logs through the default logger while the TUI owns the terminal goes to the
	// debug log (or nowhere), never to the screen.
	prev := slog.Default()
	slog.SetDefault(logger)
	defer slog.SetDefault(prev)
	logger.Info("tui start", "plan", o.planFile, "dir", o.dir, "save", opts.PlanPath, "config", opts.ConfigPath)
	prog := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(s.In), tea.WithOutput(s.Out))
	_, runErr := prog.Run()
	if err := m.Err(); err != nil {
		logger.Error("tui ended", "err", err)
		if load.IsInputError(err) || errors.Is(err, analyze.ErrNoPackages) {
			return inputErr(err)
		}
		return err
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) && ctx.Err() == nil {
		return fmt.Errorf("tui: %w", runErr)
	}
	if sess := m.Session(); sess != nil && sess.Dirty() {
		fmt.Fprintln(s.Err, "carve: quit with unsaved edits")
	}
	return nil
}

// moduleLoader analyses the module at o.dir as 'carve analyze' does, reporting each stage.
func moduleLoader(o *tuiOptions, cfg *analyze.Config, logger *slog.Logger) tui.Loader {
	return func(ctx context.Context, progress func(tui.Progress)) (*plan.Plan, error) {
		report := func(stage string, done, total int) {
			progress(tui.Progress{Stage: stage, Done: done, Total: total})
		}
		facts, err := loadFacts(ctx, o.dir, o.tests, false, nil, report)
		if err != nil {
			return nil, err
		}
		for _, p := range facts.Packages {
			for _, e := range p.Errors {
				logger.Warn("package analysed as far as it loads", "package", p.Path, "err", e)
			}
		}
		report("proposing services", 0, 0)
		p, err := analyze.Propose(facts, analyze.Options{Seed: 1, Config: cfg})
		if err != nil {
			return nil, fmt.Errorf("propose services: %w", err)
		}
		return p, nil
	}
}

// tuiLogger logs to path, or nowhere when path is empty.
func tuiLogger(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--debug-log: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }, nil
}
