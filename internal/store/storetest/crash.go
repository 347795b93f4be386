package storetest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// CrashChildEnv names the environment variable that turns a test binary
// into the writer CrashTest kills.
const CrashChildEnv = "XBORDER_STORETEST_CRASH_URL"

// CrashChild is called from a backend's TestMain-free test: when the
// variable is set it appends and commits forever, printing each committed
// index after Update returned, and never returns.
func CrashChild(open func(url string) (store.Store, error)) {
	url := os.Getenv(CrashChildEnv)
	if url == "" {
		return
	}
	st, err := open(url)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		var idx []uint64
		err := st.Update(context.Background(), func(tx store.Tx) error {
			var err error
			idx, err = tx.AppendAudit(context.Background(), audit.Entry{Time: now, Kind: "transfer.check", Actor: "crash",
				Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
			if err != nil {
				return err
			}
			return tx.AddTotals(context.Background(), 2026, "p", model.Counts{Individuals: 1})
		})
		if err != nil {
			fmt.Println("update:", err)
			os.Exit(3)
		}
		// Acknowledged only now, after the durable commit.
		fmt.Fprintln(out, idx[0])
		out.Flush()
	}
}

// CrashTest starts the test binary as a child writing to url, kills it with
// SIGKILL once it has acknowledged some commits, reopens the database and
// checks that every acknowledged entry is there, the counts match the log
// and the log verifies. (A killed process keeps the OS page cache, so this
// proves atomic, acknowledged-after-commit writes; surviving power loss
// rests on the fsync settings tested by TestDurabilitySettings.)
func CrashTest(t *testing.T, testName, url string, open func(url string) (store.Store, error)) {
	cmd := exec.Command(os.Args[0], "-test.run", "^"+testName+"$")
	cmd.Env = append(os.Environ(), CrashChildEnv+"="+url)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	acked := int64(-1)
	for sc.Scan() {
		line := sc.Text()
		n, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("child: %s", line)
		}
		if n != acked+1 {
			cmd.Process.Kill()
			t.Fatalf("child acknowledged %d after %d", n, acked)
		}
		acked = n
		if acked == 300 {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	io.Copy(io.Discard, stdout)
	cmd.Wait()
	if acked < 300 {
		t.Fatalf("child stopped after %d commits", acked+1)
	}
	st, err := open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(context.Background(), func(tx store.ReadTx) error {
		n, err := tx.LogSize(context.Background())
		if err != nil {
			return err
		}
		if int64(n) < acked+1 {
			t.Errorf("log has %d entries, %d were acknowledged", n, acked+1)
		}
		m, err := tx.YearTotals(context.Background(), 2026, "p")
		if err != nil {
			return err
		}
		if m["p"].Individuals != int64(n) {
			t.Errorf("totals %d but %d entries: a commit was torn", m["p"].Individuals, n)
		}
		rep, err := audit.Verify(context.Background(), store.AuditSource(tx), audit.Options{})
		if err != nil {
			return err
		}
		if !rep.OK() {
			t.Errorf("log after kill -9: %s", strings.Join(problemTexts(rep), "; "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func problemTexts(r *audit.Report) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Text)
	}
	return out
}
