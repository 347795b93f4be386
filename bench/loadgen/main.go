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
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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
	if err := run(c); err != nil {
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
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        c.clients * 2,
		MaxIdleConnsPerHost: c.clients * 2,
		MaxConnsPerHost:     c.clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	if c.setup {
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
	worker := func(w int) {
		rng := rand.New(rand.NewPCG(c.seed, uint64(w)))
		var local []time.Duration
		localStatus := map[string]int{}
		localDec := map[string]int{}
		localTransport := 0
		body := &bytes.Buffer{}
		var dec struct {
			Decision string `json:"decision"`
		}
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
			body.Reset()
			fmt.Fprintf(body, `{"id":"%s-t%d","processor":"p-%02d","assets":["p-%02d-a%d"],"recipient":{"name":%q,"country":"DE"},"purpose":"after-sales analytics","individuals":%d,"sensitive_individuals":1}`,
				c.keyPrefix, n, p, p, a, recipient, 1+rng.IntN(20))
			req, _ := http.NewRequest("POST", c.url+"/v1/transfers/check", bytes.NewReader(body.Bytes()))
			req.Header.Set("Authorization", "Bearer "+c.token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-k%d", c.keyPrefix, n))
			m := measuring.Load()
			start := time.Now()
			resp, err := hc.Do(req)
			if err != nil {
				if m {
					localTransport++
				}
				continue
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			d := time.Since(start)
			if !m && c.total == 0 {
				continue
			}
			local = append(local, d)
			localStatus[fmt.Sprint(resp.StatusCode)]++
			if resp.StatusCode == 200 && json.Unmarshal(raw, &dec) == nil {
				localDec[dec.Decision]++
			}
		}
		mu.Lock()
		lat = append(lat, local...)
		for k, v := range localStatus {
			byStatus[k] += v
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
