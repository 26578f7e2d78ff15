package cmd

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X github.com/carve-dev/carve/cmd.version=v1.2.3";
// otherwise the module version or VCS revision recorded by the Go toolchain is used.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := info.Main.Version
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return "(devel) " + rev + dirty
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}

func newVersionCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print carve's version",
		Args:  noArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runVersion(c.Context(), s) },
	}
}

func runVersion(_ context.Context, s Streams) error {
	_, err := fmt.Fprintf(s.Out, "carve %s\n", versionString())
	return err
}
