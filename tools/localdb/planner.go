package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// The planner answers the reads FerretDB 1.24 is slow at straight from
// PostgreSQL: FerretDB sends only top-level equality to PostgreSQL and does the
// rest of the filter, every sort, skip and limit in Go over every matching
// document (each decoded at ~0.6 ms). The planner turns a find, a count or a
// match-and-group aggregation whose every part it can express exactly into one
// SQL query, which the GIN twins serve, and builds the reply itself. Anything
// else, or anything it is unsure of, goes to FerretDB unchanged.
//
// Exactness: each field's BSON type is in the document's SJSON schema
// ($s.p.<field>.t; array items in .i), so every condition checks the type as
// MongoDB's comparison does (numbers with numbers, strings with strings, ...),
// looks inside arrays as MongoDB does, and treats a missing field as null.

// A command carrying this comment goes to FerretDB as it is: the tests compare
// the two answers.
const noPlanComment = "localdb:no-plan"

// The most groups one planned aggregation answers, and the most documents one
// planned find reads (handed out in batches); a larger result goes to FerretDB.
const (
	maxPlannedRows = 1000
	maxCursorRows  = 200_000
)

var errUnsupported = errors.New("not planned")

type planner struct {
	pool *pgxpool.Pool

	mu     sync.Mutex
	tables map[string]string // "database\x00collection" -> table

	cursors *cursors
}

func newPlanner(ctx context.Context, url string) (*planner, error) {
	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	config.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, err
	}
	return &planner{pool: pool, tables: map[string]string{}, cursors: newCursors()}, nil
}

func (p *planner) close() { p.pool.Close() }

// forget drops the remembered tables of a database (after a drop or a rename).
func (p *planner) forget(database string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key := range p.tables {
		if strings.HasPrefix(key, database+"\x00") {
			delete(p.tables, key)
		}
	}
}

func (p *planner) table(ctx context.Context, database, collection string) (string, error) {
	key := database + "\x00" + collection
	p.mu.Lock()
	table, ok := p.tables[key]
	p.mu.Unlock()
	if ok {
		return table, nil
	}
	query := fmt.Sprintf(`SELECT _jsonb->>'table' FROM %s WHERE _jsonb->'_id' = to_jsonb($1::text)`,
		pgx.Identifier{database, metadataTable}.Sanitize())
	if err := p.pool.QueryRow(ctx, query, collection).Scan(&table); err != nil {
		return "", errUnsupported // no such collection (yet): FerretDB answers
	}
	p.mu.Lock()
	p.tables[key] = table
	p.mu.Unlock()
	return table, nil
}

// where names the collection's table and translates the filter (nil: every document).
func (p *planner) where(ctx context.Context, cmd command, filter bson.Raw) (string, *sqlQuery, string, error) {
	table, err := p.table(ctx, cmd.database, cmd.collection)
	if err != nil {
		return "", nil, "", err
	}
	q := &sqlQuery{}
	where := "true"
	if filter != nil {
		if where, err = q.filter(filter); err != nil {
			return "", nil, "", err
		}
	}
	return pgx.Identifier{cmd.database, table}.Sanitize(), q, where, nil
}

// hasAny tells whether the command carries any of these options.
func hasAny(body bson.Raw, options ...string) bool {
	for _, option := range options {
		if _, err := body.LookupErr(option); err == nil {
			return true
		}
	}
	return false
}

// arrayValues reads an operator's array operand.
func arrayValues(operand bson.RawValue) ([]bson.RawValue, error) {
	array, ok := operand.ArrayOK()
	if !ok {
		return nil, errUnsupported
	}
	values, err := array.Values()
	if err != nil {
		return nil, errUnsupported
	}
	return values, nil
}

// answer returns the reply body for a planned read, or errUnsupported.
func (p *planner) answer(ctx context.Context, cmd command, body bson.Raw) (bsoncore.Document, error) {
	if comment, ok := body.Lookup("comment").StringValueOK(); ok && comment == noPlanComment {
		return nil, errUnsupported
	}
	if cmd.database == "" || strings.HasPrefix(cmd.collection, "system.") {
		return nil, errUnsupported
	}
	if cmd.collection == "" && cmd.name != "getMore" {
		return nil, errUnsupported
	}
	switch cmd.name {
	case "find":
		return p.find(ctx, cmd, body)
	case "count":
		return p.count(ctx, cmd, body)
	case "aggregate":
		return p.aggregate(ctx, cmd, body)
	case "getMore":
		return p.cursors.more(body)
	case "killCursors":
		return p.cursors.kill(body)
	}
	return nil, errUnsupported
}

