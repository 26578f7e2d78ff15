// Command pathblind copies a Go module with every directory and package name replaced by a
// neutral token (internal/pathblind), and rewrites a truth file's import paths to match, so that
// `carve analyze` can be scored on a tree whose names say nothing:
//
//	go run ./bench/pathblind -src /work/trees/jaeger -dst /tmp/jaeger-blind \
//	    -truth ../shared/corpus/jaeger.json -truth-out /tmp/jaeger-blind.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/carve-dev/carve/analyze/score"

	"github.com/carve-dev/carve/internal/pathblind"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pathblind:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("pathblind", flag.ContinueOnError)
	src := fl.String("src", "", "root `DIR` of the module to copy")
	dst := fl.String("dst", "", "`DIR` to write the copy to (must not exist or be empty)")
	truth := fl.String("truth", "", "truth `FILE` (import path → label) to rewrite")
	truthOut := fl.String("truth-out", "", "where to write the rewritten truth `FILE`")
	mapOut := fl.String("map", "", "write the old → new import paths to this JSON `FILE`")
	if err := fl.Parse(args); err != nil {
		return err
	}
	switch {
	case *src == "" || *dst == "":
		return errors.New("-src DIR and -dst DIR are required")
	case (*truth == "") != (*truthOut == ""):
		return errors.New("-truth FILE and -truth-out FILE go together")
	case fl.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q: every input is a flag", fl.Args())
	}
	var t map[string]string
	if *truth != "" {
		var err error
		if t, err = score.ReadTruth(*truth); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	keep, err := pathblind.DependencyImports(ctx, *src)
	if err != nil {
		return err
	}
	if len(keep) > 0 {
		slog.Warn("packages a dependency imports keep their path and name", "packages", keep)
	}
	res, err := pathblind.Blind(ctx, *src, *dst, keep)
	if err != nil {
		return err
	}
	slog.Info("path-blind copy written", "module", res.Module, "packages", len(res.Paths), "go_files", res.Files, "dst", *dst)
	if t != nil {
		nt, missing := pathblind.RewriteTruth(t, res.Paths)
		if len(missing) > 0 {
			slog.Warn("truth packages not in the module, left out", "count", len(missing), "first", missing[0])
		}
		if err := score.WriteTruth(*truthOut, nt); err != nil {
			return err
		}
	}
	if *mapOut != "" {
		return writeJSON(*mapOut, res.Paths)
	}
	return nil
}

func writeJSON(file string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}
