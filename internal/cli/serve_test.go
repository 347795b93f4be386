package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeConfigPrecedence: defaults < file < environment < flags.
func TestServeConfigPrecedence(t *testing.T) {
	var got serveConfig
	serveRun = func(_ context.Context, _ *Env, cfg serveConfig) error { got = cfg; return nil }
	t.Cleanup(func() { serveRun = runServe })
	dir := t.TempDir()
	file := filepath.Join(dir, "serve.yaml")
	os.WriteFile(file, []byte("addr: 127.0.0.1:9000\ndb: sqlite:/from/file.db\nlog_level: debug\nmax_batch: 32\nqueue: 64\n"), 0o644)
	envs := map[string]string{"XBORDER_DB": "sqlite:/from/env.db", "XBORDER_QUEUE": "128"}
	runWith := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Now: time.Now, Getenv: func(k string) string { return envs[k] }}
		return Run(context.Background(), env, args), errb.String()
	}
	if code, stderr := runWith("serve", "--config", file, "--queue", "256"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := serveConfig{Addr: "127.0.0.1:9000", DB: "sqlite:/from/env.db", LogLevel: "debug", MaxBatch: 32, Queue: 256, Checkpoint: "10s", QueueTimeout: "2s", IdempotencyTTL: "720h"}
	if got.Addr != want.Addr || got.DB != want.DB || got.LogLevel != want.LogLevel || got.MaxBatch != want.MaxBatch || got.Queue != want.Queue || got.Checkpoint != want.Checkpoint || got.IdempotencyTTL != want.IdempotencyTTL {
		t.Errorf("config %+v, want %+v", got, want)
	}
	got = serveConfig{}
	if code, _ := runWith("serve"); code != 0 || got.Addr != "127.0.0.1:8080" || got.DB != "sqlite:/from/env.db" || got.MaxBatch != 256 {
		t.Errorf("defaults with environment: %+v", got)
	}
	os.WriteFile(file, []byte("addr: x\nlisten: y\n"), 0o644)
	if code, stderr := runWith("serve", "--config", file); code != 2 || !strings.Contains(stderr, file+":2:1") {
		t.Errorf("unknown config key: exit %d, %q", code, stderr)
	}
	envs["XBORDER_QUEUE"] = "many"
	if code, stderr := runWith("serve"); code != 2 || !strings.Contains(stderr, "XBORDER_QUEUE") {
		t.Errorf("bad environment value: exit %d, %q", code, stderr)
	}
}
