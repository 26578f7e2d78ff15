package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresDB is a fresh, empty database on the PostgreSQL server shared by the test binary.
type PostgresDB struct {
	// DSN connects to the database as the superuser postgres, trusting loopback connections.
	DSN string
	// Name is the database name.
	Name string
	// ServerDSN connects to the server's maintenance database "postgres".
	ServerDSN string
}

// Postgres creates a fresh database for the test on a PostgreSQL server shared by the whole test
// binary (initdb takes seconds; a database takes milliseconds) and drops it when the test ends.
// The server starts on first use, runs as the postgres user when the tests run as root, and is
// stopped by Run (or dies with the test binary).
func Postgres(t testing.TB) *PostgresDB {
	t.Helper()
	srv, err := sharedPostgres()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("t%d_%s", dbCounter.Add(1), sanitize(t.Name()))
	if len(name) > 60 {
		name = name[:60]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, srv.dsn("postgres"))
	if err != nil {
		t.Fatalf("testenv: connect to the shared PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, srv.dsn("postgres"))
		if err != nil {
			return // the server is gone; nothing to drop
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	return &PostgresDB{DSN: srv.dsn(name), Name: name, ServerDSN: srv.dsn("postgres")}
}

var dbCounter atomic.Int64

var nonWord = regexp.MustCompile(`[^a-z0-9_]+`)

func sanitize(s string) string { return nonWord.ReplaceAllString(strings.ToLower(s), "_") }

type pgServer struct {
	dir    string
	port   int
	cmd    *exec.Cmd
	waited chan struct{}
}

func (s *pgServer) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

var shared struct {
	sync.Mutex
	srv *pgServer
	err error
}

func sharedPostgres() (*pgServer, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil || shared.err != nil {
		return shared.srv, shared.err
	}
	shared.srv, shared.err = startPostgres()
	return shared.srv, shared.err
}

func stopSharedPostgres() {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil {
		shared.srv.stop()
		shared.srv = nil
	}
}

// StartPostgres starts a private PostgreSQL server; the returned stop function stops it and
// removes its files. Tests use Postgres; this is for benchmarks.
func StartPostgres() (dsn string, stop func(), err error) {
	s, err := startPostgres()
	if err != nil {
		return "", nil, err
	}
	return s.dsn("postgres"), s.stop, nil
}

func pgBinDir() (string, error) {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(m) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", nil
	}
	sort.Slice(m, func(i, j int) bool { return pgVersion(m[i]) < pgVersion(m[j]) })
	return filepath.Dir(m[len(m)-1]), nil
}

func pgVersion(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func startPostgres() (*pgServer, error) {
	// initdb's shell redirects to /dev/null as the postgres user: a /dev/null replaced by a
	// root-owned file (a tool writing "atomically" to --out /dev/null does that) breaks it.
	if fi, err := os.Stat("/dev/null"); err == nil && fi.Mode()&os.ModeCharDevice == 0 {
		return nil, fmt.Errorf("testenv: /dev/null is a regular file, not the null device (some tool replaced it; initdb cannot run): restore it as root with: rm /dev/null && mknod -m 666 /dev/null c 1 3")
	}
	bin, _ := pgBinDir()
	if bin == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		if err := installDeps(root); err != nil {
			return nil, err
		}
		if bin, _ = pgBinDir(); bin == "" {
			return nil, fmt.Errorf("testenv: PostgreSQL's initdb not found under /usr/lib/postgresql after deps.sh: run `make deps`")
		}
	}
	// initdb refuses to run as root: run the server as the postgres user then.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("testenv: running as root but there is no postgres user to run PostgreSQL as: %w (run `make deps`)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "carve-testenv-pg-")
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("testenv: %w", err)
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testenv: initdb failed: %w\n%s", err, out)
	}
	s, err := launchTries(func(attempt int) (*pgServer, error) { return launchPostgres(bin, dir, cred, attempt) })
	if err != nil {
		os.RemoveAll(dir)
	}
	return s, err
}

func launchPostgres(bin, dir string, cred *syscall.Credential, attempt int) (*pgServer, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, fmt.Sprintf("postgres-%d.log", attempt))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	defer logf.Close()
	// Durability is not under test: fsync off keeps a shared 2-core machine responsive.
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"),
		"-p", strconv.Itoa(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200")
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	// SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its backends with it.
	dieWithParent(cmd.SysProcAttr, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testenv: starting postgres: %w", err)
	}
	s := &pgServer{dir: dir, port: port, cmd: cmd, waited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.waited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.dsn("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return s, nil
		}
		select {
		case <-s.waited:
			return nil, fmt.Errorf("testenv: postgres exited while starting on port %d:\n%s", port, tail(logPath, 4000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Signal(syscall.SIGQUIT)
			<-s.waited
			return nil, fmt.Errorf("testenv: postgres on port %d not ready within 60s: %w\n%s", port, err, tail(logPath, 4000))
		}
	}
}

// stop shuts the server down fast (SIGINT), waits, and removes its files.
func (s *pgServer) stop() {
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.waited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.waited
	}
	os.RemoveAll(s.dir)
}
