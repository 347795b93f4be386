// Package e2e runs the real xborder binary as separate processes: two
// `serve` processes on one PostgreSQL schema, and `serve` killed with
// SIGKILL in the middle of a stream of checks. TestMain builds the binary
// once with `go build`.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/store"
	_ "github.com/xborder/xborder/internal/store/postgres"
	_ "github.com/xborder/xborder/internal/store/sqlite"
	"github.com/xborder/xborder/internal/store/storetest"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xborder-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "xborder")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/xborder/xborder/cmd/xborder")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const token = "xbt_e2e_admin_token_" + "0123456789abcdef012345"

// serveProc is one running `xborder serve`.
type serveProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	base   string
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{}
	err    error
}

// startServe runs `xborder serve` on db, on a free loopback port, and waits
// until it serves.
func startServe(t testing.TB, db string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "XBORDER_ADMIN_TOKEN="+token)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{t: t, cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if i := strings.Index(line, "serving on http://"); i >= 0 {
				a := strings.Fields(line[i+len("serving on "):])[0]
				select {
				case addr <- a:
				default:
				}
			}
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case a := <-addr:
		p.base = a
	case <-p.exited:
		t.Fatalf("serve exited before serving: %v\n%s", p.err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start within 60 s\n%s", p.log())
	}
	return p
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// kill9 kills the process with SIGKILL: no shutdown code runs.
func (p *serveProc) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop ends the process gracefully (SIGTERM) and waits.
func (p *serveProc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		p.t.Errorf("serve did not stop within 60 s of SIGTERM\n%s", p.log())
		p.cmd.Process.Kill()
		<-p.exited
	}
	if p.err != nil {
		p.t.Logf("serve exited after SIGTERM with %v; its log:\n%s", p.err, p.log())
	}
}

// pgSchema gives the test a fresh PostgreSQL schema (dropped afterwards), or
// skips without XBORDER_TEST_POSTGRES.
func pgSchema(t testing.TB) string { return storetest.PostgresSchema(t) }

func sqliteDB(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "xborder.db")
}

func openStore(t testing.TB, db string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	return st
}

// auditVerifyCLI runs `xborder audit verify --db` and fails the test unless
// it exits 0.
func auditVerifyCLI(t testing.TB, db string) {
	t.Helper()
	out, err := exec.Command(bin, "audit", "verify", "--db", db).CombinedOutput()
	if err != nil {
		t.Fatalf("xborder audit verify --db: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("OK")) {
		t.Fatalf("xborder audit verify printed no OK:\n%s", out)
	}
}
