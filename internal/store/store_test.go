package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestErrorCodes(t *testing.T) {
	err := fmt.Errorf("put: %w", Errorf(CodeConflict, "key %q exists", "k"))
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) || CodeOf(err) != CodeConflict {
		t.Fatalf("conflict: %v %s", err, CodeOf(err))
	}
	wrapped := Wrap(CodeUnavailable, errors.New("dial tcp: refused"), "connect")
	if !errors.Is(wrapped, ErrUnavailable) || !strings.Contains(wrapped.Error(), "refused") {
		t.Fatal(wrapped)
	}
	if CodeOf(errors.New("x")) != CodeInternal || CodeOf(nil) != "" {
		t.Fatal("CodeOf of plain errors")
	}
}

func TestScheme(t *testing.T) {
	for url, want := range map[string]string{
		"sqlite:./x.db": "sqlite", "postgres://u@h/db": "postgres", "postgresql://u@h/db": "postgres",
		"PostgreS://h": "postgres", "x.db": "", ":x": "",
	} {
		if got := Scheme(url); got != want {
			t.Errorf("Scheme(%q) = %q, want %q", url, got, want)
		}
	}
	if got := redact("postgres://u:secret@h:5432/db"); strings.Contains(got, "secret") {
		t.Errorf("password shown: %s", got)
	}
	_, err := Open(context.Background(), "mysql://u:secret@h/db")
	if !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "secret") {
		t.Errorf("unknown scheme: %v", err)
	}
}

func TestToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b || !strings.HasPrefix(a, "xbt_") || len(a) != 47 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if h := TokenHash(a); len(h) != 32 || string(h) == a {
		t.Fatal("hash")
	}
	for _, r := range Roles {
		if !ValidRole(r) {
			t.Errorf("role %s", r)
		}
	}
	if ValidRole("root") || ValidRole("") {
		t.Error("invalid role accepted")
	}
}

// fakeStore runs Update without a database, to test Group's rules.
type fakeStore struct {
	mu        sync.Mutex
	beginErr  error // Update fails before running anything
	commitErr error
	applied   []string
	updates   int
}

type fakeTx struct {
	Tx
	s       *fakeStore
	pending []string
}

func (f *fakeTx) Savepoint(ctx context.Context, fn func(Tx) error) error {
	n := len(f.pending)
	if err := fn(f); err != nil {
		f.pending = f.pending[:n]
		return err
	}
	return nil
}

func (f *fakeStore) Update(ctx context.Context, fn func(Tx) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates++
	if f.beginErr != nil {
		return f.beginErr
	}
	tx := &fakeTx{s: f}
	if err := fn(tx); err != nil {
		return err
	}
	if f.commitErr != nil {
		return f.commitErr
	}
	f.applied = append(f.applied, tx.pending...)
	return nil
}
func (f *fakeStore) View(context.Context, func(ReadTx) error) error { return nil }
func (f *fakeStore) Backend() string                                { return "fake" }
func (f *fakeStore) Close() error                                   { return nil }

func TestGroup_FailedCommitFailsEveryCaller(t *testing.T) {
	fs := &fakeStore{commitErr: errors.New("disk full")}
	g := NewGroup(fs, GroupOptions{MaxBatch: 8, MaxWait: 20 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = g.Do(context.Background(), func(tx Tx) error {
				tx.(*fakeTx).pending = append(tx.(*fakeTx).pending, fmt.Sprint(i))
				return nil
			})
		}(i)
	}
	wg.Wait()
	g.Close()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("caller %d: %v, want the commit error", i, err)
		}
	}
	if len(fs.applied) != 0 {
		t.Errorf("applied %v despite the failed commit", fs.applied)
	}
}

// TestGroup_FailedBeginFailsEveryCaller: a transaction that fails before any
// caller ran (no connection, a busy database) must not be reported as a
// success to anyone, lone caller or batch.
func TestGroup_FailedBeginFailsEveryCaller(t *testing.T) {
	for _, n := range []int{1, 5} {
		fs := &fakeStore{beginErr: errors.New("database is locked")}
		g := NewGroup(fs, GroupOptions{MaxBatch: 8, MaxWait: 20 * time.Millisecond})
		var wg sync.WaitGroup
		errs := make([]error, n)
		ran := make([]bool, n)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = g.Do(context.Background(), func(tx Tx) error { ran[i] = true; return nil })
			}(i)
		}
		wg.Wait()
		g.Close()
		for i, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "database is locked") || ran[i] {
				t.Errorf("%d callers, caller %d: %v (ran %v), want the begin error", n, i, err, ran[i])
			}
		}
	}
}

// TestGroup_LoneCallerGetsItsOwnError: without a savepoint, a lone caller's
// error is the transaction's; it comes back once, not joined with itself.
func TestGroup_LoneCallerGetsItsOwnError(t *testing.T) {
	fs := &fakeStore{}
	g := NewGroup(fs, GroupOptions{MaxBatch: 8})
	defer g.Close()
	boom := errors.New("boom")
	if err := g.Do(context.Background(), func(tx Tx) error { return boom }); err != boom {
		t.Errorf("lone caller: %v, want exactly its own error", err)
	}
}

func TestGroup_CancelledWhileQueuedNeverRuns(t *testing.T) {
	fs := &fakeStore{}
	g := NewGroup(fs, GroupOptions{MaxBatch: 1, QueueSize: 1})
	block := make(chan struct{})
	started := make(chan struct{})
	go g.Do(context.Background(), func(Tx) error { close(started); <-block; return nil })
	<-started
	// The loop is busy; fill the queue, then queue one more that gives up.
	go g.Do(context.Background(), func(tx Tx) error { tx.(*fakeTx).pending = append(tx.(*fakeTx).pending, "queued"); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	done := make(chan error)
	go func() {
		done <- g.Do(ctx, func(Tx) error { ran = true; return nil })
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	close(block)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	g.Close()
	if ran {
		t.Error("a cancelled caller's fn ran")
	}
	if len(fs.applied) != 1 || fs.applied[0] != "queued" {
		t.Errorf("applied %v", fs.applied)
	}
}

// TestOpen_ErrorsHideSecrets: a database URL's password never reaches an
// error message, whether in the userinfo or a query parameter.
func TestOpen_ErrorsHideSecrets(t *testing.T) {
	for _, u := range []string{
		"mysql://bob:hunter2-secret@db/x",
		"mysql://db/x?password=hunter2-secret",
		"mysql://db/x?sslpassword=hunter2-secret&user=bob",
	} {
		_, err := Open(context.Background(), u)
		if err == nil {
			t.Fatalf("%s opened", u)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%s): %v", u, err)
		}
	}
	if got := RedactURL("postgres://bob:pw@h/db?sslmode=disable&password=x&token=y"); got != "postgres://bob:***@h/db?sslmode=disable&password=***&token=***" {
		t.Errorf("RedactURL = %s", got)
	}
}
