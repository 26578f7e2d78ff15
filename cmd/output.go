package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/carve-dev/carve/internal/atomicfile"
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
	// Say what is wrong with the path the user gave, not with carve's temporary file.
	dir := filepath.Dir(name)
	if fi, err := os.Stat(dir); err != nil {
		return inputErr(fmt.Errorf("--out %s: directory %s does not exist: create it or choose another path", name, dir))
	} else if !fi.IsDir() {
		return inputErr(fmt.Errorf("--out %s: %s is not a directory", name, dir))
	}
	if err := atomicfile.Write(name, 0o644, write); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return inputErr(fmt.Errorf("--out %s: cannot write in %s (%w)", name, dir, err))
		}
		return err
	}
	return nil
}
