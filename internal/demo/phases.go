package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/carve-dev/carve/strangler"
)

// The migration's phases, in order, while customers shop through the proxy:
//
//  1. shadow: the monolith serves every order; a sample of the GETs is copied to the service
//     and the answers compared (expected: 0 differing);
//  2. rollout: the config gains a rollout, the proxy reloads it and raises the service's share
//     step by step on its own, judging each hold by its gates, up to 100%;
//  3. new build: the operator takes the service out (rollout abort: 0%) to deploy a new build;
//     the monolith must serve every order, also those the service placed;
//  4. faulty builds: each deliberately faulty build is deployed and the rollout resumed; the
//     gates must catch it at the first step and roll back to 0% on their own;
//  5. fixed build: the good build again, resumed, up to 100%.

// route is the orders route of the generated proxy config.
const route = "orders"

// Fault is a deliberately faulty build of the service: its flags (samples/shop-orders/fault)
// and the gate expected to catch it.
type Fault struct {
	Name string
	Args []string
	// Gate is the gate expected to fail ("" accepts any).
	Gate string
}

// DefaultFaults are the faulty builds make demo deploys: one fails requests, one changes a
// field of its answers.
var DefaultFaults = []Fault{
	{Name: "5% of requests fail", Args: []string{"-fault-rate", "0.05"}},
	{Name: "currency reported as USD", Args: []string{"-fault-field", "currency=USD"}, Gate: "max_diff_rate"},
}

// ShadowSummary is what the shadow phase compared.
type ShadowSummary struct {
	Sample              float64
	Compared, Differing int64
	// Fields are the top differing fields ("field: count"); Noise the fields learned as noise.
	Fields, Noise []string
}

// RolloutStep is one step the proxy took on its own.
type RolloutStep struct {
	Percent int
	At      time.Duration // since the rollout (or resume) started
	// Passed are the gates that passed the step before, as the proxy judged them.
	Passed []strangler.GateResult
}

// RolloutRun is one automatic rollout, from its start (or resume) until done or rolled back.
type RolloutRun struct {
	Phase string
	Steps []RolloutStep
	// State and Percent at the end: done at 100, or paused after a rollback.
	State   string
	Percent int
	Elapsed time.Duration
	// RolledBack: a gate failed; Gate is the failing one with its figures, From and To the
	// percentages, After the time from entering the step to the rollback, Event the proxy's
	// log event.
	RolledBack bool
	Gate       strangler.GateResult
	From, To   int
	After      time.Duration
	Message    string
	Event      string
}

// Holds is how many holds of hold the step took before its rollback: 1 when the gates failed at
// the end of the first, more when a hold lacked the requests the gates need and was held again.
func (ro RolloutRun) Holds(hold time.Duration) int {
	return max(1, int((ro.After+hold/2)/hold))
}

// FaultRun is a faulty build and the rollout that met it.
type FaultRun struct {
	Fault   Fault
	Rollout RolloutRun
	// Diff are the top shadow fields that differed while it was on.
	Diff []string
}

// phase is one named step of the migration.
type phase struct {
	name string
	run  func(context.Context, *traffic) error
}

// errStop ends the phases early without an error of the run: the summary's Problems say why.
var errStop = errors.New("the migration stopped early")

func (r *run) phases() []phase {
	return []phase{
		{"shadow: the monolith serves, the service answers copies", r.shadowPhase},
		{"automatic rollout 0% → 100%", r.rolloutPhase},
		{"new build: the operator takes the service out", r.newBuildPhase},
		{"faulty builds: caught and rolled back by the gates", r.faultyPhase},
		{"the fixed build, resumed to 100%", r.fixedPhase},
	}
}

// quiet pauses the customers and waits until their writes have replicated; the caller resumes
// them (t.paused.Store(false)).
func (r *run) quiet(ctx context.Context, t *traffic) error {
	if err := t.pause(ctx); err != nil {
		return err
	}
	return r.settle(ctx, t)
}

// wait lets the traffic run for d.
func (r *run) wait(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("demo: interrupted: %w", ctx.Err())
	case err := <-r.probeErr:
		return fmt.Errorf("demo: %w", err)
	case <-time.After(d):
		return nil
	}
}

