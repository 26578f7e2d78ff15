package job_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/config"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/stream"
	"github.com/carve-dev/carve/sync/verify"
)

// buildCarve builds the carve binary into a temporary directory.
func buildCarve(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "carve")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/carve")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSIGKILLUnderLoad writes a bounded load into the source (updates, deletes, a shard
// rollover) while `carve sync run` is killed with SIGKILL at random moments six times and
// restarted each time. Afterwards verify must report no drift for a DynamoDB sink in each write
// mode (batch mode writes records above the applied high-water mark blind) and a PostgreSQL sink:
// no change lost, none applied out of order.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestSIGKILLUnderLoad(t *testing.T) {
	bin := buildCarve(t)
	ddb := Tables(t, Source("shop"), Target("orders", "order_id"), Target("orders_batch", "order_id"))
	pg := testenv.Postgres(t)
	c := ddb.Client
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sync.yaml")
	y := `
source: {table: shop, endpoint: "` + ddb.Endpoint + `"}
worker: {lease_duration: 1500ms, shard_sync: 200ms, idle_wait: 50ms, batch_size: 100}
dead_letter: {file: "` + dir + `/dlq.jsonl"}
pipelines:
  - name: orders
    where: {key_prefix: {pk: "ORDER#"}}
    map: {key: {pk: order_id}, rename: {n: amount}}
    sink: {dynamodb: {table: orders}}
  - name: orders-batch
    where: {key_prefix: {pk: "ORDER#"}}
    map: {key: {pk: order_id}, rename: {n: amount}}
    sink: {dynamodb: {table: orders_batch, write_mode: batch}}
  - name: orders-pg
    where: {key_prefix: {pk: "ORDER#"}}
    map: {key: {pk: id}}
    sink: {postgres: {dsn: "` + pg.DSN + `", table: orders, key: [id], columns: {n: bigint, note: text}}}
`
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	writing := busyLoad(t, ddb, 1500, 200, 700, 7)
	ws := newWorkers(t, bin, cfgPath, dir)
	kills := ws.killRepeatedly(6, 1, 400*time.Millisecond, 1200*time.Millisecond, nil)
	<-writing

	// A last worker catches up; its predecessors' leases expire and it takes them over.
	cmd := ws.start()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var last string
	deadline := time.Now().Add(90 * time.Second)
	for {
		rep, err := verify.Run(ctx, cfg, verify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Drift() {
			break
		}
		var b strings.Builder
		rep.WriteText(&b)
		last = b.String()
		if time.Now().After(deadline) {
			t.Fatalf("drift after %d kills:\n%s\nworker log tail:\n%s", kills, last, ws.logTail(3000))
		}
		time.Sleep(500 * time.Millisecond)
	}

	// SIGTERM: the worker flushes and hands its leases back, exiting 0. First it must hold them:
	// verify can pass while leases of killed workers have not expired yet.
	store, err := checkpoint.OpenDynamoDB(ctx, c, "carve-sync")
	if err != nil {
		t.Fatal(err)
	}
	arn, _ := stream.Resolve(ctx, c, "shop")
	var lastWorker string // the last worker, once it holds every unfinished shard
	Eventually(t, 30*time.Second, func() string {
		leases, err := store.Leases(ctx, arn)
		if err != nil {
			return err.Error()
		}
		owners := map[string]bool{}
		for _, l := range leases {
			if l.Owner == "" || l.Checkpoint == checkpoint.ShardEnd {
				continue // a finished shard is nobody's work (a killed worker may still be named)
			}
			if time.Now().After(l.Expiry) {
				return fmt.Sprintf("lease %s of a killed worker %s not taken over yet", l.Shard, l.Owner)
			}
			owners[l.Owner] = true
			lastWorker = l.Owner
		}
		if len(owners) > 1 {
			return fmt.Sprintf("leases held by %d workers, want the last one only", len(owners))
		}
		return ""
	})
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\nworker log tail:\n%s", err, ws.logTail(3000))
	}
	leases, _ := store.Leases(ctx, arn)
	for _, l := range leases {
		if l.Owner != "" && (l.Checkpoint != checkpoint.ShardEnd || l.Owner == lastWorker) {
			t.Errorf("lease %s (checkpoint %s) still owned by %s after SIGTERM", l.Shard, l.Checkpoint, l.Owner)
		}
		if l.Hwm == "" || l.Checkpoint != checkpoint.ShardEnd && l.Hwm < checkpoint.PadSeq(l.Checkpoint) {
			t.Errorf("lease %s: applied high-water mark %q below its checkpoint %q (the batch-mode sink needs it)", l.Shard, l.Hwm, l.Checkpoint)
		}
	}
	if len(leases) != 2 {
		t.Errorf("want 2 shards (one rollover), got %d leases", len(leases))
	}
	// The CLI agrees: exit 0, in sync.
	out, err := exec.Command(bin, "sync", "verify", "--config", cfgPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "in sync") {
		t.Fatalf("carve sync verify: %v\n%s", err, out)
	}
}

// busyLoad writes n changes into table shop from one goroutine — puts, and deletes one time in
// six, of items ORDER#000… over keys keys, a shard rollover at write rollover, and every 50 writes
// an item no ORDER# filter selects — and closes the channel when done.
func busyLoad(t *testing.T, ddb *testenv.DynamoDBLocal, n, keys, rollover int, seed uint64) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	c := ddb.Client
	go func() {
		defer close(done)
		r := rand.New(rand.NewPCG(seed, seed))
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("ORDER#%03d", r.IntN(keys))
			switch {
			case i == rollover:
				if err := ddb.Rollover(context.Background()); err != nil {
					t.Error(err)
				}
			case r.IntN(6) == 0:
				Delete(t, c, "shop", item.Item{"pk": S(k)})
			default:
				Put(t, c, "shop", item.Item{"pk": S(k), "n": N(i), "note": S(fmt.Sprint("w", i))})
			}
			if i%50 == 0 {
				Put(t, c, "shop", item.Item{"pk": S(fmt.Sprint("USER#", i)), "n": N(i)}) // filtered out
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return done
}

// workers starts `carve sync run` processes on one config, all logging to dir/carve.log.
type workers struct {
	t                *testing.T
	bin, config, dir string
	log              *os.File
}

func newWorkers(t *testing.T, bin, config, dir string) *workers {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "carve.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &workers{t: t, bin: bin, config: config, dir: dir, log: f}
}

func (w *workers) start() *exec.Cmd {
	cmd := exec.Command(w.bin, "sync", "run", "--config", w.config)
	cmd.Dir = w.dir
	cmd.Stdout, cmd.Stderr = w.log, w.log
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	return cmd
}

// killRepeatedly starts a worker and kills it with SIGKILL after a random pause of at least
// least and less than least+spread, kills times in a row, calling after (when set) with the
// number of kills so far after each. It returns kills.
func (w *workers) killRepeatedly(kills int, seed uint64, least, spread time.Duration, after func(int)) int {
	r := rand.New(rand.NewPCG(seed, seed))
	for k := 1; k <= kills; k++ {
		cmd := w.start()
		time.Sleep(least + time.Duration(r.Int64N(int64(spread))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		fmt.Fprintf(w.log, "--- SIGKILL %d\n", k)
		if after != nil {
			after(k)
		}
	}
	return kills
}

// logTail returns the last n bytes the workers logged.
func (w *workers) logTail(n int) string {
	w.log.Sync()
	out, _ := os.ReadFile(w.log.Name())
	return tailOf(string(out), n)
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
