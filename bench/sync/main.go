// Command sync is the `make bench-sync` driver: against DynamoDB Local it measures the raw
// ceilings (a bare GetRecords loop over a stream, bare BatchWriteItem into a table, and the
// conditional TransactWriteItems the DynamoDB sink uses), then `carve sync run` end to end over
// the same records, then replication lag under a fixed write rate, measured from the writer's own
// timestamps (ApproximateCreationDateTime is rounded to the minute on DynamoDB Local). The SNS
// sink is measured against a bare publishing loop on goaws, the SNS/SQS emulator (events.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/carve-dev/carve/internal/testenv"
)

var (
	bin       = flag.String("bin", "bin/carve", "carve binary")
	records   = flag.Int("records", 20000, "records for the throughput phases")
	lagSecs   = flag.Int("lag-seconds", 10, "duration of the lag phase")
	lagWarm   = flag.Duration("lag-warmup", 2*time.Second, "writes at the start of each lag phase whose lag is not measured (a fresh DynamoDB Local compiles its stream and transaction paths meanwhile)")
	writers   = flag.Int("writers", 8, "parallel writers")
	lagRate   = flag.Int("lag-rate", 0, "write rate of the lag phase (default: half the slower raw ceiling)")
	keepLogs  = flag.Bool("keep", false, "keep the scratch directory")
	lowRate   = flag.Int("low-rate", 500, "second, lower write rate of the lag phase (0: skip)")
	syncConc  = flag.Int("write-concurrency", 0, "carve's worker.write_concurrency (default: -writers)")
	idleWait  = flag.Duration("idle-wait", 100*time.Millisecond, "carve's worker.idle_wait")
	lagOnly   = flag.String("lag-only", "", "run only the lag phase in this write mode (transact or batch) at -lag-rate, for tuning")
	snsRounds = flag.Int("sns-rounds", 3, "alternating rounds of the bare publishing loop, carve's SNS sink and carve end to end (medians compared)")
	snsOnly   = flag.Bool("sns-only", false, "run only the SNS sink phase (carve into an emulated topic against a bare publishing loop)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-sync:", err)
		os.Exit(1)
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-sync:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "carve-bench-sync-")
	if err != nil {
		return err
	}
	if !*keepLogs {
		defer os.RemoveAll(dir)
	}
	abs, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	*bin = abs
	if *lagOnly != "" {
		return runLagOnly(ctx, dir)
	}
	c, err := ceilingPhase(ctx, dir, *records)
	if err != nil || *snsOnly {
		return err
	}
	// Phase 2 on a second fresh DynamoDB Local (an instance slows down after heavy mixed load):
	// lag under a fixed write rate.
	rate := *lagRate
	if rate == 0 {
		rate = int(c.slower() / 2)
	}
	high, err := lagPair(ctx, dir, rate)
	if err != nil {
		return err
	}
	var low [2]lagResult
	if *lowRate > 0 {
		if low, err = lagPair(ctx, dir, *lowRate); err != nil {
			return err
		}
	}
	printReport(c, rate, high, low)
	return nil
}

// runLagOnly runs the lag phase alone in one write mode, for tuning.
func runLagOnly(ctx context.Context, dir string) error {
	if *lagRate == 0 {
		return fmt.Errorf("-lag-only needs -lag-rate")
	}
	res, err := lagPhase(ctx, dir, *lagOnly, *lagRate)
	if err != nil {
		return err
	}
	fmt.Printf("%s at %d/s: achieved %.0f/s, seen %d of %d, lag p50 %s p99 %s max %s (warm-up included: p99 %s max %s; from the write's ack: p50 %s p99 %s), cpu %s\n",
		*lagOnly, *lagRate, res.achieved, res.seen, res.total, res.pct(0.5), res.pct(0.99), res.pct(1), pct(res.all, 0.99), pct(res.all, 1), pct(res.fromAck, 0.5), pct(res.fromAck, 0.99), res.cpu)
	return nil
}

// ceilings is what phase 1 measures, in records (or events) per second.
type ceilings struct {
	n                               int
	load, get, batchWrite, transact float64
	e2eTx, e2eBatch                 float64
	sns                             snsResult
}

func (c ceilings) slower() float64 { return min(c.get, c.batchWrite) }

