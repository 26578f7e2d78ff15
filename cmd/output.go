package cmd

import (
	"errors"
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
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, ".carve-*")
	if err != nil {
		// Say what is wrong with the path the user gave, not with carve's temporary file.
		if fi, serr := os.Stat(dir); serr != nil {
			return inputErr(fmt.Errorf("--out %s: directory %s does not exist: create it or choose another path", name, dir))
		} else if !fi.IsDir() {
			return inputErr(fmt.Errorf("--out %s: %s is not a directory", name, dir))
		}
		return inputErr(fmt.Errorf("--out %s: cannot write in %s (%w)", name, dir, errors.Unwrap(err)))
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
