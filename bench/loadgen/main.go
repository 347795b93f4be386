// Command loadgen drives a running `xborder serve` with transfer checks from
// a second process over loopback and reports throughput and latency.
//
//	go run ./bench/loadgen -url http://127.0.0.1:8080 -token $TOKEN -setup -clients 64 -duration 10s
//
// With -setup it first replaces the service's inventory with a generated one:
// 50 processors in 5 groups, each with personal-information assets and a
// standard contract covering one recipient. Every check then names a random
// processor and asset with a unique Idempotency-Key (so every request is a
// new durable check, never a replay); about one check in ten goes to a
// recipient no approval covers and is denied. Both outcomes are logged and
// committed by the service, so both count as durable checks.
//
// Output: one line of JSON (with -json) or a short table: checks/s, latency
// percentiles measured by the client from sending the request to reading the
// whole answer, and answers by HTTP status.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

type config struct {
	url, token string
	setup      bool
	clients    int
	duration   time.Duration
	warmup     time.Duration
	total      int
	processors int
	groups     int
	denyEvery  int
	keyPrefix  string
	jsonOut    bool
	seed       uint64
}

// Helper modes for bench/serve.sh, so the script needs no psql or jq.
var (
	createSchema = flag.String("create-schema", "", "create a fresh schema on this PostgreSQL URL, print the URL that selects it, and exit")
	dropSchema   = flag.String("drop-schema", "", "drop the schema named by this URL's search_path, and exit")
	verifyReport = flag.String("verify-report", "", "read an `xborder audit verify --format json` report and print entries/s, and exit")
)

