package sink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/stream"
)

// EventSchema names the version of the Event document.
const EventSchema = "carve.sync.event/v1"

// Snapshot is the event name of a backfill's copy of an item.
const Snapshot = "SNAPSHOT"

// Limits of SNS and SQS: a batch call takes at most ten entries, and a message (body and
// attributes) and a whole batch at most 256 KiB.
const (
	MaxBatchEntries = 10
	MaxMessageBytes = 256 * 1024
)

// Event is the JSON document an event sink (SNS, SQS) publishes for one change; docs/sync.md
// (Events) documents it for consumers.
type Event struct {
	Schema string `json:"schema"`
	// ID is the same every time the same change is published (a replay after a crash, a retried
	// batch): consumers de-duplicate on it, and FIFO topics and queues use it as the
	// MessageDeduplicationId.
	ID       string `json:"id"`
	Table    string `json:"table"`
	Pipeline string `json:"pipeline"`
	// Event is INSERT, MODIFY, REMOVE or SNAPSHOT.
	Event string         `json:"event"`
	Keys  map[string]any `json:"keys"`
	// Old and New are the item before and after the change in plain JSON (after the pipeline's
	// mapping); null where there is none.
	Old map[string]any `json:"old"`
	New map[string]any `json:"new"`
	// SequenceNumber is the stream record's sequence number zero-padded to 40 digits, so that
	// comparing two as strings orders a key's changes; a snapshot carries the stream position it
	// was taken at.
	SequenceNumber string `json:"sequence_number"`
	// ApproximateCreationTime is the stream record's time (RFC 3339); null for a snapshot.
	ApproximateCreationTime *time.Time `json:"approximate_creation_time"`
	// Record is the source record (shard/sequence number, or scan/key for a snapshot).
	Record string `json:"record"`
}