// sqlQuery collects a WHERE clause and its arguments.
type sqlQuery struct {
	args []any
}

func (q *sqlQuery) arg(value any) string {
	q.args = append(q.args, value)
	return "$" + strconv.Itoa(len(q.args))
}

func fieldValue(field string) string { return "(_jsonb->" + quoteLiteral(field) + ")" }
func fieldType(field string) string {
	return "(_jsonb->'$s'->'p'->" + quoteLiteral(field) + "->>'t')"
}

// typeClasses are the SJSON types MongoDB compares with each other.
var typeClasses = map[string]string{
	"int": "number", "long": "number", "double": "number",
	"string": "string", "objectId": "objectId", "bool": "bool", "date": "date",
}

func classTypes(class string) string {
	switch class {
	case "number":
		return "('int','long','double')"
	default:
		for t, c := range typeClasses {
			if c == class {
				return "('" + t + "')"
			}
		}
	}
	return "('')"
}

// jsonOf returns the SJSON value of a scalar and its type class, or errUnsupported.
func jsonOf(value bson.RawValue) (string, string, error) {
	switch value.Type {
	case bsontype.String:
		b, _ := json.Marshal(value.StringValue())
		return string(b), "string", nil
	case bsontype.ObjectID:
		return `"` + value.ObjectID().Hex() + `"`, "objectId", nil
	case bsontype.Boolean:
		return strconv.FormatBool(value.Boolean()), "bool", nil
	case bsontype.Int32:
		return strconv.FormatInt(int64(value.Int32()), 10), "number", nil
	case bsontype.Int64:
		return strconv.FormatInt(value.Int64(), 10), "number", nil
	case bsontype.Double:
		f := value.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", "", errUnsupported
		}
		b, _ := json.Marshal(f)
		return string(b), "number", nil
	case bsontype.DateTime:
		return strconv.FormatInt(value.DateTime(), 10), "date", nil
	}
	return "", "", errUnsupported
}

// inArray is the condition "an element of the array in field has a type of
// class and satisfies cond (on e.x, a jsonb)".
func inArray(field, class, cond string) string {
	return fmt.Sprintf(`(%s = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements(%s) WITH ORDINALITY AS e(x, n)
		WHERE %s AND (_jsonb->'$s'->'p'->%s->'i'->((e.n - 1)::int)->>'t') IN %s))`,
		fieldType(field), fieldValue(field), cond, quoteLiteral(field), classTypes(class))
}

func (q *sqlQuery) equals(field string, value bson.RawValue) (string, error) {
	if value.Type == bsontype.Null {
		return fmt.Sprintf(`(%s IS NULL OR %s = 'null' OR (%s = 'array' AND EXISTS (
			SELECT 1 FROM jsonb_array_elements(_jsonb->'$s'->'p'->%s->'i') s WHERE s->>'t' = 'null')))`,
			fieldType(field), fieldType(field), fieldType(field), quoteLiteral(field)), nil
	}
	if value.Type == bsontype.Regex {
		pattern, options := value.Regex()
		return q.regex(field, pattern, options)
	}
	literal, class, err := jsonOf(value)
	if err != nil {
		return "", err
	}
	placeholder := q.arg(literal) + "::jsonb"
	// the containment comes first: the GIN twin on the field serves it
	return fmt.Sprintf(`(%s @> %s AND ((%s IN %s AND %s = %s) OR %s))`,
		fieldValue(field), placeholder, fieldType(field), classTypes(class), fieldValue(field), placeholder,
		inArray(field, class, "e.x = "+placeholder)), nil
}

