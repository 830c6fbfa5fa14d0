// Command localdb runs the project's local database: FerretDB on SQLite,
// listening on a loopback TCP port, until it receives SIGINT or SIGTERM.
//
// Usage: localdb -dir var/db -listen 127.0.0.1:27018 [-sync full|normal|off]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	dir := flag.String("dir", "var/db", "directory holding one SQLite file per database")
	listen := flag.String("listen", "127.0.0.1:27018", "TCP address to listen on (loopback only)")
	sync := flag.String("sync", "full", "SQLite synchronous pragma: full, normal or off")
	quiet := flag.Bool("quiet", false, "log warnings and errors only")
	flag.Parse()

	absDir, err := filepath.Abs(*dir)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(absDir, 0o700); err != nil {
		fail(err)
	}

	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: fmt.Sprintf("file:%s/?_pragma=synchronous(%s)", absDir, *sync),
	})
	if err != nil {
		fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := db.Run(ctx); err != nil && ctx.Err() == nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "localdb:", err)
	os.Exit(1)
}
