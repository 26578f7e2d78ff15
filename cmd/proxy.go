package cmd

import "github.com/spf13/cobra"

// newProxyCmd is the strangler proxy: carve proxy run|validate|weights.
func newProxyCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "proxy",
		Short: "Run the strangler proxy that shifts routes to new services by weight",
	}
}
