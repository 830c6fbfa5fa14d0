package main

import (
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// The planner's own cursors: a planned find larger than one batch keeps its
// remaining documents here for the driver's getMore, as MongoDB does.

const (
	defaultFirstBatch = 101      // MongoDB's first batch without a batchSize
	maxBatchBytes     = 16 << 20 // a batch stays within MongoDB's 16 MB, whatever its count
	cursorIdle        = 10 * time.Minute
)

type plannedCursor struct {
	ns        string
	documents []bsoncore.Document
	batchSize int64
	touched   time.Time
}

type cursors struct {
	mu   sync.Mutex
	open map[int64]*plannedCursor
}

func newCursors() *cursors {
	return &cursors{open: map[int64]*plannedCursor{}}
}

// take splits off the next batch: at most size documents (0: no count limit)
// and at most maxBatchBytes.
func take(documents []bsoncore.Document, size int64) ([]bsoncore.Document, []bsoncore.Document) {
	bytes := 0
	for i, doc := range documents {
		bytes += len(doc)
		if (size > 0 && int64(i) >= size) || (i > 0 && bytes > maxBatchBytes) {
			return documents[:i], documents[i:]
		}
	}
	return documents, nil
}

func newCursorID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) &^ (1 << 63))
}

func (c *cursors) expire(now time.Time) {
	for id, cursor := range c.open {
		if now.Sub(cursor.touched) > cursorIdle {
			delete(c.open, id)
		}
	}
}

// openCursor answers a find with its first batch, keeping the rest.
func (c *cursors) openCursor(cmd command, documents []bsoncore.Document, batchSize int64, single bool) bsoncore.Document {
	first := batchSize
	if first <= 0 {
		first = defaultFirstBatch
	}
	batch, rest := take(documents, first)
	ns := cmd.database + "." + cmd.collection
	id := int64(0)
	if len(rest) > 0 && !single {
		c.mu.Lock()
		now := time.Now()
		c.expire(now)
		id = newCursorID()
		c.open[id] = &plannedCursor{ns: ns, documents: rest, batchSize: batchSize, touched: now}
		c.mu.Unlock()
	}
	return batchReply("firstBatch", batch, id, ns)
}

func batchReply(name string, batch []bsoncore.Document, id int64, ns string) bsoncore.Document {
	arrayIndex, array := bsoncore.AppendArrayStart(nil)
	for i, doc := range batch {
		array = bsoncore.AppendDocumentElement(array, strconv.Itoa(i), doc)
	}
	array, _ = bsoncore.AppendArrayEnd(array, arrayIndex)
	cursor := bsoncore.NewDocumentBuilder().
		AppendArray(name, array).
		AppendInt64("id", id).
		AppendString("ns", ns).
		Build()
	return bsoncore.NewDocumentBuilder().AppendDocument("cursor", cursor).AppendDouble("ok", 1).Build()
}

// more answers getMore for a cursor of the planner's; other cursors are FerretDB's.
func (c *cursors) more(body bson.Raw) (bsoncore.Document, error) {
	id, ok := body.Lookup("getMore").Int64OK()
	if !ok {
		return nil, errUnsupported
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cursor := c.open[id]
	if cursor == nil {
		return nil, errUnsupported
	}
	size := cursor.batchSize
	if n, ok := body.Lookup("batchSize").AsInt64OK(); ok && n > 0 {
		size = n
	}
	batch, rest := take(cursor.documents, size)
	cursor.documents = rest
	cursor.touched = time.Now()
	next := id
	if len(rest) == 0 {
		delete(c.open, id)
		next = 0
	}
	return batchReply("nextBatch", batch, next, cursor.ns), nil
}

// kill answers killCursors when every cursor named is the planner's.
func (c *cursors) kill(body bson.Raw) (bsoncore.Document, error) {
	list, ok := body.Lookup("cursors").ArrayOK()
	if !ok {
		return nil, errUnsupported
	}
	values, err := list.Values()
	if err != nil {
		return nil, errUnsupported
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int64, 0, len(values))
	for _, value := range values {
		id, ok := value.Int64OK()
		if !ok || value.Type != bsontype.Int64 || c.open[id] == nil {
			return nil, errUnsupported
		}
		ids = append(ids, id)
	}
	killed := bsoncore.NewArrayBuilder()
	for _, id := range ids {
		delete(c.open, id)
		killed.AppendInt64(id)
	}
	empty := bsoncore.NewArrayBuilder().Build()
	return bsoncore.NewDocumentBuilder().
		AppendArray("cursorsKilled", killed.Build()).
		AppendArray("cursorsNotFound", empty).
		AppendArray("cursorsAlive", empty).
		AppendArray("cursorsUnknown", empty).
		AppendDouble("ok", 1).Build(), nil
}
