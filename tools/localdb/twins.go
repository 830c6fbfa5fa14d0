package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// FerretDB's catalogue of the collections of one database (a PostgreSQL schema).
const metadataTable = "_ferretdb_database_metadata"

// PostgreSQL's limit on an identifier's length.
const maxIdentifier = 63

// indexTwins gives each top-level field of each index FerretDB knows a GIN index
// on the expression FerretDB filters with (`_jsonb->'field' @> value`). FerretDB
// does not know about these indexes: they only let PostgreSQL answer its
// pushed-down equality filters without reading the whole table. A dropped
// collection takes them with its table.
type indexTwins struct {
	pool   *pgxpool.Pool
	logger *slog.Logger

	mu      sync.Mutex
	synced  map[string]bool // "database\x00collection" whose twins exist
	created map[string]bool // "schema\x00index" made by this process
}

func newIndexTwins(ctx context.Context, url string, logger *slog.Logger) (*indexTwins, error) {
	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	config.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, err
	}
	return &indexTwins{
		pool:    pool,
		logger:  logger,
		synced:  map[string]bool{},
		created: map[string]bool{},
	}, nil
}

func (t *indexTwins) close() {
	t.pool.Close()
}

// syncAll makes the twins of every collection of every database.
func (t *indexTwins) syncAll(ctx context.Context) error {
	rows, err := t.pool.Query(ctx,
		`SELECT table_schema FROM information_schema.tables WHERE table_name = $1`, metadataTable)
	if err != nil {
		return err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, schema := range schemas {
		if err := t.syncCollection(ctx, schema, ""); err != nil {
			return err
		}
	}
	return nil
}

// afterWrite keeps the twins up to date after a write command has been answered.
// It runs while the gate holds the write lock, so no write waits on an index build
// of its own table halfway.
func (t *indexTwins) afterWrite(ctx context.Context, cmd command) {
	if cmd.database == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()

	switch cmd.name {
	case "dropDatabase", "drop", "renameCollection":
		t.forget(cmd.database)
		if cmd.name == "renameCollection" && cmd.renameTo != "" {
			database, _ := splitNamespace(cmd.renameTo)
			t.forget(database)
		}
		return
	case "createIndexes", "create":
		delete(t.synced, cmd.database+"\x00"+cmd.collection)
	}
	if cmd.collection == "" || t.synced[cmd.database+"\x00"+cmd.collection] {
		return
	}
	if err := t.syncCollection(ctx, cmd.database, cmd.collection); err != nil {
		t.logger.Warn("index twins not made", "database", cmd.database,
			"collection", cmd.collection, "error", err)
	}
}

// forget drops what is remembered of one database, so the next write to any of
// its collections looks again.
func (t *indexTwins) forget(database string) {
	for key := range t.synced {
		if strings.HasPrefix(key, database+"\x00") {
			delete(t.synced, key)
		}
	}
	for key := range t.created {
		if strings.HasPrefix(key, database+"\x00") {
			delete(t.created, key)
		}
	}
}

// syncCollection makes the missing twins of one collection, or of every
// collection of the schema when collection is empty, in one round trip.
func (t *indexTwins) syncCollection(ctx context.Context, schema, collection string) error {
	exists := false
	err := t.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM information_schema.tables
		                WHERE table_schema = $1 AND table_name = $2)`,
		schema, metadataTable).Scan(&exists)
	if err != nil || !exists {
		return err
	}
	query := fmt.Sprintf(`
		SELECT m._jsonb->>'_id', m._jsonb->>'table', i->>'name', (i->'key')::text
		FROM %s m, jsonb_array_elements(m._jsonb->'indexes') i
		WHERE ($1 = '' OR m._jsonb->>'_id' = $1)`,
		pgx.Identifier{schema, metadataTable}.Sanitize())
	rows, err := t.pool.Query(ctx, query, collection)
	if err != nil {
		return err
	}
	type declared struct{ collection, table, name, key string }
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (declared, error) {
		var d declared
		err := row.Scan(&d.collection, &d.table, &d.name, &d.key)
		return d, err
	})
	if err != nil {
		return err
	}

	var statements []string
	var names []string
	pending := map[string]bool{}
	add := func(name, statement string) {
		if t.created[schema+"\x00"+name] || pending[name] {
			return
		}
		pending[name] = true
		statements = append(statements, statement)
		names = append(names, name)
	}
	for _, index := range found {
		t.synced[schema+"\x00"+index.collection] = true
		table := pgx.Identifier{schema, index.table}.Sanitize()
		// Documents up to a page's size stay inline and uncompressed: every
		// condition and sort key the planner evaluates reads the document again,
		// and decompressing it each time cost more than the query itself.
		add(index.table+"\x00storage", fmt.Sprintf(`ALTER TABLE %s SET (toast_tuple_target = 8160)`, table))
		keys, err := indexKeys(index.name, index.key)
		if err != nil {
			t.logger.Warn("index not read", "collection", index.collection, "index", index.name, "error", err)
			continue
		}
		topLevel := true
		for _, key := range keys {
			// FerretDB pushes down equality on top-level fields only.
			if strings.ContainsAny(key.field, ".$") {
				topLevel = false
				continue
			}
			add(twinName(index.table, key.field, "gin"), fmt.Sprintf(
				`CREATE INDEX IF NOT EXISTS %s ON %s USING gin ((_jsonb->%s) jsonb_path_ops)`,
				pgx.Identifier{twinName(index.table, key.field, "gin")}.Sanitize(), table, quoteLiteral(key.field)))
		}
		if !topLevel || len(keys) == 0 || !ordered(keys) {
			continue
		}
		// The sort twin: the planner's sort keys of the index's fields in its
		// order (then _id, as the planner breaks ties), so that PostgreSQL reads
		// a sorted page from the index instead of sorting every match; and, for
		// each field, a partial index of the documents whose type it cannot sort.
		columns := []string{}
		withID := false
		for _, key := range keys {
			columns = append(columns, sortIndexColumns(key.field, key.descending))
			withID = withID || key.field == "_id"
		}
		if !withID {
			keys = append(keys, indexKey{field: "_id"})
			columns = append(columns, sortIndexColumns("_id", false))
		}
		sortName := twinName(index.table, index.name, "sort")
		if keys[0].field == "_cls" {
			// mongoengine leads every index of a collection of several classes with
			// "_cls", which a query asks with "$in" and never sorts by: such a twin
			// could not give any query its order, and updating the archives' 28 such
			// twins cost each archive insert 0.4 ms, half its time. One made by an
			// earlier version goes.
			add(sortName, fmt.Sprintf(`DROP INDEX IF EXISTS %s`, pgx.Identifier{schema, sortName}.Sanitize()))
		} else {
			add(sortName, fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (%s)`,
				pgx.Identifier{sortName}.Sanitize(), table, strings.Join(columns, ", ")))
		}
		for _, key := range keys {
			oddName := twinName(index.table, key.field, "odd")
			add(oddName, fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s ((_jsonb->'_id')) WHERE %s`,
				pgx.Identifier{oddName}.Sanitize(), table, unsortable(key.field)))
		}
	}
	if collection != "" {
		t.synced[schema+"\x00"+collection] = true
	}
	if len(statements) == 0 {
		return nil
	}
	if _, err := t.pool.Exec(ctx, strings.Join(statements, ";\n")); err != nil {
		return err
	}
	for _, name := range names {
		t.created[schema+"\x00"+name] = true
	}
	return nil
}

// twinName is unique per table, key and kind, fits PostgreSQL's identifier
// limit and cannot clash with FerretDB's own names, which end in "_idx".
func twinName(table, key, kind string) string {
	h := fnv.New32a()
	h.Write([]byte(table + "\x00" + key))
	if kind != "gin" { // the GIN twins keep the names they were made with
		h.Write([]byte("\x00" + kind))
	}
	suffix := fmt.Sprintf("_%08x_%s", h.Sum32(), kind)
	if len(table) > maxIdentifier-len(suffix) {
		table = table[:maxIdentifier-len(suffix)]
	}
	return table + suffix
}

type indexKey struct {
	field      string
	descending bool
	plain      bool // 1 or -1: a btree key (not "text", "2dsphere", ...)
}

// indexKeys reads an index's key (FerretDB keeps it as a JSON object, whose
// order jsonb does not keep) in its declared order, which MongoDB's default
// index name spells: "field_1_other_-1". An index named otherwise keeps the
// object's order and is left without a sort twin (ordered is false).
func indexKeys(name, key string) ([]indexKey, error) {
	var object map[string]any
	if err := json.Unmarshal([]byte(key), &object); err != nil {
		return nil, err
	}
	keys := make([]indexKey, 0, len(object))
	for field, direction := range object {
		number, plain := direction.(float64)
		keys = append(keys, indexKey{field: field, descending: plain && number < 0, plain: plain && (number == 1 || number == -1)})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].field < keys[j].field })
	if order := nameOrder(name, keys, nil); order != nil {
		return order, nil
	}
	for i := range keys {
		keys[i].plain = false
	}
	return keys, nil
}

// nameOrder finds the order of keys whose default name is name (nil if none).
func nameOrder(name string, keys, chosen []indexKey) []indexKey {
	if len(keys) == 0 {
		if name == "" {
			return chosen
		}
		return nil
	}
	for i, key := range keys {
		direction := "1"
		if key.descending {
			direction = "-1"
		}
		part := key.field + "_" + direction
		rest := strings.TrimPrefix(name, part)
		if rest == name || (rest != "" && !strings.HasPrefix(rest, "_")) {
			continue
		}
		others := append(append([]indexKey{}, keys[:i]...), keys[i+1:]...)
		if found := nameOrder(strings.TrimPrefix(rest, "_"), others, append(chosen, key)); found != nil {
			return found
		}
	}
	return nil
}

// ordered: every key is a plain ascending or descending btree key in a known order.
func ordered(keys []indexKey) bool {
	for _, key := range keys {
		if !key.plain {
			return false
		}
	}
	return true
}

// sortIndexColumns are the index columns of one sort key (planner.go's sortKey).
func sortIndexColumns(field string, descending bool) string {
	return sortRank(field) + sortDirection(descending) + ", " + sortValue(field) + sortDirection(descending)
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
