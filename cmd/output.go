package cmd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeFile writes what write produces to the named file for --out flags. A regular file (or a
// new one) is written beside the target and renamed over it, so a failure never leaves half a
// file behind; a device or pipe (/dev/null, /dev/stdout, a FIFO) is written directly, since
// renaming over it would replace the device.
func writeFile(name string, write func(io.Writer) error) error {
	if fi, err := os.Stat(name); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return inputErr(fmt.Errorf("--out %s: %w", name, err))
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".carve-*")
	if err != nil {
		return inputErr(fmt.Errorf("--out %s: %w", name, err))
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
