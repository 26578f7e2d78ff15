package strangler

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/carve-dev/carve/strangler/config"
)

// ReloadFile parses and validates file as a whole and swaps it in; an invalid file is
// refused with an error naming the line, and the running config keeps serving.
func (p *Proxy) ReloadFile(file string) error {
	cfg, err := config.Load(file)
	if err == nil {
		err = p.Apply(cfg)
	}
	if err != nil {
		p.m.reloads.WithLabelValues("failure").Inc()
		p.log.Error("config reload refused; the previous config keeps serving", "file", file, "err", err)
		return err
	}
	p.m.reloads.WithLabelValues("success").Inc()
	p.log.Info("config reloaded", "file", file, "routes", len(cfg.Routes), "upstreams", len(cfg.Upstreams))
	return nil
}

// debounce collects the burst of events an editor or a ConfigMap update makes into one
// reload.
const debounce = 150 * time.Millisecond

// watcher watches a config file's directory (so renames and symlink swaps are seen, not just
// writes) and reloads when the file's content changed.
type watcher struct {
	file string
	w    *fsnotify.Watcher
	log  *slog.Logger
	sum  [32]byte
}

// newWatcher watches file; sum is the hash of the content being served.
func newWatcher(file string, sum [32]byte, log *slog.Logger) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch config: %w", err)
	}
	if err := fw.Add(filepath.Dir(file)); err != nil {
		fw.Close()
		return nil, fmt.Errorf("watch config directory %s: %w", filepath.Dir(file), err)
	}
	return &watcher{file: file, w: fw, log: log, sum: sum}, nil
}

func fileSum(file string) ([32]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

func (w *watcher) run(ctx context.Context, reload func()) {
	defer w.w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			_ = ev // any change in the directory may be our file (atomic renames, symlinks)
			timer.Reset(debounce)
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			w.log.Warn("config watch error", "err", err)
		case <-timer.C:
			sum, err := fileSum(w.file)
			if err != nil || sum == w.sum {
				continue // being replaced, or unchanged
			}
			w.sum = sum
			reload()
		}
	}
}
