package cmd

import "github.com/spf13/cobra"

// newSyncCmd is the change-data-capture job: carve sync run|backfill|verify.
func newSyncCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "sync",
		Short: "Keep the new services' stores consistent with the monolith's DynamoDB tables",
	}
}