// ceilingPhase runs phase 1 on one fresh DynamoDB Local: the raw ceilings and carve end to end
// over the same n records, then the SNS sink. With -sns-only it prints the SNS table and stops.
func ceilingPhase(ctx context.Context, dir string, n int) (ceilings, error) {
	c := ceilings{n: n}
	d, err := testenv.StartDynamoDB(dir)
	if err != nil {
		return c, err
	}
	defer d.Stop()
	for _, t := range []string{"src", "rawsink", "txsink", "carvesink", "carvesink2"} {
		table(ctx, d.Client, t, t == "src")
	}
	warmUp(ctx, d)
	c.load = rateOf(n, func() { batchWrite(ctx, d.Client, "src", n, *writers, 0) })
	if *snsOnly {
		sns, err := snsPhase(ctx, dir, d.Endpoint, n)
		if err == nil {
			printSNS(sns, n)
		}
		return c, err
	}
	arn := streamArn(ctx, d.Client, "src")
	t0 := time.Now()
	got := readAll(ctx, d.Streams, arn, n, 1000)
	c.get = float64(got) / time.Since(t0).Seconds()
	c.batchWrite = rateOf(n, func() { batchWrite(ctx, d.Client, "rawsink", n, *writers, 0) })
	c.transact = rateOf(n, func() { transactWrite(ctx, d.Client, "txsink", n, *writers) })
	if c.e2eTx, err = endToEnd(dir, d.Endpoint, "transact", "carvesink", n); err != nil {
		return c, err
	}
	if c.e2eBatch, err = endToEnd(dir, d.Endpoint, "batch", "carvesink2", n); err != nil {
		return c, err
	}
	// Last on this instance: its stream reads would weigh on the phases above.
	c.sns, err = snsPhase(ctx, dir, d.Endpoint, n)
	return c, err
}

// rateOf runs f, which handles n records, and returns records per second.
func rateOf(n int, f func()) float64 {
	t0 := time.Now()
	f()
	return float64(n) / time.Since(t0).Seconds()
}

// lagPair runs the lag phase at rate in transact then batch mode.
func lagPair(ctx context.Context, dir string, rate int) ([2]lagResult, error) {
	var r [2]lagResult
	var err error
	for i, mode := range []string{"transact", "batch"} {
		if r[i], err = lagPhase(ctx, dir, mode, rate); err != nil {
			return r, err
		}
	}
	return r, nil
}

// printReport prints the benchmark's tables.
func printReport(c ceilings, rate int, high, low [2]lagResult) {
	fmt.Printf("carve sync benchmark — DynamoDB Local 3.3.0, %d records of ~120 B, %d writers, %d cores\n\n", c.n, *writers, runtimeCores())
	fmt.Printf("| measure | records/s | note |\n|---|---:|---|\n")
	fmt.Printf("| load source (BatchWriteItem, stream on) | %.0f | setup |\n", c.load)
	fmt.Printf("| raw GetRecords loop (1 reader, Limit 1000) | %.0f | ceiling A |\n", c.get)
	fmt.Printf("| raw BatchWriteItem into a sink table | %.0f | ceiling B |\n", c.batchWrite)
	fmt.Printf("| conditional TransactWriteItems (100 puts, %d parallel) | %.0f | what a safe DynamoDB sink can do |\n", *writers, c.transact)
	fmt.Printf("| carve sync run end to end, write_mode transact (default) | %.0f | |\n", c.e2eTx)
	fmt.Printf("| carve sync run end to end, write_mode batch | %.0f | |\n", c.e2eBatch)
	fmt.Printf("| ratio transact / slower raw ceiling | %.2f | aim ≥ 0.80 |\n", c.e2eTx/c.slower())
	fmt.Printf("| ratio batch / slower raw ceiling | %.2f | aim ≥ 0.80 |\n", c.e2eBatch/c.slower())
	fmt.Printf("| ratio transact / conditional-transaction ceiling | %.2f | |\n\n", c.e2eTx/c.transact)
	printSNS(c.sns, c.n)
	fmt.Printf("| lag phase (fresh instance each) | transact | batch |\n|---|---:|---:|\n")
	fmt.Printf("| target write rate (half the slower ceiling) | %d/s | %d/s |\n", rate, rate)
	printLag(high)
	if *lowRate > 0 {
		fmt.Printf("\n| lag phase at a lower rate | transact | batch |\n|---|---:|---:|\n")
		fmt.Printf("| target write rate | %d/s | %d/s |\n", *lowRate, *lowRate)
		printLag(low)
	}
	fmt.Printf("\nlag = when the change appears in the sink table's stream minus the writer's timestamp taken just before its BatchWriteItem call (aim p99 < 1s),\n")
	fmt.Printf("over the %ds after a %s warm-up on each fresh DynamoDB Local (its JVM compiles the stream and transaction paths meanwhile); CPU over the same %ds\n", *lagSecs, *lagWarm, *lagSecs)
}

