package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// The aggregations the planner answers: an optional $match, optional $skip and
// $limit before a $group (the driver's count_documents), and a $group whose key
// is a constant, null or one top-level field and whose every output is a $sum
// of 1 or of one top-level field. Everything else goes to FerretDB.

type sumOutput struct {
	name  string
	field string // "" sums 1 per document
	count int64  // the constant summed per document when field is ""
}

type groupStage struct {
	keyField string        // "" for a constant key
	constant bson.RawValue // the constant key
	outputs  []sumOutput
}

func readGroup(doc bson.Raw) (*groupStage, error) {
	elements, err := doc.Elements()
	if err != nil {
		return nil, errUnsupported
	}
	group := &groupStage{}
	seenID := false
	for _, element := range elements {
		key, value := element.Key(), element.Value()
		if key == "_id" {
			seenID = true
			if text, ok := value.StringValueOK(); ok && strings.HasPrefix(text, "$") {
				field := text[1:]
				if field == "" || strings.ContainsAny(field, ".$") {
					return nil, errUnsupported
				}
				group.keyField = field
				continue
			}
			switch value.Type {
			case bsontype.Null, bsontype.Int32, bsontype.Int64, bsontype.Double, bsontype.String, bsontype.Boolean:
				group.constant = value
			default:
				return nil, errUnsupported
			}
			continue
		}
		accumulator, ok := value.DocumentOK()
		if !ok {
			return nil, errUnsupported
		}
		operand, err := accumulator.LookupErr("$sum")
		if err != nil {
			return nil, errUnsupported
		}
		if parts, _ := accumulator.Elements(); len(parts) != 1 {
			return nil, errUnsupported
		}
		if text, ok := operand.StringValueOK(); ok && strings.HasPrefix(text, "$") {
			field := text[1:]
			if field == "" || strings.ContainsAny(field, ".$") {
				return nil, errUnsupported
			}
			group.outputs = append(group.outputs, sumOutput{name: key, field: field})
			continue
		}
		n, ok := operand.AsInt64OK()
		if !ok || operand.Type == bsontype.Double {
			return nil, errUnsupported
		}
		group.outputs = append(group.outputs, sumOutput{name: key, count: n})
	}
	if !seenID {
		return nil, errUnsupported
	}
	return group, nil
}

func (p *planner) aggregate(ctx context.Context, cmd command, body bson.Raw) (bsoncore.Document, error) {
	if hasAny(body, "explain", "hint", "collation", "let", "readConcern") {
		return nil, errUnsupported
	}
	pipeline, ok := body.Lookup("pipeline").ArrayOK()
	if !ok {
		return nil, errUnsupported
	}
	stages, err := pipeline.Values()
	if err != nil || len(stages) == 0 {
		return nil, errUnsupported
	}
	var filter bson.Raw
	var skip, limit int64
	var group *groupStage
	for i, stage := range stages {
		doc, ok := stage.DocumentOK()
		if !ok {
			return nil, errUnsupported
		}
		elements, err := doc.Elements()
		if err != nil || len(elements) != 1 {
			return nil, errUnsupported
		}
		name, operand := elements[0].Key(), elements[0].Value()
		last := i == len(stages)-1
		switch {
		case name == "$match" && i == 0:
			if filter, ok = operand.DocumentOK(); !ok {
				return nil, errUnsupported
			}
		case name == "$skip" && group == nil && limit == 0 && !last:
			if skip, ok = operand.AsInt64OK(); !ok || skip < 0 {
				return nil, errUnsupported
			}
		case name == "$limit" && group == nil && !last:
			if limit, ok = operand.AsInt64OK(); !ok || limit <= 0 {
				return nil, errUnsupported
			}
		case name == "$group" && last:
			groupDoc, ok := operand.DocumentOK()
			if !ok {
				return nil, errUnsupported
			}
			if group, err = readGroup(groupDoc); err != nil {
				return nil, err
			}
		default:
			return nil, errUnsupported
		}
	}
	if group == nil {
		return nil, errUnsupported
	}
	if group.keyField == "" && len(group.outputs) == 1 && group.outputs[0].field == "" {
		// count_documents: one row with the count, or none
		n, err := p.countRows(ctx, cmd, filter, skip, limit)
		if err != nil {
			return nil, err
		}
		var batch []bsoncore.Document
		if n > 0 {
			row := bsoncore.NewDocumentBuilder()
			row.AppendValue("_id", bsoncore.Value{Type: group.constant.Type, Data: group.constant.Value})
			row.AppendValue(group.outputs[0].name, sumValue(float64(n*group.outputs[0].count), false))
			batch = append(batch, row.Build())
		}
		return cursorReply(cmd, batch), nil
	}
	if skip != 0 || limit != 0 {
		return nil, errUnsupported
	}
	return p.groupRows(ctx, cmd, filter, group)
}

