package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// slowWrite is how long a write may hold the write lock before the log names it.
const slowWrite = 250 * time.Millisecond

// Wire protocol op codes the gate looks into.
const (
	opMsg        = 2013
	headerLength = 16
	// The driver refuses replies over 48 MB; leave room for a request of that size.
	maxMessageLength = 64 << 20

	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1
)

// readCommands are let through without waiting for the write lock. Every other
// command, and every message the gate cannot read, waits: an unknown command is
// treated as a write.
var readCommands = map[string]bool{
	"find": true, "getMore": true, "aggregate": true, "count": true, "distinct": true,
	"listCollections": true, "listIndexes": true, "listDatabases": true,
	"hello": true, "isMaster": true, "ismaster": true, "ping": true,
	"buildInfo": true, "buildinfo": true, "endSessions": true, "killCursors": true,
	"dbStats": true, "collStats": true, "serverStatus": true, "getParameter": true,
	"connectionStatus": true, "saslStart": true, "saslContinue": true, "getLog": true,
	"hostInfo": true, "whatsmyuri": true, "explain": true, "dataSize": true,
	"getCmdLineOpts": true, "getFreeMonitoringStatus": true, "listCommands": true,
}

// command is what the gate reads of one request.
type command struct {
	name       string
	database   string
	collection string // the first element's value when it is a string
	renameTo   string // renameCollection's "to"
	moreToCome bool   // the client expects no reply
	body       bson.Raw
	sequences  bool // the request carries document sequences
}

func (c command) isWrite() bool {
	return !readCommands[c.name]
}

// gate forwards each client connection to FerretDB, one write command at a time.
type gate struct {
	socket  string
	twins   *indexTwins
	planner *planner
	logger  *slog.Logger
	writes  sync.Mutex

	planned   atomic.Int64 // reads answered from PostgreSQL by the planner
	forwarded atomic.Int64 // reads the planner left to FerretDB

	byDatabase sync.Map // database name: *readCounts, the same two counts for one database
}

// readCounts are the planner's counts of one database.
type readCounts struct {
	planned   atomic.Int64
	forwarded atomic.Int64
}

func (g *gate) countsOf(database string) *readCounts {
	counts, _ := g.byDatabase.LoadOrStore(database, &readCounts{})
	return counts.(*readCounts)
}

// stats answers the command {localdbStats: 1}: how many reads the planner answered and
// left to FerretDB; {localdbStats: 1, database: "name"} the same for one database (so
// that a test sees its own reads while other clients use the server).
func (g *gate) stats(cmd command) []byte {
	planned, forwarded := g.planned.Load(), g.forwarded.Load()
	if cmd.body != nil {
		if database, ok := cmd.body.Lookup("database").StringValueOK(); ok {
			counts := g.countsOf(database)
			planned, forwarded = counts.planned.Load(), counts.forwarded.Load()
		}
	}
	return bsoncore.NewDocumentBuilder().
		AppendInt64("planned", planned).
		AppendInt64("forwarded", forwarded).
		AppendDouble("ok", 1).Build()
}

func newGate(socket string, twins *indexTwins, planner *planner, logger *slog.Logger) *gate {
	return &gate{socket: socket, twins: twins, planner: planner, logger: logger}
}

func (g *gate) serve(ctx context.Context, listener net.Listener) {
	var connections sync.WaitGroup
	defer connections.Wait()
	for {
		client, err := listener.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			g.logger.Warn("accept failed", "error", err)
			continue
		}
		connections.Add(1)
		go func() {
			defer connections.Done()
			g.handle(ctx, client)
		}()
	}
}

func (g *gate) handle(ctx context.Context, client net.Conn) {
	defer client.Close()
	backend, err := net.Dial("unix", g.socket)
	if err != nil {
		g.logger.Warn("cannot reach FerretDB", "error", err)
		return
	}
	defer backend.Close()
	go func() {
		<-ctx.Done()
		client.Close()
		backend.Close()
	}()

	for {
		request, err := readMessage(client)
		if err != nil {
			return
		}
		if err := g.forward(ctx, request, client, backend); err != nil {
			return
		}
	}
}

// forward sends one request to FerretDB and its replies back, holding the write
// lock for the whole exchange when the request is a write.
func (g *gate) forward(ctx context.Context, request []byte, client, backend net.Conn) error {
	cmd := inspect(request)
	if cmd.name == "localdbStats" {
		_, err := client.Write(replyMessage(request, g.stats(cmd)))
		return err
	}
	if !cmd.isWrite() && !cmd.moreToCome && !cmd.sequences && cmd.body != nil && g.planner != nil {
		if reply, err := g.planner.answer(ctx, cmd, cmd.body); err == nil {
			g.planned.Add(1)
			g.countsOf(cmd.database).planned.Add(1)
			_, err := client.Write(replyMessage(request, reply))
			return err
		}
		g.forwarded.Add(1)
		g.countsOf(cmd.database).forwarded.Add(1)
	}
	if cmd.isWrite() {
		asked := time.Now()
		g.writes.Lock()
		held := time.Now()
		defer func() {
			g.writes.Unlock()
			// a write that holds the lock long makes every other write wait: say which
			if took := time.Since(held); took > slowWrite {
				g.logger.Warn("slow write", "command", cmd.name, "collection", cmd.collection,
					"held_ms", took.Milliseconds(), "waited_ms", held.Sub(asked).Milliseconds())
			}
		}()
	}
	if _, err := backend.Write(request); err != nil {
		return err
	}
	if !cmd.moreToCome {
		for {
			reply, err := readMessage(backend)
			if err != nil {
				return err
			}
			if cmd.isWrite() {
				reply = duplicateKeyReply(request, reply)
			}
			if _, err := client.Write(reply); err != nil {
				return err
			}
			if !hasMoreToCome(reply) {
				break
			}
		}
	}
	if cmd.isWrite() {
		g.twins.afterWrite(ctx, cmd)
		if g.planner != nil {
			switch cmd.name {
			case "drop", "dropDatabase", "renameCollection":
				g.planner.forget(cmd.database)
				if cmd.renameTo != "" {
					database, _ := splitNamespace(cmd.renameTo)
					g.planner.forget(database)
				}
			}
		}
	}
	return nil
}