// printLag prints the rows of one lag table after its target rate: transact and batch side by side.
func printLag(r [2]lagResult) {
	tx, b := r[0], r[1]
	fmt.Printf("| achieved write rate | %.0f/s | %.0f/s |\n", tx.achieved, b.achieved)
	fmt.Printf("| records seen in the sink's stream | %d of %d | %d of %d |\n", tx.seen, tx.total, b.seen, b.total)
	for _, p := range []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p99", 0.99}, {"max", 1}} {
		fmt.Printf("| replication lag %s | %s | %s |\n", p.name, tx.pct(p.q), b.pct(p.q))
	}
	fmt.Printf("| replication lag p99, first %s included | %s | %s |\n", *lagWarm, pct(tx.all, 0.99), pct(b.all, 0.99))
	fmt.Printf("| lag p99 counted from the source write's acknowledgement | %s | %s |\n", pct(tx.fromAck, 0.99), pct(b.fromAck, 0.99))
	fmt.Printf("| CPU cores: DynamoDB Local / carve / bench / machine | %s | %s |\n", tx.cpu.cores(), b.cpu.cores())
}

// printSNS prints the SNS sink phase's table.
func printSNS(r snsResult, n int) {
	fmt.Printf("| SNS sink, goaws %s, %d events of ~420 B | events/s | note |\n|---|---:|---|\n", testenv.GoAWSVersion, n)
	fmt.Printf("| bare loop, %d goroutines, each: %s (median of %d) | %.0f | ceiling |\n", *writers, r.call, *snsRounds, r.bare)
	fmt.Printf("| carve's SNS sink, batches of 1000 writes as the job applies them (median of %d, alternating with the loop) | %.0f | |\n", *snsRounds, r.sink)
	fmt.Printf("| carve sync run end to end into the topic, DynamoDB Local's stream read on the same cores (median of %d, alternating) | %.0f | |\n", *snsRounds, r.carve)
	fmt.Printf("| ratio sink / bare loop | %.2f | aim ≥ 0.80 |\n", r.sink/r.bare)
	fmt.Printf("| ratio end to end / bare loop | %.2f | |\n\n", r.carve/r.bare)
}

// writeConfig writes the sync config of one benchmark phase (name) copying table src into sink
// with the given write mode, and returns its path and the job's metrics port.
func writeConfig(dir, name, endpoint, sink, mode string) (string, int, error) {
	return writeSinkConfig(dir, name, endpoint, fmt.Sprintf("{dynamodb: {table: %s, write_mode: %s}}", sink, mode))
}

// writeSinkConfig writes the sync config of one benchmark phase (name) carrying table src into
// the sink given as YAML, and returns its path and the job's metrics port.
func writeSinkConfig(dir, name, endpoint, sinkYAML string) (string, int, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return "", 0, err
	}
	conc := *syncConc
	if conc == 0 {
		conc = *writers
	}
	cfg := filepath.Join(dir, name+".yaml")
	body := fmt.Sprintf(`
source: {table: src, endpoint: %q}
checkpoints: {file: %q}
dead_letter: {file: %q}
metrics: {listen: "127.0.0.1:%d"}
worker: {idle_wait: %s, shard_sync: 1s, write_concurrency: %d}
pipelines:
  - name: copy
    sink: %s
`, endpoint, filepath.Join(dir, "cp-"+name+".json"), filepath.Join(dir, "dlq-"+name+".jsonl"), port, *idleWait, conc, sinkYAML)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		return "", 0, fmt.Errorf("write %s: %w", cfg, err)
	}
	return cfg, port, nil
}

// endToEnd runs `carve sync run` over the n records already in src into sink and returns the
// records/s between the first applied record and the last.
func endToEnd(dir, endpoint, mode, sink string, n int) (float64, error) {
	cfg, port, err := writeConfig(dir, "e2e-"+mode, endpoint, sink, mode)
	if err != nil {
		return 0, err
	}
	return runToEnd(dir, cfg, "e2e-"+mode, port, n)
}