// shadowPhase runs traffic at 0% with shadow copies and reads the proxy's diff.
func (r *run) shadowPhase(ctx context.Context, t *traffic) error {
	r.row(t, "shadow", 0)
	if err := r.wait(ctx, r.o.Step); err != nil {
		return err
	}
	r.row(t, "reload 0%", 0)
	// Copies still queued or waiting for the sync finish within its lag.
	if err := r.wait(ctx, time.Second); err != nil {
		return err
	}
	rep, err := r.diff(ctx)
	if err != nil {
		return err
	}
	s := &ShadowSummary{Sample: r.o.Shadow, Compared: rep.Compared, Differing: rep.Differing, Noise: rep.Noise}
	for _, f := range rep.Fields {
		s.Fields = append(s.Fields, fmt.Sprintf("%s: %d", f.Field, f.Count))
	}
	r.summary.Shadow = s
	out, err := r.carveCmd(ctx, "proxy", "diff", route, "--top", "3", "--admin", r.url("admin"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.say("carve proxy diff %s:\n  %s", route, strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "\n  "))
	return nil
}

// rolloutPhase adds the rollout to the config, reloads the proxy and follows the rollout up
// to 100%; then verifies both tables.
func (r *run) rolloutPhase(ctx context.Context, t *traffic) error {
	if err := r.writeStranglerConfig(ctx, true); err != nil {
		return err
	}
	r.say("carve plan strangler ... --rollout-steps %s --rollout-hold %s --rollout-gate %s; SIGHUP: the proxy reloads it",
		joinInts(r.o.RolloutSteps), r.o.Hold, strings.Join(r.gates(), ","))
	if err := syscall.Kill(r.proxy.cmd.Process.Pid, syscall.SIGHUP); err != nil {
		return fmt.Errorf("demo: reloading the proxy: %w", err)
	}
	ro, err := r.follow(ctx, t, "rollout", 0)
	if err != nil {
		return err
	}
	r.summary.Rollouts = append(r.summary.Rollouts, ro)
	if ro.State != strangler.RolloutDone {
		r.printDiff(ctx)
		return errStop
	}
	defer t.paused.Store(false)
	if err := r.quiet(ctx, t); err != nil {
		return err
	}
	return r.verify(ctx, "at 100%")
}

// newBuildPhase aborts the rollout (0%: the monolith serves every order again) and checks
// that it serves every order, including those the service placed.
func (r *run) newBuildPhase(ctx context.Context, t *traffic) error {
	if err := r.rolloutCmd(ctx, "abort"); err != nil {
		return err
	}
	r.row(t, "aborted 0%", 0)
	if err := r.wait(ctx, r.o.Step/2); err != nil {
		return err
	}
	defer t.paused.Store(false)
	if err := r.quiet(ctx, t); err != nil {
		return err
	}
	n, bySvc, bad, err := t.checkAll(ctx, r.checker, false)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.summary.RollbackChecked, r.summary.RollbackByService, r.summary.RollbackBad = n, bySvc, bad
	r.say("at 0%%: the monolith serves %d/%d orders, %d of them placed through the service", n-len(bad), n, bySvc)
	return nil
}

// faultyPhase deploys each faulty build and resumes the rollout, which must roll it back.
func (r *run) faultyPhase(ctx context.Context, t *traffic) error {
	for i, f := range r.o.Faults {
		if err := r.deploy(ctx, t, fmt.Sprintf("faulty build %d: %s", i+1, f.Name), f.Args...); err != nil {
			return err
		}
		before, err := r.diff(ctx)
		if err != nil {
			return err
		}
		ro, err := r.resume(ctx, t, fmt.Sprintf("fault%d", i+1))
		if err != nil {
			return err
		}
		fr := FaultRun{Fault: f, Rollout: ro}
		after, err := r.diff(ctx)
		if err != nil {
			return err
		}
		fr.Diff = diffSince(before, after)
		if len(fr.Diff) > 0 {
			r.say("shadow fields that differed meanwhile: %s", strings.Join(fr.Diff, ", "))
		}
		r.summary.Faults = append(r.summary.Faults, fr)
		if !ro.RolledBack {
			return errStop
		}
	}
	return nil
}

// fixedPhase deploys the good build again and resumes the rollout to 100%.
func (r *run) fixedPhase(ctx context.Context, t *traffic) error {
	if err := r.deploy(ctx, t, "the fixed build"); err != nil {
		return err
	}
	ro, err := r.resume(ctx, t, "fixed")
	if err != nil {
		return err
	}
	r.summary.Rollouts = append(r.summary.Rollouts, ro)
	if ro.State != strangler.RolloutDone {
		r.printDiff(ctx)
		return errStop
	}
	return nil
}

// resume resumes the paused rollout with `carve proxy rollout resume` and follows it to its end
// (a rollback counts from the rollbacks before the resume).
func (r *run) resume(ctx context.Context, t *traffic, phase string) (RolloutRun, error) {
	s, err := r.rolloutStatus(ctx)
	if err != nil {
		return RolloutRun{}, err
	}
	if err := r.rolloutCmd(ctx, "resume"); err != nil {
		return RolloutRun{}, err
	}
	return r.follow(ctx, t, phase, s.Rollbacks)
}

// printDiff prints the top shadow differences, to say why a good build was rolled back.
func (r *run) printDiff(ctx context.Context) {
	if out, err := r.carveCmd(ctx, "proxy", "diff", route, "--top", "3", "--admin", r.url("admin")); err == nil {
		r.say("carve proxy diff %s:\n  %s", route, strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "\n  "))
	}
}

