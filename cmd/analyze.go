package cmd

import "github.com/spf13/cobra"

// newAnalyzeCmd maps a Go module's coupling and proposes services.
func newAnalyzeCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "analyze [DIR]",
		Short: "Map a Go monolith's coupling and propose service boundaries",
	}
}