// EventID is the stable id of w's event in pipeline of table: the same change always gets the
// same id, two pipelines publishing one change get two.
func EventID(table, pipeline string, w Write) string {
	h := sha256.New()
	for _, s := range []string{table, pipeline, w.Ref, w.Version} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// NewEvent builds the event of w.
func NewEvent(table, pipeline string, w Write) Event {
	e := Event{
		Schema: EventSchema, ID: EventID(table, pipeline, w), Table: table, Pipeline: pipeline,
		Event: w.Event, Keys: item.PlainMap(w.Keys), SequenceNumber: w.Version, Record: w.Ref,
	}
	if e.Event == "" {
		e.Event = "MODIFY"
		if w.Delete {
			e.Event = "REMOVE"
		}
	}
	if len(w.Keys) == 0 {
		e.Keys = nil
	}
	if w.Old != nil {
		e.Old = item.PlainMap(w.Old)
	}
	if !w.Delete {
		e.New = item.PlainMap(w.Item)
	}
	if !w.Created.IsZero() {
		t := w.Created.UTC()
		e.ApproximateCreationTime = &t
	}
	return e
}

// GroupKey is the message group of an event's key: the key attributes as compact JSON when that
// fits SNS's and SQS's rule (at most 128 printable ASCII characters), else a hash of it.
func GroupKey(keys map[string]any) string {
	b, _ := json.Marshal(keys) // map keys are sorted
	ok := len(b) <= 128
	for _, c := range b {
		if c < 0x21 || c > 0x7e {
			ok = false
			break
		}
	}
	if ok {
		return string(b)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// message is one event ready to send.
type message struct {
	body  string
	attrs map[string]string // String message attributes: table, pipeline, event
	group string            // the key's group: ordering lane, FIFO MessageGroupId
	dedup string            // the event id: FIFO MessageDeduplicationId
	ref   string
}

// size is what SNS and SQS count against the 256 KiB limit: the body and every attribute's
// name, type and value.
func (m message) size() int {
	n := len(m.body)
	for k, v := range m.attrs {
		n += len(k) + len("String") + len(v)
	}
	return n
}

// rejected is an entry of a batch the service did not take.
type rejected struct {
	index int // in the batch sent
	// permanent: the service blames the entry (SenderFault); retrying it cannot help.
	permanent bool
	reason    string
}

// collectRejected turns the failed entries of a batch answer (their ids are the indexes sent)
// into rejected entries; entry reads an entry's id, code, message and SenderFault.
func collectRejected[E any](target string, n int, failed []E, entry func(E) (id, code, msg string, blamed bool)) ([]rejected, error) {
	var rej []rejected
	for _, f := range failed {
		id, code, msg, blamed := entry(f)
		i, err := strconv.Atoi(id)
		if err != nil || i < 0 || i >= n {
			return nil, fmt.Errorf("%s: the batch answer names an unknown entry id %q", target, id)
		}
		rej = append(rej, rejected{index: i, permanent: blamed, reason: code + ": " + msg})
	}
	return rej, nil
}

// publisher sends batches of messages to one topic or queue.
type publisher interface {
	// send sends at most MaxBatchEntries messages, at most one per key, and returns the ones the
	// service did not take; an error means none was known to be taken.
	send(ctx context.Context, ms []message, fifo bool) ([]rejected, error)
	// target names the topic or queue in errors.
	target() string
}

// Events publishes every change as an Event, in order per key: a key's events go through one
// lane of a batch's concurrency, each lane sends its batches one after the other, a batch holds at
// most one event per key, and a batch is fully acknowledged (its rejected entries retried) before
// the lane sends the next. It keeps no version: consumers compare SequenceNumber (docs/sync.md).
type Events struct {
	pub         publisher
	table       string
	pipeline    string
	fifo        bool
	concurrency int
	backoff     stream.Backoff
}

func newEvents(pub publisher, table, pipeline string, fifo bool, concurrency int, b stream.Backoff) *Events {
	return &Events{pub: pub, table: table, pipeline: pipeline, fifo: fifo, concurrency: max(1, concurrency), backoff: b}
}

// Key implements Sink: events carry their own keys.
func (e *Events) Key() []string { return nil }

// Close implements Sink.
func (e *Events) Close() {}

// FIFO reports whether the topic or queue is a FIFO one.
func (e *Events) FIFO() bool { return e.fifo }

// Apply implements Sink. Every write is published, none is skipped as stale: Applied counts them
// all. A write whose event exceeds 256 KiB fails the whole call before anything is sent, as a
// PermanentError naming the record, so the job isolates and dead-letters it alone.
func (e *Events) Apply(ctx context.Context, ws []Write) (Result, error) {
	lanes := make([][]message, e.concurrency)
	for _, w := range ws {
		m, err := e.message(w)
		if err != nil {
			return Result{}, err
		}
		h := fnv.New32a()
		h.Write([]byte(m.group))
		l := int(h.Sum32() % uint32(e.concurrency))
		lanes[l] = append(lanes[l], m)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, lane := range lanes {
		if len(lane) > 0 {
			g.Go(func() error { return e.publishLane(gctx, lane) })
		}
	}
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	return Result{Applied: len(ws)}, nil
}

func (e *Events) message(w Write) (message, error) {
	ev := NewEvent(e.table, e.pipeline, w)
	if ev.Keys == nil {
		return message{}, Permanent(fmt.Errorf("%s: record %s: the change carries no key attributes", e.pub.target(), w.Ref))
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return message{}, Permanent(fmt.Errorf("%s: record %s: encode event: %w", e.pub.target(), w.Ref, err))
	}
	m := message{body: string(b), attrs: map[string]string{"table": e.table, "pipeline": e.pipeline, "event": ev.Event},
		group: GroupKey(ev.Keys), dedup: ev.ID, ref: w.Ref}
	if n := m.size(); n > MaxMessageBytes {
		return message{}, Permanent(fmt.Errorf("%s: record %s: the event is %d bytes, over the 256 KiB (%d bytes) a message may hold: drop large attributes in the pipeline's map.drop, or keep them elsewhere (S3) and publish a reference", e.pub.target(), w.Ref, n, MaxMessageBytes))
	}
	return m, nil
}

// publishLane sends a lane's messages in order, in batches of at most ten, 256 KiB and one
// message per key.
func (e *Events) publishLane(ctx context.Context, ms []message) error {
	for len(ms) > 0 {
		n, size := 0, 0
		keys := map[string]bool{}
		for n < len(ms) && n < MaxBatchEntries && size+ms[n].size() <= MaxMessageBytes && !keys[ms[n].group] {
			keys[ms[n].group] = true
			size += ms[n].size()
			n++
		}
		if err := e.publishBatch(ctx, ms[:n]); err != nil {
			return err
		}
		ms = ms[n:]
	}
	return nil
}

// publishBatch sends one batch until every entry is acknowledged: throttling, service faults and
// rejected entries the service does not blame on the entry are retried with backoff; an entry
// the service blames is a PermanentError (the job isolates and dead-letters it).
func (e *Events) publishBatch(ctx context.Context, batch []message) error {
	for attempt := 1; ; attempt++ {
		rej, err := e.pub.send(ctx, batch, e.fifo)
		switch {
		case err != nil && ctx.Err() != nil:
			return err
		case err != nil && isPermanentCall(err):
			refs := make([]string, len(batch))
			for i, m := range batch {
				refs[i] = m.ref
			}
			return Permanent(fmt.Errorf("%s: records %s: %w", e.pub.target(), strings.Join(refs, ", "), err))
		case err != nil && !retryableCall(err):
			return fmt.Errorf("%s: %w", e.pub.target(), explain(err))
		case err == nil && len(rej) == 0:
			return nil
		case err == nil:
			sort.Slice(rej, func(a, b int) bool { return rej[a].index < rej[b].index })
			for _, r := range rej {
				if r.permanent {
					return Permanent(fmt.Errorf("%s: record %s: rejected: %s", e.pub.target(), batch[r.index].ref, r.reason))
				}
			}
			left := make([]message, len(rej))
			for i, r := range rej {
				left[i] = batch[r.index]
			}
			batch = left
		}
		if e.backoff.OnRetry != nil {
			e.backoff.OnRetry(err)
		}
		if werr := e.backoff.Wait(ctx, attempt); werr != nil {
			return werr
		}
	}
}

// Error codes SNS and SQS return for a request that fails the same way every time it is sent.
var permanentCodes = map[string]bool{
	"InvalidParameter": true, "InvalidParameterValue": true, "ParameterValueInvalid": true,
	"BatchRequestTooLong": true, "TooManyEntriesInBatchRequest": true, "InvalidBatchEntryId": true,
	"BatchEntryIdsNotDistinct": true, "InvalidMessageContents": true, "ValidationError": true,
	"InvalidParameterException": true, "InvalidMessageContentsException": true,
	"BatchRequestTooLongException": true, "TooManyEntriesInBatchRequestException": true,
	"AWS.SimpleQueueService.BatchRequestTooLong": true, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest": true,
	"AWS.SimpleQueueService.InvalidBatchEntryId": true, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct": true,
	"MessageTooBig": true,
}

// isPermanentCall reports whether a whole batch call was refused for its content.
func isPermanentCall(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && permanentCodes[ae.ErrorCode()]
}

// retryableCall reports whether a failed call may succeed when sent again: throttling, a service
// fault, a lost connection.
func retryableCall(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "Throttled", "Throttling", "ThrottlingException", "RequestThrottled", "KMSThrottling", "KMSThrottlingException",
			"InternalError", "InternalFailure", "ServiceUnavailable", "RequestThrottledException", "AWS.SimpleQueueService.InternalError":
			return true
		}
		return ae.ErrorFault() == smithy.FaultServer
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	return stream.Retryable(err)
}

// explain adds what to do to the errors an operator must fix: a missing topic or queue, missing
// permissions.
func explain(err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	code := ae.ErrorCode()
	switch {
	case strings.Contains(code, "NotFound") || strings.Contains(code, "NonExistent"):
		return fmt.Errorf("%w: it does not exist: create it, or fix the pipeline's sink", err)
	case strings.Contains(code, "AuthorizationError") || strings.Contains(code, "AccessDenied"):
		return fmt.Errorf("%w: grant the worker's role permission to publish (sns:Publish, sqs:SendMessage)", err)
	}
	return err
}

// unsupported reports whether the endpoint does not know the operation at all: it answered 400
// with a body that is no AWS error document (an emulator without the call). AWS itself always
// answers with an error document.
func unsupported(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() == "InvalidAction" || ae.ErrorCode() == "UnknownOperationException"
	}
	var re *awshttp.ResponseError
	var de *smithy.DeserializationError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusBadRequest && errors.As(err, &de)
}

// eventTargetName is SNS's rule for topic names, which SQS shares for queue names (at most 80
// long): letters, digits, hyphens and underscores, with .fifo at the end of a FIFO one.
var eventTargetName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// IsFIFO reports whether a topic or queue name is a FIFO one.
func IsFIFO(name string) bool { return strings.HasSuffix(name, ".fifo") }