// drainShadow waits, customers paused, until the proxy's count of compared shadow copies has
// held still for shadowQuiet (at most 15 s).
func (r *run) drainShadow(ctx context.Context) error {
	last, since, deadline := int64(-1), time.Now(), time.Now().Add(15*time.Second)
	for time.Now().Before(deadline) {
		rep, err := r.diff(ctx)
		if err != nil {
			return err
		}
		if rep.Compared != last {
			last, since = rep.Compared, time.Now()
		} else if time.Since(since) >= shadowQuiet {
			return nil
		}
		if err := r.wait(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// shadowQuiet is how long no copy is compared before the shadow pipeline counts as drained:
// longer than a copy's wait for the syncs (about 100 ms each way here) and its calls.
const shadowQuiet = time.Second

// deploy replaces the running service by a build with args (none: the good one), with the
// customers paused so that no request or shadow copy meets the restart.
func (r *run) deploy(ctx context.Context, t *traffic, name string, args ...string) error {
	if err := t.pause(ctx); err != nil {
		return err
	}
	defer t.paused.Store(false)
	// Shadow copies of the last requests may still wait for the sync or be compared (a faulty
	// build's differences each ask the monolith again): let them finish against the build that
	// answered them, so that none is counted in the next build's first hold.
	if err := r.drainShadow(ctx); err != nil {
		return err
	}
	if err := r.service.stop(15 * time.Second); err != nil {
		return fmt.Errorf("demo: stopping the service: %w", err)
	}
	r.deploys++
	if err := r.startService(ctx, fmt.Sprintf("shop-orders-%d", r.deploys), args...); err != nil {
		return err
	}
	flags := strings.Join(args, " ")
	if flags == "" {
		flags = "no fault flags"
	}
	r.say("deployed %s (shop-orders %s; log %s)", name, flags, r.service.log)
	return nil
}

// follow polls the rollout's status from 0%, starting a traffic row at each percentage the
// proxy sets and printing each step, until the rollout is done or rolled back (a rollback more
// than the rollbacks before), or it takes longer than every step held twice.
func (r *run) follow(ctx context.Context, t *traffic, phase string, rollbacks int) (RolloutRun, error) {
	start := time.Now()
	ro := RolloutRun{Phase: phase}
	pct := 0
	var entered time.Time
	deadline := start.Add(time.Duration(2*len(r.o.RolloutSteps)+2)*r.o.Hold + 30*time.Second)
	for {
		s, err := r.rolloutStatus(ctx)
		if err != nil {
			return ro, err
		}
		if s.Percent != pct {
			if s.Rollbacks == rollbacks && s.Percent > pct {
				st := RolloutStep{Percent: s.Percent, At: time.Since(start)}
				if pct > 0 {
					st.Passed = s.Gates
					r.say("rollout: %d%% held %s: %s", pct, s.Hold, gateLine(s.Gates))
				}
				ro.Steps = append(ro.Steps, st)
				r.say("rollout: the proxy sets %s to %d%% (%s)", route, s.Percent, time.Since(start).Round(100*time.Millisecond))
				entered = time.Now()
			}
			pct = s.Percent
			r.row(t, fmt.Sprintf("%s %d%%", phase, pct), pct)
		}
		ro.State, ro.Percent = s.State, s.Percent
		switch {
		case s.Rollbacks > rollbacks:
			ro.RolledBack, ro.To, ro.After, ro.Message = true, s.Percent, time.Since(entered), s.Message
			for _, g := range slices.Backward(s.Gates) { // the first failing gate is the one that rolled back
				if !g.Pass {
					ro.Gate = g
				}
			}
			if n := len(ro.Steps); n > 0 {
				ro.From = ro.Steps[n-1].Percent
			}
			ro.Event = r.proxyEvent("rollout rolled back: gate failed")
			r.say("rollout: ROLLED BACK %d%% → %d%% after %s: %s", ro.From, ro.To, ro.After.Round(100*time.Millisecond), s.Message)
			r.say("proxy log: %s", ro.Event)
		case s.State == strangler.RolloutDone:
			r.say("rollout: %d%% held %s: %s", pct, s.Hold, gateLine(s.Gates))
			r.say("rollout: done, %s", s.Message)
		case s.State != strangler.RolloutRunning:
			r.say("rollout: %s: %s", s.State, s.Message)
		case time.Now().After(deadline):
			r.say("rollout: still at %d%% after %s: %s", s.Percent, time.Since(start).Round(time.Second), s.Message)
		default:
			if err := r.wait(ctx, 100*time.Millisecond); err != nil {
				return ro, err
			}
			continue
		}
		ro.Elapsed = time.Since(start)
		return ro, nil
	}
}

func gateLine(gates []strangler.GateResult) string {
	var parts []string
	for _, g := range gates {
		verdict := "ok"
		if !g.Pass {
			verdict = "FAILED"
		}
		switch g.Gate {
		case "min_requests":
			parts = append(parts, fmt.Sprintf("%.0f requests (min %.0f)", g.Candidate, g.Limit))
		default:
			parts = append(parts, fmt.Sprintf("%s %.3g (limit %.3g, monolith %.3g) %s", g.Gate, g.Candidate, g.Limit, g.Primary, verdict))
		}
	}
	return strings.Join(parts, ", ")
}

// diffSince lists the shadow fields that differed between two diff reports.
func diffSince(before, after strangler.DiffReport) []string {
	old := map[string]int64{}
	for _, f := range before.Fields {
		old[f.Field] = f.Count
	}
	var out []string
	for _, f := range after.Fields {
		if n := f.Count - old[f.Field]; n > 0 {
			ex := ""
			if len(f.Examples) > 0 {
				ex = fmt.Sprintf(" (%s → %s)", f.Examples[0].Primary, f.Examples[0].Candidate)
			}
			out = append(out, fmt.Sprintf("%s %d%s", f.Field, n, ex))
		}
	}
	return out
}

// gates are the rollout's gate flags.
func (r *run) gates() []string {
	return []string{fmt.Sprintf("min_requests=%d", r.o.MinRequests), "max_p99_ratio=" + fmt.Sprint(r.o.MaxP99Ratio), "max_diff_rate=" + fmt.Sprint(r.o.MaxDiffRate)}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

func (r *run) rolloutCmd(ctx context.Context, action string) error {
	out, err := r.carveCmd(ctx, "proxy", "rollout", action, route, "--admin", r.url("admin"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.say("carve proxy rollout %s %s: %s", action, route, strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]))
	return nil
}

// admin reads a JSON answer of the proxy's admin API.
func (r *run) admin(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url("admin")+path, nil)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("demo: the proxy's admin API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("demo: the proxy's admin API: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: GET %s: %d %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("demo: GET %s: %w", path, err)
	}
	return nil
}

// rolloutStatus reads the rollout's status, retrying briefly while the proxy reloads the
// config that adds it.
func (r *run) rolloutStatus(ctx context.Context) (strangler.RolloutStatus, error) {
	var s strangler.RolloutStatus
	var err error
	for range 50 {
		if err = r.admin(ctx, "/routes/"+route+"/rollout", &s); err == nil || ctx.Err() != nil {
			return s, err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s, err
}

func (r *run) diff(ctx context.Context) (strangler.DiffReport, error) {
	var rep strangler.DiffReport
	err := r.admin(ctx, "/routes/"+route+"/diff?top=100", &rep)
	return rep, err
}

// proxyEvent returns the proxy's last log line with msg, without its time.
func (r *run) proxyEvent(msg string) string {
	f, err := os.Open(r.proxy.log)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"msg":"`+msg+`"`) {
			last = sc.Text()
		}
	}
	var ev map[string]any
	if json.Unmarshal([]byte(last), &ev) != nil {
		return last
	}
	delete(ev, "time")
	b, _ := json.Marshal(ev)
	return string(b)
}

// row prints the traffic row being counted and starts the next.
func (r *run) row(t *traffic, name string, weight int) {
	if t.current().name != "start" {
		r.say("%s", r.stepLine(t))
	}
	t.begin(name, weight)
}

// stepLine describes the traffic row being counted.
func (r *run) stepLine(t *traffic) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats()
	faults := ""
	if s.faults > 0 {
		faults = fmt.Sprintf(", %d injected faults", s.faults)
	}
	return fmt.Sprintf("  %-14s service %3d%%: %4d requests (%d monolith, %d service), %d errors%s, %d stale reads, %d placed, %d cancelled, lag p50 %s p99 %s",
		s.name, s.weight, s.requests, s.byMonolith, s.byService, s.errors, faults, s.staleReads, s.created, s.cancelled,
		ms(percentile(s.lags, 0.5)), ms(percentile(s.lags, 0.99)))
}
