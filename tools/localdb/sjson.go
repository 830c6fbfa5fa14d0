package main

import (
	"bytes"
	"fmt"
	json "github.com/goccy/go-json"
	"strconv"

	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// FerretDB 1.24 keeps each document in PostgreSQL as "SJSON": plain JSON with
// the BSON types beside it in "$s" ({"$k": key order, "p": {field: schema}}).
// The planner reads documents straight from PostgreSQL and turns them back
// into BSON here. The format is FerretDB 1.24's (the version go.mod pins).

type sjsonSchema struct {
	Properties map[string]*sjsonElem `json:"p"`
	Keys       []string              `json:"$k"`
}

type sjsonElem struct {
	Type    string       `json:"t"`
	Schema  *sjsonSchema `json:"$s,omitempty"`
	Options *string      `json:"o,omitempty"`
	Items   []*sjsonElem `json:"i,omitempty"`
	Subtype *byte        `json:"s,omitempty"`
}

// sjsonToBSON converts one stored document to BSON, keeping only the top-level
// fields “keep“ allows (nil keeps all).
func sjsonToBSON(data []byte, keep func(string) bool) (bsoncore.Document, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	var schema sjsonSchema
	if err := json.Unmarshal(raw["$s"], &schema); err != nil {
		return nil, err
	}
	return appendDocument(nil, raw, &schema, keep)
}

func appendDocument(dst []byte, raw map[string]json.RawMessage, schema *sjsonSchema, keep func(string) bool) ([]byte, error) {
	index, dst := bsoncore.AppendDocumentStart(dst)
	for _, key := range schema.Keys {
		if keep != nil && !keep(key) {
			continue
		}
		elem := schema.Properties[key]
		if elem == nil {
			return nil, fmt.Errorf("no schema for field %q", key)
		}
		var err error
		if dst, err = appendValue(dst, key, raw[key], elem); err != nil {
			return nil, err
		}
	}
	return bsoncore.AppendDocumentEnd(dst, index)
}

func decodeNumber(value json.RawMessage) (json.Number, error) {
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	var n json.Number
	err := dec.Decode(&n)
	return n, err
}

func appendValue(dst []byte, key string, value json.RawMessage, elem *sjsonElem) ([]byte, error) {
	switch elem.Type {
	case "object":
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(value, &raw); err != nil {
			return nil, err
		}
		if elem.Schema == nil {
			return nil, fmt.Errorf("object %q without schema", key)
		}
		dst = bsoncore.AppendHeader(dst, bsontype.EmbeddedDocument, key)
		return appendDocument(dst, raw, elem.Schema, nil)
	case "array":
		var items []json.RawMessage
		if err := json.Unmarshal(value, &items); err != nil {
			return nil, err
		}
		if len(items) != len(elem.Items) {
			return nil, fmt.Errorf("array %q: %d items, %d schemas", key, len(items), len(elem.Items))
		}
		dst = bsoncore.AppendHeader(dst, bsontype.Array, key)
		index, out := bsoncore.AppendArrayStart(dst)
		for i, item := range items {
			var err error
			if out, err = appendValue(out, strconv.Itoa(i), item, elem.Items[i]); err != nil {
				return nil, err
			}
		}
		return bsoncore.AppendArrayEnd(out, index)
	case "double":
		n, err := decodeNumber(value)
		if err != nil {
			return nil, err
		}
		f, err := n.Float64()
		if err != nil {
			return nil, err
		}
		return bsoncore.AppendDoubleElement(dst, key, f), nil
	case "string":
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return nil, err
		}
		return bsoncore.AppendStringElement(dst, key, s), nil
	case "binData":
		var b []byte
		if err := json.Unmarshal(value, &b); err != nil {
			return nil, err
		}
		subtype := byte(0)
		if elem.Subtype != nil {
			subtype = *elem.Subtype
		}
		return bsoncore.AppendBinaryElement(dst, key, subtype, b), nil
	case "objectId":
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return nil, err
		}
		id, err := primitive.ObjectIDFromHex(s)
		if err != nil {
			return nil, err
		}
		return bsoncore.AppendObjectIDElement(dst, key, id), nil
	case "bool":
		var b bool
		if err := json.Unmarshal(value, &b); err != nil {
			return nil, err
		}
		return bsoncore.AppendBooleanElement(dst, key, b), nil
	case "date":
		n, err := decodeNumber(value)
		if err != nil {
			return nil, err
		}
		ms, err := n.Int64()
		if err != nil {
			return nil, err
		}
		return bsoncore.AppendDateTimeElement(dst, key, ms), nil
	case "null":
		return bsoncore.AppendNullElement(dst, key), nil
	case "regex":
		var pattern string
		if err := json.Unmarshal(value, &pattern); err != nil {
			return nil, err
		}
		options := ""
		if elem.Options != nil {
			options = *elem.Options
		}
		return bsoncore.AppendRegexElement(dst, key, pattern, options), nil
	case "int":
		n, err := decodeNumber(value)
		if err != nil {
			return nil, err
		}
		i, err := strconv.ParseInt(n.String(), 10, 32)
		if err != nil {
			return nil, err
		}
		return bsoncore.AppendInt32Element(dst, key, int32(i)), nil
	case "long":
		n, err := decodeNumber(value)
		if err != nil {
			return nil, err
		}
		i, err := n.Int64()
		if err != nil {
			return nil, err
		}
		return bsoncore.AppendInt64Element(dst, key, i), nil
	case "timestamp":
		n, err := decodeNumber(value)
		if err != nil {
			return nil, err
		}
		u, err := strconv.ParseUint(n.String(), 10, 64)
		if err != nil {
			return nil, err
		}
		return bsoncore.AppendTimestampElement(dst, key, uint32(u>>32), uint32(u)), nil
	}
	return nil, fmt.Errorf("unknown SJSON type %q", elem.Type)
}