// runToEnd runs `carve sync run` with cfg until it applied n records and returns the records/s
// between the first applied record and the last.
func runToEnd(dir, cfg, mode string, port, n int) (float64, error) {
	proc, err := startCarve(dir, cfg, mode)
	if err != nil {
		return 0, err
	}
	defer stopCarve(proc)
	first, firstAt, lastAt := 0.0, time.Time{}, time.Time{}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		v := applied(port)
		if v > 0 && firstAt.IsZero() {
			first, firstAt = v, time.Now()
		}
		if v >= float64(n) {
			lastAt = time.Now()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if lastAt.IsZero() {
		return 0, fmt.Errorf("carve sync (%s) did not apply %d records within 5 minutes (see %s)", mode, n, dir)
	}
	return (float64(n) - first) / lastAt.Sub(firstAt).Seconds(), nil
}

type lagResult struct {
	achieved    float64
	seen, total int
	lags        []time.Duration // of the changes written after the warm-up, sorted
	all         []time.Duration // of every change, warm-up included, sorted
	fromAck     []time.Duration // lags counted from the writer's call returning instead, sorted
	cpu         cpuUse
}

func (l lagResult) pct(p float64) time.Duration { return pct(l.lags, p) }

func pct(lags []time.Duration, p float64) time.Duration {
	if len(lags) == 0 {
		return 0
	}
	return lags[min(len(lags)-1, int(p*float64(len(lags))))].Round(time.Millisecond)
}

// lagPhase writes at a fixed rate into a fresh DynamoDB Local while `carve sync run` copies into
// a sink whose stream the bench tails, and collects per-record lags.
func lagPhase(ctx context.Context, dir, mode string, rate int) (lagResult, error) {
	d2, err := testenv.StartDynamoDB(dir)
	if err != nil {
		return lagResult{}, err
	}
	defer d2.Stop()
	warmUp(ctx, d2)
	table(ctx, d2.Client, "src", true)
	table(ctx, d2.Client, "sink", true)
	cfg2, _, err := writeConfig(dir, "lag-"+mode, d2.Endpoint, "sink", mode)
	if err != nil {
		return lagResult{}, err
	}
	proc2, err := startCarve(dir, cfg2, "lag-"+mode)
	if err != nil {
		return lagResult{}, err
	}
	defer stopCarve(proc2)
	time.Sleep(1500 * time.Millisecond) // lease taken, reader at the stream's start
	lags := make(chan []sample, 1)
	tailCtx, stopTail := context.WithCancel(ctx)
	defer stopTail()
	warm := int(float64(rate) * lagWarm.Seconds())
	total := warm + rate**lagSecs
	go func() { lags <- tail(tailCtx, d2.Streams, streamArn(ctx, d2.Client, "sink"), total) }()
	java := javaPid(d2.Endpoint)
	start := time.Now()
	var c0 atomic.Pointer[cpuUse]
	measured := time.AfterFunc(*lagWarm, func() { c := sampleCPU(java, proc2.Process.Pid); c0.Store(&c) })
	acked := make([]atomic.Int64, total)
	batchWrite(ctx, d2.Client, "src", total, *writers, rate, acked)
	measured.Stop()
	res := lagResult{achieved: float64(total) / time.Since(start).Seconds(), total: total - warm}
	if c := c0.Load(); c != nil {
		res.cpu = sampleCPU(java, proc2.Process.Pid).since(*c)
	}
	var got []sample
	select {
	case got = <-lags:
	case <-time.After(60 * time.Second):
		stopTail()
		got = <-lags
	}
	for _, s := range got {
		lag := s.seen.Sub(s.wts)
		res.all = append(res.all, lag)
		if s.i >= warm && s.i < total {
			res.lags = append(res.lags, lag)
			if a := acked[s.i].Load(); a != 0 {
				res.fromAck = append(res.fromAck, s.seen.Sub(time.Unix(0, a)))
			}
		}
	}
	sort.Slice(res.fromAck, func(i, j int) bool { return res.fromAck[i] < res.fromAck[j] })
	sort.Slice(res.lags, func(i, j int) bool { return res.lags[i] < res.lags[j] })
	sort.Slice(res.all, func(i, j int) bool { return res.all[i] < res.all[j] })
	res.seen = len(res.lags)
	return res, nil
}

// cpuUse is CPU time, in clock ticks (or cores once divided by the wall time), of DynamoDB
// Local, carve and this bench (writer and tail), and of the whole machine.
type cpuUse struct {
	java, carve, bench, busy, all float64
}

func (c cpuUse) since(b cpuUse) cpuUse {
	return cpuUse{c.java - b.java, c.carve - b.carve, c.bench - b.bench, c.busy - b.busy, c.all - b.all}
}

// String gives each part's share of the machine in cores.
func (c cpuUse) String() string {
	if c.all == 0 {
		return "?"
	}
	n := float64(runtimeCores())
	f := func(v float64) float64 { return v / c.all * n }
	return fmt.Sprintf("DynamoDB Local %.2f, carve %.2f, bench %.2f, machine %.2f of %.0f cores", f(c.java), f(c.carve), f(c.bench), f(c.busy), n)
}

// cores is the table cell: DynamoDB Local / carve / bench / whole machine, in cores.
func (c cpuUse) cores() string {
	if c.all == 0 {
		return "?"
	}
	f := func(v float64) float64 { return v / c.all * float64(runtimeCores()) }
	return fmt.Sprintf("%.2f / %.2f / %.2f / %.2f", f(c.java), f(c.carve), f(c.bench), f(c.busy))
}

func sampleCPU(java, carve int) cpuUse {
	ticks := func(pid int) float64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		u, _ := strconv.ParseFloat(f[11], 64)
		s, _ := strconv.ParseFloat(f[12], 64)
		return u + s
	}
	c := cpuUse{java: ticks(java), carve: ticks(carve), bench: ticks(os.Getpid())}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1:]
		for i, v := range f {
			x, _ := strconv.ParseFloat(v, 64)
			c.all += x
			if i != 3 && i != 4 { // idle, iowait
				c.busy += x
			}
		}
	}
	return c
}

