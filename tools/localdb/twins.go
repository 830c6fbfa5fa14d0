package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
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
		SELECT m._jsonb->>'_id', m._jsonb->>'table', k
		FROM %s m,
		     jsonb_array_elements(m._jsonb->'indexes') i,
		     jsonb_object_keys(i->'key') k
		WHERE ($1 = '' OR m._jsonb->>'_id' = $1)`,
		pgx.Identifier{schema, metadataTable}.Sanitize())
	rows, err := t.pool.Query(ctx, query, collection)
	if err != nil {
		return err
	}
	type twin struct{ collection, table, field string }
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (twin, error) {
		var tw twin
		err := row.Scan(&tw.collection, &tw.table, &tw.field)
		return tw, err
	})
	if err != nil {
		return err
	}

	var statements []string
	var names []string
	pending := map[string]bool{}
	for _, tw := range found {
		t.synced[schema+"\x00"+tw.collection] = true
		if storage := schema + "\x00" + tw.table + "\x00storage"; !t.created[storage] && !pending[storage] {
			pending[storage] = true
			// Documents up to a page's size stay inline and uncompressed: every
			// condition and sort key the planner evaluates reads the document again,
			// and decompressing it each time cost more than the query itself.
			statements = append(statements, fmt.Sprintf(`ALTER TABLE %s SET (toast_tuple_target = 8160)`,
				pgx.Identifier{schema, tw.table}.Sanitize()))
			names = append(names, tw.table+"\x00storage")
		}
		// FerretDB pushes down equality on top-level fields only.
		if strings.ContainsAny(tw.field, ".$") {
			continue
		}
		name := twinName(tw.table, tw.field)
		if t.created[schema+"\x00"+name] || pending[name] {
			continue
		}
		pending[name] = true
		statements = append(statements, fmt.Sprintf(
			`CREATE INDEX IF NOT EXISTS %s ON %s USING gin ((_jsonb->%s) jsonb_path_ops)`,
			pgx.Identifier{name}.Sanitize(),
			pgx.Identifier{schema, tw.table}.Sanitize(),
			quoteLiteral(tw.field)))
		names = append(names, name)
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

// twinName is unique per table and field, fits PostgreSQL's identifier limit and
// cannot clash with FerretDB's own names, which end in "_idx".
func twinName(table, field string) string {
	h := fnv.New32a()
	h.Write([]byte(table + "\x00" + field))
	suffix := fmt.Sprintf("_%08x_gin", h.Sum32())
	if len(table) > maxIdentifier-len(suffix) {
		table = table[:maxIdentifier-len(suffix)]
	}
	return table + suffix
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