var comparisons = map[string]string{"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}

func (q *sqlQuery) compare(field, operator string, value bson.RawValue) (string, error) {
	literal, class, err := jsonOf(value)
	if err != nil {
		return "", err
	}
	placeholder := q.arg(literal) + "::jsonb"
	op := comparisons[operator]
	return fmt.Sprintf(`((%s IN %s AND %s %s %s) OR %s)`, fieldType(field), classTypes(class),
		fieldValue(field), op, placeholder, inArray(field, class, "e.x "+op+" "+placeholder)), nil
}

// literalPattern reads a regular expression that is a literal text with
// escaped punctuation, optionally anchored at the start (what the app sends);
// anything else is left to FerretDB.
func literalPattern(pattern string) (string, bool, error) {
	anchored := strings.HasPrefix(pattern, "^")
	if anchored {
		pattern = pattern[1:]
	}
	var out strings.Builder
	runes := []rune(pattern)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if r == '\\' {
			if i+1 >= len(runes) {
				return "", false, errUnsupported
			}
			next := runes[i+1]
			if next < 128 && (next >= '0' && next <= '9' || next >= 'a' && next <= 'z' || next >= 'A' && next <= 'Z') {
				return "", false, errUnsupported
			}
			out.WriteRune(next)
			i++
			continue
		}
		if strings.ContainsRune(`.^$|?*+()[]{}`, r) {
			return "", false, errUnsupported
		}
		out.WriteRune(r)
	}
	return out.String(), anchored, nil
}

func (q *sqlQuery) regex(field, pattern, options string) (string, error) {
	if options != "" && options != "i" {
		return "", errUnsupported
	}
	text, anchored, err := literalPattern(pattern)
	if err != nil {
		return "", err
	}
	fold := func(s string) string { return s }
	if options == "i" {
		fold = func(s string) string { return "lower(" + s + ")" }
	}
	placeholder := q.arg(text) + "::text"
	test := func(subject string) string {
		if anchored {
			return fmt.Sprintf("starts_with(%s, %s)", fold(subject), fold(placeholder))
		}
		return fmt.Sprintf("strpos(%s, %s) > 0", fold(subject), fold(placeholder))
	}
	return fmt.Sprintf(`((%s = 'string' AND %s) OR %s)`, fieldType(field),
		test("(_jsonb->>"+quoteLiteral(field)+")"), inArray(field, "string", test("(e.x #>> '{}')"))), nil
}