// javaPid finds the DynamoDB Local serving endpoint (its launcher takes the port as argument).
func javaPid(endpoint string) int {
	port := endpoint[strings.LastIndexByte(endpoint, ':')+1:]
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(string(b), "\x00")
		for i, a := range args {
			if a == "ChaosLocal" && i+1 < len(args) && args[i+1] == port {
				return pid
			}
		}
	}
	return 0
}

func runtimeCores() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func table(ctx context.Context, c *dynamodb.Client, name string, stream bool) {
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}
	if stream {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
	}
	_, err := c.CreateTable(ctx, in)
	must(err)
}

func streamArn(ctx context.Context, c *dynamodb.Client, name string) string {
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	must(err)
	return aws.ToString(out.Table.LatestStreamArn)
}

func benchItem(i int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":   &types.AttributeValueMemberS{Value: fmt.Sprintf("ORDER#%08d", i)},
		"amt":  &types.AttributeValueMemberN{Value: strconv.Itoa(i % 1000)},
		"name": &types.AttributeValueMemberS{Value: "customer name with a little text in it"},
		"wts":  &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().UnixNano(), 10)},
	}
}

// batchWrite writes n items in BatchWriteItem calls of 25 from w goroutines; with rate > 0 the
// calls are paced to rate items per second in total.
// With acked (n long) it records when each item's call returned, in Unix nanoseconds.
func batchWrite(ctx context.Context, c *dynamodb.Client, tbl string, n, w, rate int, acked ...[]atomic.Int64) {
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(25)) - 25
				if lo >= n {
					return
				}
				if rate > 0 {
					due := start.Add(time.Duration(float64(lo) / float64(rate) * float64(time.Second)))
					time.Sleep(time.Until(due))
				}
				var reqs []types.WriteRequest
				for i := lo; i < min(lo+25, n); i++ {
					reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: benchItem(i)}})
				}
				for len(reqs) > 0 {
					out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{tbl: reqs}})
					must(err)
					reqs = out.UnprocessedItems[tbl]
				}
				if len(acked) > 0 {
					now := time.Now().UnixNano()
					for i := lo; i < min(lo+25, n); i++ {
						acked[0][i].Store(now)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// warmUp runs BatchWriteItem and TransactWriteItems on a fresh DynamoDB Local, so that the
// first phase measured does not pay for the JVM compiling them. It writes into a table without a
// stream: stream records, even of a deleted table, slow every later write and read of DynamoDB
// Local down. The stream paths are warmed by the first seconds of each lag phase instead, which
// are not measured (-lag-warmup).
func warmUp(ctx context.Context, d *testenv.DynamoDBLocal) {
	table(ctx, d.Client, "warm", false)
	batchWrite(ctx, d.Client, "warm", 5000, *writers, 0)
	transactWrite(ctx, d.Client, "warm", 5000, *writers)
}

// transactWrite writes n items as conditional puts, 100 per TransactWriteItems call.
func transactWrite(ctx context.Context, c *dynamodb.Client, tbl string, n, w int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(100)) - 100
				if lo >= n {
					return
				}
				var items []types.TransactWriteItem
				for i := lo; i < min(lo+100, n); i++ {
					it := benchItem(i)
					it["_carve_seq"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("%040d", i+1)}
					items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(tbl), Item: it,
						ConditionExpression:       aws.String("attribute_not_exists(#k) OR attribute_not_exists(#s) OR #s < :s"),
						ExpressionAttributeNames:  map[string]string{"#k": "pk", "#s": "_carve_seq"},
						ExpressionAttributeValues: map[string]types.AttributeValue{":s": it["_carve_seq"]}}})
				}
				_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
				must(err)
			}
		}()
	}
	wg.Wait()
}

