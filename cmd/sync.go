package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/sync/backfill"
	syncconfig "github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/deadletter"
	"github.com/carve-dev/carve/sync/job"
	"github.com/carve-dev/carve/sync/verify"
)

// newSyncCmd is the change-data-capture job: carve sync run|backfill|verify|validate.
func newSyncCmd(s Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "sync",
		Short: "Keep the new services' stores consistent with the monolith's DynamoDB tables",
		Long: `sync reads a DynamoDB table's stream and applies every change, filtered and mapped by
pipelines, to the new services' stores (DynamoDB tables, PostgreSQL tables), idempotently and in
order per item, through crashes and restarts, or publishes each change as an event to an SNS
topic or SQS queue. Several workers share a stream through leases.
backfill copies what the table already holds and hands over to the stream without a gap;
verify compares source and sinks. See docs/sync.md for the config file.`,
	}
	c.AddCommand(newSyncRunCmd(s), newSyncBackfillCmd(s), newSyncVerifyCmd(s), newSyncValidateCmd(s), newSyncReplayCmd(s))
	return c
}

// loadSyncConfig reads the config; a bad config is bad input (exit 2).
func loadSyncConfig(path string) (*syncconfig.Config, error) {
	cfg, err := syncconfig.Load(path)
	if err != nil {
		return nil, inputErr(err)
	}
	return cfg, nil
}

type syncRunOptions struct{ config string }

func newSyncRunCmd(s Streams) *cobra.Command {
	o := &syncRunOptions{}
	c := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Apply the source stream's changes to the sinks until stopped",
		Long: `Run one worker of the sync job until SIGTERM or SIGINT. It takes leases on the stream's
shards in the checkpoint table (other workers take the rest), applies each batch to every
pipeline's sink and checkpoints the shard after the sinks acknowledged. On SIGTERM it finishes
the batch in hand, checkpoints it and hands its leases back. Logs are JSON on stderr.`,
		Args:    noArgs,
		PreRunE: requireFlags("config"),
		RunE:    func(c *cobra.Command, _ []string) error { return runSync(c.Context(), s, o) },
	}
	c.Flags().StringVar(&o.config, "config", "", "sync config file (YAML)")
	return c
}

func runSync(ctx context.Context, s Streams, o *syncRunOptions) error {
	cfg, err := loadSyncConfig(o.config)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(s.Err, nil))
	j, err := job.New(ctx, cfg, job.Options{Logger: log})
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped (SIGTERM) while connecting: nothing was started, nothing to hand back
		}
		return fmt.Errorf("sync: %w", err)
	}
	defer j.Close()
	return j.Run(ctx)
}

type syncBackfillOptions struct {
	config   string
	segments int
	repair   bool
}

func newSyncBackfillCmd(s Streams) *cobra.Command {
	o := &syncBackfillOptions{}
	c := &cobra.Command{
		Use:   "backfill --config FILE",
		Short: "Copy the items the source already holds into the sinks, then hand over to the stream",
		Long: `Take the stream position (the newest record of every unfinished shard), scan the source
table in parallel segments and write every item each pipeline selects with that position as its
version, then move the shards' checkpoints up to it. Safe while 'carve sync run' runs: the
version guard keeps the newer of a scanned copy and a streamed change. Also the repair after
trimmed data, an outage or drift: with --repair (the default) the sink items whose key is gone
from the source are tombstoned too (deletes the stream no longer holds), and shards that left
the stream unfinished are marked done so that the shards after them start. Prints a JSON
summary on stdout; logs are JSON on stderr.`,
		Args:    noArgs,
		PreRunE: requireFlags("config"),
		RunE:    func(c *cobra.Command, _ []string) error { return runSyncBackfill(c.Context(), s, o) },
	}
	c.Flags().StringVar(&o.config, "config", "", "sync config file (YAML)")
	c.Flags().IntVar(&o.segments, "segments", 4, "parallel Scan segments")
	c.Flags().BoolVar(&o.repair, "repair", true, "also tombstone sink items whose key is gone from the source")
	return c
}

func runSyncBackfill(ctx context.Context, s Streams, o *syncBackfillOptions) error {
	cfg, err := loadSyncConfig(o.config)
	if err != nil {
		return err
	}
	if o.segments < 1 {
		return inputErr(fmt.Errorf("--segments %d: want at least 1", o.segments))
	}
	res, err := backfill.Run(ctx, cfg, backfill.Options{Segments: o.segments, Repair: o.repair, Logger: slog.New(slog.NewJSONHandler(s.Err, nil))})
	if res != nil {
		_ = printJSON(s.Out, res.Summary()) // the summary of what was done, even when some of it failed
	}
	return err
}

