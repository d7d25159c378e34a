import { describe, expect, it } from "vitest";
import { BinaryCopyWriter, PIECE_BYTES } from "../../../../src/sinks/postgres/copy-binary.js";
import { binaryRowWriter, copiesInBinary } from "../../../../src/sinks/postgres/relational/binary-row-writer.js";
import { CLUSTER_TIME_COLUMN } from "../../../../src/sinks/postgres/relational/relational-ddl.js";
import { seededRandom } from "../../../support/realistic-documents.js";

// What PostgreSQL reads of each value is held by copy-lines.test.ts, against jsonb_to_recordset;
// here, which columns go in binary and how an array field is laid out across pieces.

/** Bytes before the first row: the signature (11), the flags (4) and the header extension's length (4). */
const HEADER = 19;

describe("copiesInBinary", () => {
  it("takes every column type but real and json, as scalars and as arrays", () => {
    const binary = ["text", "varchar(3)", "char(2)", "smallint", "integer", "bigint", "numeric", "numeric(10,2)", "double precision", "boolean", "timestamptz", "timestamp", "date", "jsonb", "uuid", "bytea"];
    for (const sql of binary) {
      expect(copiesInBinary([{ name: "c", sql }])).toBe(true);
      expect(copiesInBinary([{ name: "c", sql: `${sql}[]` }])).toBe(true);
    }
    for (const sql of ["real", "real[]", "json", "json[]"]) expect(copiesInBinary([{ name: "a", sql: "text" }, { name: "c", sql }])).toBe(false);
    // The cluster time is carried as seconds in a double precision column, and sent as a timestamp.
    expect(copiesInBinary([{ name: CLUSTER_TIME_COLUMN, sql: "double precision" }])).toBe(true);
  });
});

describe("binaryRowWriter", () => {
  /** The text[] field of each row, read back as PostgreSQL's array_recv reads it (src/backend/utils/adt/arrayfuncs.c). */
  function arraysOf(data: Buffer): (string | null)[][] {
    const arrays: (string | null)[][] = [];
    let at = HEADER;
    for (;;) {
      const fields = data.readInt16BE(at);
      at += 2;
      if (fields === -1) break;
      expect(fields).toBe(1);
      const length = data.readInt32BE(at);
      const end = at + 4 + length;
      at += 4;
      const dimensions = data.readInt32BE(at);
      const hasNull = data.readInt32BE(at + 4);
      expect(data.readInt32BE(at + 8)).toBe(25); // text
      at += 12;
      const count = dimensions === 0 ? 0 : data.readInt32BE(at);
      if (dimensions === 1) {
        expect(data.readInt32BE(at + 4)).toBe(1); // lower bound
        at += 8;
      } else expect(dimensions).toBe(0);
      const elements: (string | null)[] = [];
      for (let index = 0; index < count; index += 1) {
        const bytes = data.readInt32BE(at);
        at += 4;
        if (bytes === -1) elements.push(null);
        else {
          elements.push(data.subarray(at, at + bytes).toString("utf8"));
          at += bytes;
        }
      }
      expect(hasNull).toBe(elements.includes(null) ? 1 : 0);
      expect(at).toBe(end);
      arrays.push(elements);
    }
    expect(at).toBe(data.length);
    return arrays;
  }

  it("writes each array field whole in one piece, its length filled in after its elements, wherever the piece ends", () => {
    const random = seededRandom(11);
    const alphabet = ["a", "é", "語", "🦀"];
    const text = (length: number): string => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    const rows = Array.from({ length: 400 }, (_, i) => ({
      tags: Array.from({ length: i % 7 }, (_, j) => ((i + j) % 5 === 0 ? null : text(1 + Math.floor(random() * (i % 50 === 0 ? 40_000 : 900))))),
    }));
    const write = binaryRowWriter([{ name: "tags", sql: "text[]" }]);
    const out = new BinaryCopyWriter();
    const pieces: Buffer[] = [];
    for (const row of rows) {
      write(row, out);
      pieces.push(...out.filled());
    }
    pieces.push(...out.end());
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.some((piece) => piece.length > PIECE_BYTES)).toBe(true);
    expect(arraysOf(Buffer.concat(pieces))).toEqual(rows.map((row) => row.tags));
  });
});