// filter translates a MongoDB filter document.
func (q *sqlQuery) filter(doc bson.Raw) (string, error) {
	elements, err := doc.Elements()
	if err != nil {
		return "", err
	}
	parts := []string{"true"}
	for _, element := range elements {
		key, value := element.Key(), element.Value()
		var part string
		switch key {
		case "$and", "$or", "$nor":
			part, err = q.logical(key, value)
		default:
			if strings.HasPrefix(key, "$") || strings.Contains(key, ".") || key == "" {
				return "", errUnsupported
			}
			part, err = q.condition(key, value)
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

func (q *sqlQuery) logical(operator string, value bson.RawValue) (string, error) {
	values, err := arrayValues(value)
	if err != nil || len(values) == 0 {
		return "", errUnsupported
	}
	parts := make([]string, 0, len(values))
	for _, item := range values {
		doc, ok := item.DocumentOK()
		if !ok {
			return "", errUnsupported
		}
		part, err := q.filter(doc)
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	}
	switch operator {
	case "$and":
		return "(" + strings.Join(parts, " AND ") + ")", nil
	case "$or":
		return "(" + strings.Join(parts, " OR ") + ")", nil
	}
	return not("(" + strings.Join(parts, " OR ") + ")"), nil
}

// condition translates the condition on one field: a value, or operators.
func (q *sqlQuery) condition(field string, value bson.RawValue) (string, error) {
	doc, isDoc := value.DocumentOK()
	if !isDoc {
		return q.equals(field, value)
	}
	elements, err := doc.Elements()
	if err != nil || len(elements) == 0 {
		return "", errUnsupported
	}
	if !strings.HasPrefix(elements[0].Key(), "$") {
		return "", errUnsupported // equality with a whole document
	}
	parts := []string{}
	var regexPattern *string
	options := ""
	for _, element := range elements {
		operator, operand := element.Key(), element.Value()
		var part string
		switch operator {
		case "$eq", "$ne":
			if operand.Type == bsontype.Regex {
				return "", errUnsupported // a regex value compared as a value, not as a pattern
			}
			part, err = q.equals(field, operand)
			if operator == "$ne" {
				part = not(part)
			}
		case "$gt", "$gte", "$lt", "$lte":
			part, err = q.compare(field, operator, operand)
		case "$in", "$nin":
			part, err = q.in(field, operand)
			if operator == "$nin" {
				part = not(part)
			}
		case "$exists":
			present, ok := operand.BooleanOK()
			if !ok {
				return "", errUnsupported
			}
			part = "(_jsonb ? " + quoteLiteral(field) + ")"
			if !present {
				part = "(NOT " + part + ")"
			}
		case "$regex":
			pattern, ok := operand.StringValueOK()
			if !ok {
				return "", errUnsupported
			}
			regexPattern = &pattern
			continue
		case "$options":
			o, ok := operand.StringValueOK()
			if !ok {
				return "", errUnsupported
			}
			options = o
			continue
		default:
			return "", errUnsupported
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	}
	if regexPattern != nil {
		part, err := q.regex(field, *regexPattern, options)
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	} else if options != "" {
		return "", errUnsupported
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// longInList is the longest list of one type's values that an "$in" asks the GIN
// twin for. PostgreSQL runs a GIN index scan per value of "@> ANY" (about 0.3 ms
// each: 1.5 s for an import's 5,000 ID numbers) but compares a row with a longer
// list in one hash lookup ("= ANY"), so a longer list is answered from a btree on
// the field, or by a scan of the rows at a few microseconds a row.
const longInList = 64

func (q *sqlQuery) in(field string, operand bson.RawValue) (string, error) {
	values, err := arrayValues(operand)
	if err != nil {
		return "", err
	}
	if len(values) == 0 {
		return "false", nil
	}
	byClass := map[string][]string{}
	classes := []string{}
	parts := []string{}
	for _, value := range values {
		if value.Type == bsontype.Null || value.Type == bsontype.Regex {
			part, err := q.equals(field, value)
			if err != nil {
				return "", err
			}
			parts = append(parts, part)
			continue
		}
		literal, class, err := jsonOf(value)
		if err != nil {
			return "", err
		}
		if _, seen := byClass[class]; !seen {
			classes = append(classes, class)
		}
		byClass[class] = append(byClass[class], literal)
	}
	for _, class := range classes {
		// one array of values per type class
		placeholder := q.arg(byClass[class]) + "::text[]::jsonb[]"
		if len(byClass[class]) <= longInList {
			// a short list: the GIN twin serves "@> ANY", one index scan per value
			parts = append(parts, fmt.Sprintf(`(%s @> ANY(%s) AND ((%s IN %s AND %s = ANY(%s)) OR %s))`,
				fieldValue(field), placeholder, fieldType(field), classTypes(class), fieldValue(field), placeholder,
				inArray(field, class, "e.x = ANY("+placeholder+")")))
			continue
		}
		// a long list: each side of the OR can be read from an index, FerretDB's
		// btree on the field for the values and the partial index of the field's
		// unsortable documents (twins.go) for the arrays that hold one
		parts = append(parts, fmt.Sprintf(`((%s = ANY(%s) AND %s IN %s) OR (%s AND %s))`,
			fieldValue(field), placeholder, fieldType(field), classTypes(class), unsortable(field),
			inArray(field, class, "e.x = ANY("+placeholder+")")))
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}

// not negates a condition; a condition on a missing field is NULL in SQL, which
// counts as false where it stands but must count as false under NOT too.
func not(condition string) string {
	return "(NOT COALESCE(" + condition + ", false))"
}

// sortRank is MongoDB's order of a field's type (null and missing alike); the
// types whose order PostgreSQL's jsonb order does not give as MongoDB would
// (arrays sort by an element, documents field by field, ...) all rank
// unsortableRank. The sort twins (twins.go) index this same expression.
func sortRank(field string) string {
	return fmt.Sprintf(`(CASE COALESCE(%s, 'null') WHEN 'null' THEN 2 WHEN 'int' THEN 3 WHEN 'long' THEN 3
		WHEN 'double' THEN 3 WHEN 'string' THEN 4 WHEN 'objectId' THEN 8 WHEN 'bool' THEN 9 WHEN 'date' THEN 10
		ELSE %d END)`, fieldType(field), unsortableRank)
}

// sortValue is the value a field sorts by within its type's rank.
func sortValue(field string) string {
	return fmt.Sprintf(`(CASE WHEN COALESCE(%s, 'null') = 'null' THEN NULL ELSE %s END)`, fieldType(field), fieldValue(field))
}

const unsortableRank = 13

// sortDirection is how a sort key is ordered: ascending with nulls first, as
// MongoDB does, or exactly the reverse (so one index serves both).
func sortDirection(descending bool) string {
	if descending {
		return " DESC NULLS LAST"
	}
	return " ASC NULLS FIRST"
}

// sortKey is MongoDB's order of types, then the value.
func sortKey(field string, descending bool) string {
	return sortRank(field) + sortDirection(descending) + ", " + sortValue(field) + sortDirection(descending)
}

// unsortable is the condition "the field has a type whose order PostgreSQL does
// not give as MongoDB would"; a partial index of each sort twin's fields holds
// exactly those documents (none, in practice), so asking is instant.
func unsortable(field string) string {
	return fmt.Sprintf("(%s = %d)", sortRank(field), unsortableRank)
}

type sortField struct {
	field      string
	descending bool
}

func readSort(doc bson.Raw) ([]sortField, error) {
	if doc == nil {
		return nil, nil
	}
	elements, err := doc.Elements()
	if err != nil {
		return nil, errUnsupported
	}
	fields := make([]sortField, 0, len(elements))
	for _, element := range elements {
		key := element.Key()
		if strings.HasPrefix(key, "$") || strings.Contains(key, ".") {
			return nil, errUnsupported
		}
		direction, ok := element.Value().AsInt64OK()
		if !ok || (direction != 1 && direction != -1) {
			return nil, errUnsupported
		}
		fields = append(fields, sortField{key, direction == -1})
	}
	return fields, nil
}

// projectionFlag reads a projection's 1/0 or true/false; ok is false for anything else.
func projectionFlag(value bson.RawValue) (on bool, ok bool) {
	switch value.Type {
	case bsontype.Boolean:
		return value.Boolean(), true
	case bsontype.Int32, bsontype.Int64:
		n, _ := value.AsInt64OK()
		return n != 0, true
	case bsontype.Double:
		return value.Double() != 0, true
	}
	return false, false
}

// projectedColumn is what PostgreSQL sends back of each document: only the
// fields a projection keeps (with their schema), so that neither the transfer nor
// the decoding pays for the rest. readProjection has accepted the projection.
func projectedColumn(doc bson.Raw) string {
	if doc == nil {
		return "_jsonb"
	}
	elements, _ := doc.Elements()
	include, exclude := []string{}, []string{}
	idOnly := false // {_id: 1}: only the ids, not the whole documents
	for _, element := range elements {
		on, _ := projectionFlag(element.Value())
		switch {
		case element.Key() == "_id":
			idOnly = on
		case on:
			include = append(include, element.Key())
		default:
			exclude = append(exclude, element.Key())
		}
	}
	if len(include) == 0 && !(idOnly && len(exclude) == 0) {
		column := "_jsonb"
		for _, field := range exclude {
			column = "(" + column + " - " + quoteLiteral(field) + ")"
		}
		return column
	}
	if len(include) > 40 { // jsonb_build_object takes at most 100 arguments
		return "_jsonb"
	}
	include = append(include, "_id")
	data, types := []string{}, []string{}
	for _, field := range include {
		data = append(data, quoteLiteral(field), fieldValue(field))
		types = append(types, quoteLiteral(field), "(_jsonb->'$s'->'p'->"+quoteLiteral(field)+")")
	}
	return fmt.Sprintf("jsonb_build_object('$s', jsonb_build_object('$k', _jsonb->'$s'->'$k', 'p', jsonb_build_object(%s)), %s)",
		strings.Join(types, ", "), strings.Join(data, ", "))
}

// projection returns which top-level fields to keep, or errUnsupported for
// anything but a plain inclusion or exclusion of top-level fields.
func readProjection(doc bson.Raw) (func(string) bool, error) {
	if doc == nil {
		return nil, nil
	}
	elements, err := doc.Elements()
	if err != nil {
		return nil, errUnsupported
	}
	if len(elements) == 0 {
		return nil, nil
	}
	chosen := map[string]bool{}
	idKept := true
	mode := 0 // 1 include, -1 exclude
	for _, element := range elements {
		key := element.Key()
		if strings.HasPrefix(key, "$") || strings.Contains(key, ".") {
			return nil, errUnsupported
		}
		on, ok := projectionFlag(element.Value())
		if !ok {
			return nil, errUnsupported
		}
		if key == "_id" {
			idKept = on
			if on && mode == 0 {
				mode = 1 // {_id: 1} alone keeps only the ids
			}
			continue
		}
		want := -1
		if on {
			want = 1
		}
		if mode != 0 && mode != want && !(want == -1 && len(chosen) == 0 && idKept) {
			return nil, errUnsupported
		}
		mode = want
		chosen[key] = true
	}
	return func(key string) bool {
		if key == "_id" {
			return idKept
		}
		if mode == 1 {
			return chosen[key]
		}
		return !chosen[key]
	}, nil
}

func optionalDocument(body bson.Raw, key string) (bson.Raw, error) {
	value, err := body.LookupErr(key)
	if err != nil {
		return nil, nil
	}
	if value.Type == bsontype.Null {
		return nil, nil
	}
	doc, ok := value.DocumentOK()
	if !ok {
		return nil, errUnsupported
	}
	return doc, nil
}

func optionalInt(body bson.Raw, key string) (int64, error) {
	value, err := body.LookupErr(key)
	if err != nil || value.Type == bsontype.Null {
		return 0, nil
	}
	n, ok := value.AsInt64OK()
	if !ok {
		return 0, errUnsupported
	}
	return n, nil
}

// findOptions the planner leaves to FerretDB when present.
var unplannedFindOptions = []string{"min", "max", "returnKey", "showRecordId", "tailable", "awaitData",
	"allowPartialResults", "collation", "let", "oplogReplay", "readConcern"}

func (p *planner) find(ctx context.Context, cmd command, body bson.Raw) (bsoncore.Document, error) {
	if hasAny(body, unplannedFindOptions...) {
		return nil, errUnsupported
	}
	filter, err := optionalDocument(body, "filter")
	if err != nil {
		return nil, err
	}
	sortDoc, err := optionalDocument(body, "sort")
	if err != nil {
		return nil, err
	}
	projectionDoc, err := optionalDocument(body, "projection")
	if err != nil {
		return nil, err
	}
	skip, err := optionalInt(body, "skip")
	if err != nil || skip < 0 {
		return nil, errUnsupported
	}
	limit, err := optionalInt(body, "limit")
	if err != nil {
		return nil, err
	}
	if limit < 0 {
		limit = -limit
	}
	if simpleLookup(filter) {
		return nil, errUnsupported // FerretDB and its GIN twin answer these as fast
	}
	sortFields, err := readSort(sortDoc)
	if err != nil {
		return nil, err
	}
	keep, err := readProjection(projectionDoc)
	if err != nil {
		return nil, err
	}
	from, q, where, err := p.where(ctx, cmd, filter)
	if err != nil {
		return nil, err
	}
	if len(sortFields) > 0 {
		// one EXISTS per field: each is answered by that field's partial index
		checks := make([]string, 0, len(sortFields))
		for _, f := range sortFields {
			checks = append(checks, fmt.Sprintf("EXISTS (SELECT 1 FROM %s WHERE %s AND %s)", from, where,
				unsortable(f.field)))
		}
		var odd bool
		check := "SELECT " + strings.Join(checks, " OR ")
		if err := p.pool.QueryRow(ctx, check, q.args...).Scan(&odd); err != nil || odd {
			return nil, errUnsupported
		}
	}
	orderBy := ""
	if len(sortFields) > 0 {
		order := make([]string, 0, len(sortFields)+1)
		sortsByID := false
		for _, f := range sortFields {
			order = append(order, sortKey(f.field, f.descending))
			sortsByID = sortsByID || f.field == "_id"
		}
		if !sortsByID { // ties in MongoDB's order are unspecified: by id here, always the same
			order = append(order, sortKey("_id", false))
		}
		orderBy = " ORDER BY " + strings.Join(order, ", ")
	}
	window := int64(maxCursorRows + 1)
	if limit > 0 && limit <= maxCursorRows {
		window = limit
	}
	sql := fmt.Sprintf("SELECT %s::text FROM %s WHERE %s%s LIMIT %d OFFSET %d",
		projectedColumn(projectionDoc), from, where, orderBy, window, skip)
	if comment, ok := body.Lookup("comment").StringValueOK(); ok && (comment == explainComment ||
		comment == explainIndexedComment || comment == explainAnalyzeComment) {
		return p.explain(ctx, cmd, sql, q.args, comment)
	}
	rows, err := p.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, errUnsupported
	}
	defer rows.Close()
	var batch []bsoncore.Document
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return nil, errUnsupported
		}
		if int64(len(batch)) >= maxCursorRows {
			return nil, errUnsupported
		}
		doc, err := sjsonToBSON([]byte(text), keep)
		if err != nil {
			return nil, errUnsupported
		}
		batch = append(batch, doc)
	}
	if rows.Err() != nil {
		return nil, errUnsupported
	}
	batchSize, _ := optionalInt(body, "batchSize")
	single, _ := body.Lookup("singleBatch").BooleanOK()
	return p.cursors.openCursor(cmd, batch, batchSize, single), nil
}

// simpleLookup: a filter that is only top-level equality with an _id, which
// FerretDB sends to PostgreSQL whole.
// explainComment on a find asks for PostgreSQL's plan of the planner's query
// instead of its documents: one document {plan: "..."} (for tests and for a
// person looking into a slow page). A find the planner leaves to FerretDB
// answers with its documents, which have no plan.
const explainComment = "localdb:explain"

// explainIndexedComment asks for the plan PostgreSQL makes when it avoids sorting
// and reading whole tables wherever an index can stand in: whether an index can
// give the order asked, whatever the table's size (a small table is read and
// sorted, which is cheaper there).
const explainIndexedComment = "localdb:explain-indexed"

// explainAnalyzeComment asks for the plan as run, with each step's time and rows
// (the find is run, read only, and its documents dropped).
const explainAnalyzeComment = "localdb:explain-analyze"

func (p *planner) explain(ctx context.Context, cmd command, sql string, args []any, comment string) (bsoncore.Document, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only: nothing to keep
	explain := "EXPLAIN "
	switch comment {
	case explainAnalyzeComment:
		explain = "EXPLAIN (ANALYZE, BUFFERS) "
	case explainIndexedComment:
		if _, err := tx.Exec(ctx, "SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off; SET LOCAL enable_seqscan = off"); err != nil {
			return nil, err
		}
	}
	rows, err := tx.Query(ctx, explain+sql, args...)
	if err != nil {
		return nil, err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	plan := bsoncore.NewDocumentBuilder().AppendString("plan", strings.Join(lines, "\n")).Build()
	return p.cursors.openCursor(cmd, []bsoncore.Document{plan}, 0, true), nil
}

func simpleLookup(filter bson.Raw) bool {
	if filter == nil {
		return false
	}
	value, err := filter.LookupErr("_id")
	if err != nil {
		return false
	}
	_, isDoc := value.DocumentOK()
	return !isDoc
}

func cursorReply(cmd command, batch []bsoncore.Document) bsoncore.Document {
	return batchReply("firstBatch", batch, 0, cmd.database+"."+cmd.collection)
}

func (p *planner) count(ctx context.Context, cmd command, body bson.Raw) (bsoncore.Document, error) {
	if hasAny(body, "hint", "collation", "readConcern") {
		return nil, errUnsupported
	}
	filter, err := optionalDocument(body, "query")
	if err != nil {
		return nil, err
	}
	skip, err1 := optionalInt(body, "skip")
	limit, err2 := optionalInt(body, "limit")
	if err1 != nil || err2 != nil || skip < 0 {
		return nil, errUnsupported
	}
	n, err := p.countRows(ctx, cmd, filter, skip, limit)
	if err != nil {
		return nil, err
	}
	return bsoncore.NewDocumentBuilder().AppendInt32("n", int32(n)).AppendDouble("ok", 1).Build(), nil
}

func (p *planner) countRows(ctx context.Context, cmd command, filter bson.Raw, skip, limit int64) (int64, error) {
	from, q, where, err := p.where(ctx, cmd, filter)
	if err != nil {
		return 0, err
	}
	var n int64
	sql := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", from, where)
	if err := p.pool.QueryRow(ctx, sql, q.args...).Scan(&n); err != nil {
		return 0, errUnsupported
	}
	n -= skip
	if n < 0 {
		n = 0
	}
	if limit < 0 {
		limit = -limit
	}
	if limit > 0 && n > limit {
		n = limit
	}
	return n, nil
}