// readAll reads the stream's shards from the start with a bare GetRecords loop (pages of limit)
// until n records.
func readAll(ctx context.Context, s *dynamodbstreams.Client, arn string, n int, limit int32) int {
	desc, err := s.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	must(err)
	got := 0
	for _, sh := range desc.StreamDescription.Shards {
		it, err := s.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: sh.ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
		must(err)
		iter := it.ShardIterator
		for iter != nil && got < n {
			out, err := s.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(limit)})
			must(err)
			got += len(out.Records)
			iter = out.NextShardIterator
			if len(out.Records) == 0 {
				break
			}
		}
	}
	return got
}

// sample is one change seen in the sink's stream: the writer's index of it, the writer's
// timestamp and when the tail saw it.
type sample struct {
	i         int
	wts, seen time.Time
}

// tail follows the sink's stream and returns, per record, the time it became visible minus the
// writer's timestamp carried in the item. Errors (DynamoDB Local reports a spurious trim on a
// fresh shard now and then) re-open the iterator after the last record seen.
func tail(ctx context.Context, s *dynamodbstreams.Client, arn string, want int) []sample {
	var lags []sample
	desc, err := s.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	must(err)
	shard := desc.StreamDescription.Shards[0].ShardId
	last := ""
	open := func() *string {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: shard, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon}
		if last != "" {
			in.ShardIteratorType, in.SequenceNumber = stypes.ShardIteratorTypeAfterSequenceNumber, aws.String(last)
		}
		it, err := s.GetShardIterator(ctx, in)
		if err != nil {
			return nil
		}
		return it.ShardIterator
	}
	iter := open()
	for len(lags) < want && ctx.Err() == nil {
		if iter == nil {
			time.Sleep(20 * time.Millisecond)
			iter = open()
			continue
		}
		out, err := s.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
		if err != nil {
			iter = nil
			continue
		}
		now := time.Now()
		for _, r := range out.Records {
			last = aws.ToString(r.Dynamodb.SequenceNumber)
			ts, ok1 := r.Dynamodb.NewImage["wts"].(*stypes.AttributeValueMemberN)
			pk, ok2 := r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS)
			if ok1 && ok2 {
				ns, _ := strconv.ParseInt(ts.Value, 10, 64)
				i, _ := strconv.Atoi(strings.TrimPrefix(pk.Value, "ORDER#"))
				lags = append(lags, sample{i: i, wts: time.Unix(0, ns), seen: now})
			}
		}
		iter = out.NextShardIterator
		if len(out.Records) < 1000 {
			time.Sleep(10 * time.Millisecond) // at the tip: do not starve the writers
		}
	}
	return lags
}

func startCarve(dir, cfg, name string) (*exec.Cmd, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(*bin, "sync", "run", "--config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w (run make build)", *bin, err)
	}
	return cmd, nil
}

func stopCarve(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// applied reads carve_sync_records_applied_total from the metrics endpoint.
func applied(port int) float64 {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	total := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "carve_sync_records_applied_total{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			total += v
		}
	}
	return total
}