type syncVerifyOptions struct {
	config   string
	output   string
	segments int
	limit    int
}

func newSyncVerifyCmd(s Streams) *cobra.Command {
	o := &syncVerifyOptions{}
	c := &cobra.Command{
		Use:   "verify --config FILE",
		Short: "Compare the source with every sink; exit 3 on drift",
		Long: `Scan the source table, pass every item through each pipeline's filter and mapping, and
compare with the sink's live items (tombstones count as deleted): counts, a hash per item, and
the keys that are missing, extra or different. Exits 0 when every sink matches, 3 on drift.
Run it when the source is quiet or after 'sync run' caught up: changes in flight show as drift.`,
		Args:    noArgs,
		PreRunE: requireFlags("config"),
		RunE:    func(c *cobra.Command, _ []string) error { return runSyncVerify(c.Context(), s, o) },
	}
	c.Flags().StringVar(&o.config, "config", "", "sync config file (YAML)")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	c.Flags().IntVar(&o.segments, "segments", 4, "parallel Scan segments")
	c.Flags().IntVar(&o.limit, "limit", 20, "keys listed per kind of difference")
	return c
}

func runSyncVerify(ctx context.Context, s Streams, o *syncVerifyOptions) error {
	if o.output != "text" && o.output != "json" {
		return inputErr(fmt.Errorf("-o %s: want text or json", o.output))
	}
	cfg, err := loadSyncConfig(o.config)
	if err != nil {
		return err
	}
	rep, err := verify.Run(ctx, cfg, verify.Options{Segments: o.segments, Limit: o.limit})
	var unverifiable *verify.UnverifiableError
	if errors.As(err, &unverifiable) {
		return inputErr(fmt.Errorf("sync verify: %w", err))
	}
	if err != nil {
		return fmt.Errorf("sync verify: %w", err)
	}
	if o.output == "json" {
		if err := printJSON(s.Out, rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(s.Out)
	}
	if rep.Drift() {
		return differsError{&verify.DriftError{Report: rep}}
	}
	return nil
}

type syncReplayOptions struct{ config string }

func newSyncReplayCmd(s Streams) *cobra.Command {
	o := &syncReplayOptions{}
	c := &cobra.Command{
		Use:   "replay-dead-letters --config FILE",
		Short: "Re-apply dead-lettered records once their cause is fixed",
		Long: `Read the dead-letter store the config names and re-apply every entry through its pipeline
into its sink, with the record's original version: an entry older than what the sink now holds
is skipped, so a replay never undoes a later change. Entries done are removed from a DynamoDB
dead-letter table (a file is never rewritten: a worker may be appending to it; replaying again
is harmless). Prints a JSON summary; exits 1 while some entries still fail.`,
		Args:    noArgs,
		PreRunE: requireFlags("config"),
		RunE:    func(c *cobra.Command, _ []string) error { return runSyncReplay(c.Context(), s, o) },
	}
	c.Flags().StringVar(&o.config, "config", "", "sync config file (YAML)")
	return c
}

func runSyncReplay(ctx context.Context, s Streams, o *syncReplayOptions) error {
	cfg, err := loadSyncConfig(o.config)
	if err != nil {
		return err
	}
	res, err := deadletter.Replay(ctx, cfg, slog.New(slog.NewJSONHandler(s.Err, nil)))
	if res != nil {
		_ = printJSON(s.Out, res.Summary())
	}
	if err != nil {
		return fmt.Errorf("sync replay-dead-letters: %w", err)
	}
	if res.Failed+res.Unknown > 0 {
		return fmt.Errorf("sync replay-dead-letters: %d entries still fail and %d name no pipeline of the config (see the log): fix the cause and run it again", res.Failed, res.Unknown)
	}
	return nil
}

type syncValidateOptions struct{ config string }

func newSyncValidateCmd(s Streams) *cobra.Command {
	o := &syncValidateOptions{}
	c := &cobra.Command{
		Use:   "validate --config FILE",
		Short: "Check a sync config without connecting to anything",
		Long: `Decode the config strictly (unknown keys are errors) and validate it as a whole; every
problem is listed with its line. Exits 0 when valid, 2 otherwise.`,
		Args:    noArgs,
		PreRunE: requireFlags("config"),
		RunE:    func(c *cobra.Command, _ []string) error { return runSyncValidate(c.Context(), s, o) },
	}
	c.Flags().StringVar(&o.config, "config", "", "sync config file (YAML)")
	return c
}

func runSyncValidate(_ context.Context, s Streams, o *syncValidateOptions) error {
	cfg, err := loadSyncConfig(o.config)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "%s: valid: source %s, %d pipeline(s)\n", o.config, cfg.Source.Table, len(cfg.Pipelines))
	return nil
}