// duplicateKeyReply gives a unique-index violation the answer MongoDB gives it
// (code 11000, DuplicateKey). FerretDB 1.24 does so for inserts, but an update
// that breaks a unique index comes back as PostgreSQL's error 23505 under code 1
// (InternalError), which drivers and the app cannot tell from any other failure.
func duplicateKeyReply(request, reply []byte) []byte {
	if opCode(reply) != opMsg || len(reply) < headerLength+5 || reply[headerLength+4] != 0 {
		return reply
	}
	body := bson.Raw(reply[headerLength+5:])
	message, _ := body.Lookup("errmsg").StringValueOK()
	failed := false
	if ok, isDouble := body.Lookup("ok").DoubleOK(); isDouble {
		failed = ok == 0
	} else if ok, isInt := body.Lookup("ok").AsInt64OK(); isInt {
		failed = ok == 0
	}
	if !failed || !strings.Contains(message, "SQLSTATE 23505") {
		return reply
	}
	answer := bsoncore.NewDocumentBuilder().
		AppendDouble("ok", 0).
		AppendString("errmsg", "E11000 duplicate key error: "+message).
		AppendInt32("code", 11000).
		AppendString("codeName", "DuplicateKey").
		Build()
	rewritten := replyMessage(request, answer)
	copy(rewritten[4:8], reply[4:8]) // keep FerretDB's own reply id
	return rewritten
}

// replyMessage wraps a reply body the planner built as an OP_MSG answering request.
func replyMessage(request []byte, body []byte) []byte {
	message := make([]byte, headerLength+4+1, headerLength+4+1+len(body))
	binary.LittleEndian.PutUint32(message[4:8], uint32(replyIDs.Add(1)))
	copy(message[8:12], request[4:8]) // responseTo: the request's id
	binary.LittleEndian.PutUint32(message[12:16], opMsg)
	// flag bits 0, then section kind 0
	message = append(message, body...)
	binary.LittleEndian.PutUint32(message[0:4], uint32(len(message)))
	return message
}

var replyIDs atomic.Int32

func readMessage(r io.Reader) ([]byte, error) {
	var header [headerLength]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	length := int(int32(binary.LittleEndian.Uint32(header[0:4])))
	if length < headerLength || length > maxMessageLength {
		return nil, fmt.Errorf("message length %d out of range", length)
	}
	message := make([]byte, length)
	copy(message, header[:])
	if _, err := io.ReadFull(r, message[headerLength:]); err != nil {
		return nil, err
	}
	return message, nil
}

func opCode(message []byte) int32 {
	return int32(binary.LittleEndian.Uint32(message[12:16]))
}

func hasMoreToCome(message []byte) bool {
	if opCode(message) != opMsg || len(message) < headerLength+4 {
		return false
	}
	return binary.LittleEndian.Uint32(message[16:20])&flagMoreToCome != 0
}

// inspect reads the command name, database and collection of an OP_MSG request.
// Anything else (legacy OP_QUERY handshakes, compressed messages) comes back with
// an empty name, which counts as a write.
func inspect(message []byte) command {
	if opCode(message) != opMsg || len(message) < headerLength+5 {
		return command{}
	}
	flags := binary.LittleEndian.Uint32(message[16:20])
	end := len(message)
	if flags&flagChecksumPresent != 0 {
		end -= 4
	}
	cmd := command{moreToCome: flags&flagMoreToCome != 0}
	for offset := headerLength + 4; offset < end; {
		kind := message[offset]
		offset++
		if offset+4 > end {
			return cmd
		}
		size := int(int32(binary.LittleEndian.Uint32(message[offset : offset+4])))
		if size < 5 || offset+size > end {
			return cmd
		}
		if kind == 0 {
			cmd.body = bson.Raw(message[offset : offset+size])
			readBody(cmd.body, &cmd)
			return cmd
		}
		cmd.body = nil // a document sequence: not a read the planner answers
		cmd.sequences = true
		offset += size
	}
	return cmd
}

func readBody(body bson.Raw, cmd *command) {
	first, err := body.IndexErr(0)
	if err != nil {
		return
	}
	cmd.name = first.Key()
	if value, ok := first.Value().StringValueOK(); ok {
		cmd.collection = value
	}
	if value, ok := body.Lookup("$db").StringValueOK(); ok {
		cmd.database = value
	}
	if cmd.name == "renameCollection" {
		if value, ok := body.Lookup("to").StringValueOK(); ok {
			cmd.renameTo = value
		}
	}
}

// splitNamespace turns "db.collection" into its two parts.
func splitNamespace(namespace string) (string, string) {
	database, collection, _ := strings.Cut(namespace, ".")
	return database, collection
}