// sumValue is the type MongoDB's $sum gives: a double when a double was summed,
// else the smallest integer type that holds the total.
func sumValue(total float64, sawDouble bool) bsoncore.Value {
	if sawDouble {
		return bsoncore.Value{Type: bsontype.Double, Data: bsoncore.AppendDouble(nil, total)}
	}
	if total >= math.MinInt32 && total <= math.MaxInt32 {
		return bsoncore.Value{Type: bsontype.Int32, Data: bsoncore.AppendInt32(nil, int32(total))}
	}
	return bsoncore.Value{Type: bsontype.Int64, Data: bsoncore.AppendInt64(nil, int64(total))}
}

func (p *planner) groupRows(ctx context.Context, cmd command, filter bson.Raw, group *groupStage) (bsoncore.Document, error) {
	from, q, where, err := p.where(ctx, cmd, filter)
	if err != nil {
		return nil, err
	}
	columns := []string{}
	groupBy := ""
	if group.keyField != "" {
		key := fmt.Sprintf(`(CASE WHEN COALESCE(%s, 'null') = 'null' THEN NULL ELSE %s END)`,
			fieldType(group.keyField), fieldValue(group.keyField))
		columns = append(columns, key+"::text", "min("+fieldType(group.keyField)+")", "max("+fieldType(group.keyField)+")")
		groupBy = " GROUP BY 1"
	} else {
		columns = append(columns, "NULL::text", "NULL::text", "NULL::text")
	}
	for _, output := range group.outputs {
		if output.field == "" {
			columns = append(columns, fmt.Sprintf("(count(*) * %d)::float8", output.count), "false")
			continue
		}
		numeric := fieldType(output.field) + " IN ('int','long','double')"
		columns = append(columns,
			fmt.Sprintf("COALESCE(sum(CASE WHEN %s THEN (_jsonb->>%s)::float8 END), 0)", numeric, quoteLiteral(output.field)),
			fmt.Sprintf("COALESCE(bool_or(%s = 'double'), false)", fieldType(output.field)))
	}
	sql := fmt.Sprintf("SELECT %s FROM %s WHERE %s%s ORDER BY 1 NULLS FIRST", strings.Join(columns, ", "),
		from, where, groupBy)
	if group.keyField == "" {
		sql = fmt.Sprintf("SELECT %s FROM %s WHERE %s HAVING count(*) > 0", strings.Join(columns, ", "),
			from, where)
	}
	rows, err := p.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, errUnsupported
	}
	defer rows.Close()
	var batch []bsoncore.Document
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			return nil, errUnsupported
		}
		row := bsoncore.NewDocumentBuilder()
		if group.keyField != "" {
			minType, _ := values[1].(string)
			maxType, _ := values[2].(string)
			keyText, _ := values[0].(string)
			if values[0] == nil {
				row.AppendNull("_id")
			} else {
				if minType != maxType || typeClasses[minType] == "" && minType != "null" {
					return nil, errUnsupported // mixed or compound keys: FerretDB answers
				}
				key, err := sjsonToBSON([]byte(fmt.Sprintf(`{"$s":{"$k":["_id"],"p":{"_id":{"t":%q}}},"_id":%s}`,
					minType, keyText)), nil)
				if err != nil {
					return nil, errUnsupported
				}
				row.AppendValue("_id", bsoncore.Document(key).Lookup("_id"))
			}
		} else {
			row.AppendValue("_id", bsoncore.Value{Type: group.constant.Type, Data: group.constant.Value})
		}
		for i, output := range group.outputs {
			total, _ := values[3+2*i].(float64)
			sawDouble, _ := values[4+2*i].(bool)
			row.AppendValue(output.name, sumValue(total, sawDouble))
		}
		batch = append(batch, row.Build())
	}
	if rows.Err() != nil || len(batch) > maxPlannedRows {
		return nil, errUnsupported
	}
	return cursorReply(cmd, batch), nil
}
