// Command serveprof runs `xborder` exactly as cmd/xborder does, with a CPU
// profile written to $XBORDER_CPUPROFILE (default serve.cpu.prof) when the
// command ends (SIGTERM or SIGINT ends `serve` gracefully). bench/serve.sh
// uses it with PROFILE=1 to find the service's hot path:
//
//	go build -o /tmp/serveprof ./bench/serveprof
//	XBORDER_CPUPROFILE=/tmp/serve.prof /tmp/serveprof serve --db sqlite:/tmp/b.db &
//	... load ...; kill -TERM %1; go tool pprof -top /tmp/serveprof /tmp/serve.prof
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/xborder/xborder/internal/cli"
)

func main() {
	path := os.Getenv("XBORDER_CPUPROFILE")
	if path == "" {
		path = "serve.cpu.prof"
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serveprof:", err)
		os.Exit(2)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "serveprof:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.OSEnv(), os.Args[1:])
	stop()
	pprof.StopCPUProfile()
	f.Close()
	os.Exit(code)
}
