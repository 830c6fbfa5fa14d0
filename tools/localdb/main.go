// Command localdb runs the project's local database: FerretDB 1.24 on a
// PostgreSQL cluster, behind a small MongoDB wire-protocol gate that listens
// on a loopback TCP port until it receives SIGINT or SIGTERM.
//
// The gate exists for two facts about FerretDB 1.24 (see the project's design notes):
//
//   - every write command is read-then-write in Go with no lock between the two,
//     so a conditional update is not a compare-and-set and $inc is not atomic.
//     The gate lets one write command through at a time (it is the only door
//     to the data), which makes each of them atomic as on MongoDB;
//   - FerretDB's own PostgreSQL indexes never serve its pushed-down equality
//     filters (`_jsonb->'f' @> value`). The gate gives every top-level field of
//     every declared index a GIN twin on that expression, when the collection
//     or the index appears.
//
// Usage: localdb -postgresql postgres://user:pw@127.0.0.1:5432/ferretdb -listen 127.0.0.1:27018
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27018", "TCP address to listen on (loopback only)")
	pgURL := flag.String("postgresql", "", "PostgreSQL connection string of the private cluster")
	quiet := flag.Bool("quiet", false, "log warnings and errors only")
	noPlanner := flag.Bool("no-planner", false, "send every read to FerretDB (for comparisons)")
	flag.Parse()

	if *pgURL == "" {
		fail(errors.New("-postgresql is required"))
	}
	if err := checkLoopback(*listen); err != nil {
		fail(err)
	}

	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	socketDir, err := os.MkdirTemp("", "localdb-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(socketDir)
	socket := filepath.Join(socketDir, "ferretdb.sock")

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{Unix: socket},
		Logger:        logger,
		Handler:       "postgresql",
		PostgreSQLURL: *pgURL,
	})
	if err != nil {
		fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx = stopWithParent(ctx)

	ferretDone := make(chan error, 1)
	go func() { ferretDone <- db.Run(ctx) }()

	if err := waitForSocket(ctx, socket, ferretDone); err != nil {
		fail(err)
	}

	twins, err := newIndexTwins(ctx, *pgURL, logger)
	if err != nil {
		fail(err)
	}
	defer twins.close()
	if err := twins.syncAll(ctx); err != nil {
		fail(err)
	}

	var reads *planner
	if !*noPlanner {
		if reads, err = newPlanner(ctx, *pgURL); err != nil {
			fail(err)
		}
		defer reads.close()
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fail(err)
	}
	gate := newGate(socket, twins, reads, logger)
	go func() {
		<-ctx.Done()
		listener.Close()
	}()
	gate.serve(ctx, listener)

	if err := <-ferretDone; err != nil && ctx.Err() == nil {
		fail(err)
	}
}

// checkLoopback refuses any listen address that is not on the loopback interface.
func checkLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address", address)
	}
	return nil
}

func waitForSocket(ctx context.Context, socket string, ferretDone <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-ferretDone:
			return fmt.Errorf("FerretDB stopped while starting: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if conn, err := net.Dial("unix", socket); err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("FerretDB did not start listening in time")
}

// stopWithParent ends the program when the process that started it is gone (the
// run or test command was killed), so no gate is left holding a port.
func stopWithParent(ctx context.Context) context.Context {
	parent := os.Getppid()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		for ctx.Err() == nil {
			if os.Getppid() != parent {
				cancel()
				return
			}
			time.Sleep(time.Second)
		}
	}()
	return ctx
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "localdb:", err)
	os.Exit(1)
}