func main() {
	var c config
	flag.StringVar(&c.url, "url", "http://127.0.0.1:8080", "service base URL")
	flag.StringVar(&c.token, "token", os.Getenv("XBORDER_TOKEN"), "bearer token (admin or officer for -setup; default $XBORDER_TOKEN)")
	flag.BoolVar(&c.setup, "setup", false, "replace the inventory with the generated one first")
	flag.IntVar(&c.clients, "clients", 64, "concurrent clients, each with its own keep-alive connection")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long to measure (ignored with -n)")
	flag.DurationVar(&c.warmup, "warmup", 1*time.Second, "load before measuring starts (not reported)")
	flag.IntVar(&c.total, "n", 0, "send exactly this many checks instead of running for -duration")
	flag.IntVar(&c.processors, "processors", 50, "processors in the generated inventory")
	flag.IntVar(&c.groups, "groups", 5, "groups the processors are spread over")
	flag.IntVar(&c.denyEvery, "deny-every", 10, "every n-th check goes to an uncovered recipient (0: never)")
	flag.StringVar(&c.keyPrefix, "key-prefix", "", "Idempotency-Key prefix (default: random per run)")
	flag.BoolVar(&c.jsonOut, "json", false, "print the result as one JSON object")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed for processor and asset choice")
	flag.Parse()
	var err error
	switch {
	case *createSchema != "":
		err = doCreateSchema(*createSchema)
	case *dropSchema != "":
		err = doDropSchema(*dropSchema)
	case *verifyReport != "":
		err = doVerifyReport(*verifyReport)
	default:
		err = run(c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// Inventory generates the benchmark inventory in the SPEC §2 format.
func Inventory(processors, groups int) string {
	var b strings.Builder
	b.WriteString("processors:\n")
	for i := 0; i < processors; i++ {
		fmt.Fprintf(&b, "  - id: p-%02d\n    name: Processor %02d Co., Ltd.\n    group: g-%d\n    ciio: false\n    legal_entity_in_china: true\n    kinds: [oem]\n", i, i, i%groups)
	}
	b.WriteString("assets:\n")
	for i := 0; i < processors; i++ {
		for a := 0; a < assetsPer; a++ {
			fmt.Fprintf(&b, "  - id: p-%02d-a%d\n    processor: p-%02d\n    item: general.personal_information\n    name: Owner accounts %d of processor %02d\n", i, a, i, a, i)
		}
	}
	b.WriteString("approvals:\n")
	for i := 0; i < processors; i++ {
		fmt.Fprintf(&b, "  - id: scc-p-%02d\n    kind: standard_contract\n    processor: p-%02d\n    effective: 2026-01-05\n    filed: 2026-01-09\n    reference: SCC-%02d\n    scope:\n      assets: [", i, i, i)
		for a := 0; a < assetsPer; a++ {
			if a > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "p-%02d-a%d", i, a)
		}
		b.WriteString("]\n      recipients: [Overseas Services GmbH]\n      max_individuals: 1000000000000\n")
	}
	return b.String()
}

const assetsPer = 4

type result struct {
	Clients     int            `json:"clients"`
	Checks      int            `json:"checks"`
	Seconds     float64        `json:"seconds"`
	ChecksPerS  float64        `json:"checks_per_s"`
	P50ms       float64        `json:"p50_ms"`
	P95ms       float64        `json:"p95_ms"`
	P99ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	ByStatus    map[string]int `json:"by_status"`
	ByDecision  map[string]int `json:"by_decision"`
	TransportEr int            `json:"transport_errors"`
	// CPU time of this load generator per answered check (user+system).
	ClientCPUus float64 `json:"client_cpu_us_per_check"`
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func run(c config) error {
	if c.token == "" {
		return fmt.Errorf("no token: pass -token or set XBORDER_TOKEN")
	}
	if c.clients <= 0 || c.processors <= 0 || c.groups <= 0 {
		return fmt.Errorf("-clients, -processors and -groups must be positive")
	}
	if c.keyPrefix == "" {
		c.keyPrefix = fmt.Sprintf("lg-%d-%d", time.Now().UnixNano(), os.Getpid())
	}
	if c.setup {
		hc := &http.Client{Timeout: 60 * time.Second}
		if err := putInventory(hc, c); err != nil {
			return err
		}
	}
	var (
		next      atomic.Int64
		stop      atomic.Bool
		measuring atomic.Bool
		mu        sync.Mutex
		lat       []time.Duration
		byStatus  = map[string]int{}
		byDec     = map[string]int{}
		transport int
	)
	host := strings.TrimPrefix(strings.TrimPrefix(c.url, "http://"), "https://")
	host = strings.TrimRight(host, "/")
	worker := func(w int) {
		rng := rand.New(rand.NewPCG(c.seed, uint64(w)))
		var local []time.Duration
		localStatus := map[int]int{}
		localDec := map[string]int{}
		localTransport := 0
		rc := &rawConn{host: host}
		defer rc.close()
		body := make([]byte, 0, 512)
		req := make([]byte, 0, 1024)
		allow := []byte(`"decision":"allow"`)
		deny := []byte(`"decision":"deny"`)
		for !stop.Load() {
			n := next.Add(1)
			if c.total > 0 && n > int64(c.total) {
				break
			}
			p := rng.IntN(c.processors)
			a := rng.IntN(assetsPer)
			recipient := "Overseas Services GmbH"
			if c.denyEvery > 0 && n%int64(c.denyEvery) == 0 {
				recipient = "Unapproved Recipient Ltd."
			}
			body = fmt.Appendf(body[:0], `{"id":"%s-t%d","processor":"p-%02d","assets":["p-%02d-a%d"],"recipient":{"name":%q,"country":"DE"},"purpose":"after-sales analytics","individuals":%d,"sensitive_individuals":1}`,
				c.keyPrefix, n, p, p, a, recipient, 1+rng.IntN(20))
			req = fmt.Appendf(req[:0], "POST /v1/transfers/check HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nIdempotency-Key: %s-k%d\r\nContent-Length: %d\r\n\r\n",
				host, c.token, c.keyPrefix, n, len(body))
			req = append(req, body...)
			m := measuring.Load()
			start := time.Now()
			status, raw, err := rc.do(req)
			d := time.Since(start)
			if err != nil {
				if m {
					localTransport++
				}
				continue
			}
			if !m && c.total == 0 {
				continue
			}
			local = append(local, d)
			localStatus[status]++
			if status == 200 {
				switch {
				case bytes.Contains(raw, allow):
					localDec["allow"]++
				case bytes.Contains(raw, deny):
					localDec["deny"]++
				}
			}
		}
		mu.Lock()
		lat = append(lat, local...)
		for k, v := range localStatus {
			byStatus[fmt.Sprint(k)] += v
		}
		for k, v := range localDec {
			byDec[k] += v
		}
		transport += localTransport
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for w := 0; w < c.clients; w++ {
		wg.Add(1)
		go func(w int) { defer wg.Done(); worker(w) }(w)
	}
	var start time.Time
	if c.total > 0 {
		measuring.Store(true)
		start = time.Now()
		wg.Wait()
	} else {
		time.Sleep(c.warmup)
		measuring.Store(true)
		start = time.Now()
		time.Sleep(c.duration)
		measuring.Store(false)
		stop.Store(true)
		wg.Wait()
	}
	elapsed := time.Since(start)
	if c.total == 0 {
		elapsed = c.duration
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p*float64(len(lat))+0.5) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(lat) {
			i = len(lat) - 1
		}
		return float64(lat[i].Microseconds()) / 1000
	}
	r := result{Clients: c.clients, Checks: len(lat), Seconds: elapsed.Seconds(), ByStatus: byStatus, ByDecision: byDec, TransportEr: transport,
		P50ms: pct(0.50), P95ms: pct(0.95), P99ms: pct(0.99), MaxMs: pct(1)}
	ok := byStatus["200"]
	r.ChecksPerS = float64(ok) / elapsed.Seconds()
	if ok > 0 {
		r.ClientCPUus = cpuSeconds() * 1e6 / float64(ok)
	}
	if c.jsonOut {
		return json.NewEncoder(os.Stdout).Encode(r)
	}
	fmt.Printf("clients %d: %d checks answered 200 in %.2fs = %.0f durable checks/s; latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms; by status %v; by decision %v; transport errors %d\n",
		r.Clients, ok, r.Seconds, r.ChecksPerS, r.P50ms, r.P95ms, r.P99ms, r.MaxMs, r.ByStatus, r.ByDecision, r.TransportEr)
	if ok == 0 {
		return fmt.Errorf("no check was answered 200")
	}
	return nil
}

func putInventory(hc *http.Client, c config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "PUT", c.url+"/v1/inventory", strings.NewReader(Inventory(c.processors, c.groups)))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("put inventory: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("put inventory: %s: %s", resp.Status, b)
	}
	return nil
}

func doCreateSchema(base string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	fmt.Println(u.String())
	return nil
}

func doDropSchema(u string) error {
	pu, err := url.Parse(u)
	if err != nil {
		return err
	}
	schema := pu.Query().Get("search_path")
	if !strings.HasPrefix(schema, "bench_") {
		return fmt.Errorf("refusing to drop schema %q: only bench_* schemas made by -create-schema", schema)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	return err
}

func doVerifyReport(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var r struct {
		Size     uint64 `json:"size"`
		Elapsed  string `json:"elapsed"`
		Problems []any  `json:"problems"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	d, err := time.ParseDuration(r.Elapsed)
	if err != nil || d <= 0 {
		return fmt.Errorf("%s: elapsed %q: %v", path, r.Elapsed, err)
	}
	fmt.Printf("audit verify: %d entries in %s = %.0f entries/s, %d problems\n", r.Size, d, float64(r.Size)/d.Seconds(), len(r.Problems))
	return nil
}

// rawConn is a minimal HTTP/1.1 keep-alive client for one caller: it writes
// a prepared request and reads the status and the Content-Length body. The
// standard client costs about as much CPU per request as the service's
// whole HTTP layer, which on a 2-core machine shared with the service would
// measure the client rather than the service.
type rawConn struct {
	host string
	conn net.Conn
	r    *bufio.Reader
	body []byte
}

func (rc *rawConn) close() {
	if rc.conn != nil {
		rc.conn.Close()
		rc.conn = nil
	}
}

func (rc *rawConn) do(req []byte) (int, []byte, error) {
	if rc.conn == nil {
		conn, err := net.DialTimeout("tcp", rc.host, 5*time.Second)
		if err != nil {
			return 0, nil, err
		}
		rc.conn = conn
		rc.r = bufio.NewReaderSize(conn, 16<<10)
	}
	rc.conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := rc.conn.Write(req); err != nil {
		rc.close()
		return 0, nil, err
	}
	status, n := 0, -1
	closeAfter, chunked := false, false
	for i := 0; ; i++ {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			rc.close()
			return 0, nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i == 0 {
			f := bytes.Fields(line)
			if len(f) < 2 {
				rc.close()
				return 0, nil, fmt.Errorf("bad status line %q", line)
			}
			status, _ = strconv.Atoi(string(f[1]))
			continue
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			n, _ = strconv.Atoi(string(v))
		case bytes.EqualFold(k, []byte("Connection")) && bytes.EqualFold(v, []byte("close")):
			closeAfter = true
		case bytes.EqualFold(k, []byte("Transfer-Encoding")) && bytes.EqualFold(v, []byte("chunked")):
			chunked = true
		}
	}
	if chunked {
		body, err := rc.readChunked()
		if err != nil {
			rc.close()
			return 0, nil, err
		}
		if closeAfter {
			rc.close()
		}
		return status, body, nil
	}
	if n < 0 {
		rc.close()
		return 0, nil, fmt.Errorf("answer without Content-Length (status %d)", status)
	}
	if cap(rc.body) < n {
		rc.body = make([]byte, n)
	}
	rc.body = rc.body[:n]
	if _, err := io.ReadFull(rc.r, rc.body); err != nil {
		rc.close()
		return 0, nil, err
	}
	if closeAfter {
		rc.close()
	}
	return status, rc.body, nil
}

func (rc *rawConn) readChunked() ([]byte, error) {
	rc.body = rc.body[:0]
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			// Trailers end with an empty line.
			for {
				l, err := rc.r.ReadSlice('\n')
				if err != nil {
					return nil, err
				}
				if len(bytes.TrimRight(l, "\r\n")) == 0 {
					return rc.body, nil
				}
			}
		}
		start := len(rc.body)
		rc.body = append(rc.body, make([]byte, size)...)
		if _, err := io.ReadFull(rc.r, rc.body[start:]); err != nil {
			return nil, err
		}
		if _, err := rc.r.Discard(2); err != nil {
			return nil, err
		}
	}
}
