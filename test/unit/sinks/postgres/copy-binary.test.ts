import { describe, expect, it } from "vitest";
import { BinaryCopyWriter, PIECE_BYTES as PIECE } from "../../../../src/sinks/postgres/copy-binary.js";
import { seededRandom } from "../../../support/realistic-documents.js";

/** Bytes before the first row: the signature (11), the flags (4) and the header extension's length (4). */
const HEADER = 19;

/** A row as the raw table's COPY writes it. */
interface RawRow {
  readonly key: string;
  readonly json: string;
  readonly seconds: number;
}

/** The writer's output for these rows: every piece, in order; `early` of them were handed out before the end. */
function writtenPieces(rows: readonly RawRow[]): { pieces: Buffer[]; early: number } {
  const out = new BinaryCopyWriter();
  const pieces: Buffer[] = [];
  for (const { key, json, seconds } of rows) {
    out.row(3);
    out.text(key);
    out.jsonb(json);
    out.timestamp(seconds);
    pieces.push(...out.filled());
  }
  const early = pieces.length;
  pieces.push(...out.end());
  return { pieces, early };
}

function written(rows: readonly RawRow[]): Buffer[] {
  return writtenPieces(rows).pieces;
}

/**
 * Reads COPY's binary format as PostgreSQL does (src/backend/commands/copyfromparse.c:
 * the signature, flags and header extension; then per row a 16-bit field count, per field a
 * 32-bit length and its bytes; -1 as the count ends the data, which must end there too).
 */
function parsed(data: Buffer): RawRow[] {
  expect(data.subarray(0, 11)).toEqual(Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"));
  expect(data.readInt32BE(11)).toBe(0);
  expect(data.readInt32BE(15)).toBe(0);
  const rows: RawRow[] = [];
  let at = HEADER;
  const field = (): Buffer => {
    const length = data.readInt32BE(at);
    const bytes = data.subarray(at + 4, at + 4 + length);
    expect(bytes.length).toBe(length);
    at += 4 + length;
    return bytes;
  };
  for (;;) {
    const fields = data.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    expect(fields).toBe(3);
    const key = field().toString("utf8");
    const jsonb = field();
    expect(jsonb[0]).toBe(1); // jsonb's binary version
    const json = jsonb.subarray(1).toString("utf8");
    const time = field();
    expect(time.length).toBe(8);
    rows.push({ key, json, seconds: Number(time.readBigInt64BE(0)) / 1_000_000 + 946_684_800 });
  }
  expect(at).toBe(data.length);
  return rows;
}

/** A row whose timestamp ends `offset` bytes after the end of the first piece, when it is the first row. */
function rowEndingAt(offset: number, key = "k"): RawRow {
  // header, count (2), key (4 + its bytes), jsonb (4 + 1 + its bytes: the x's and two quotes), timestamp (4 + 8)
  const json = `"${"x".repeat(PIECE + offset - HEADER - 2 - 4 - key.length - 5 - 12 - 2)}"`;
  return { key, json, seconds: 1_700_000_000 };
}

describe("BinaryCopyWriter", () => {
  it("writes rows PostgreSQL reads back field by field", () => {
    const rows = [
      { key: "65f1c0ffee0000000000abcd", json: '{"a":1}', seconds: 1_700_000_000 },
      { key: "tab\tnew\nline back\\slash", json: '{"t":"\\\\N"}', seconds: 946_684_800 },
      { key: "日本語 🦀", json: '{"é":"ü"}', seconds: 946_684_799 },
      { key: "", json: "{}", seconds: 1 },
      { key: "max", json: "[]", seconds: 4_294_967_295 },
    ];
    expect(parsed(Buffer.concat(written(rows)))).toEqual(rows);
  });

  it("writes the timestamp as signed microseconds since 2000-01-01, before that date too", () => {
    const [data] = written([{ key: "", json: "{}", seconds: 946_684_799 }]);
    // header, count, key (4 + 0), jsonb (4 + 1 + 2), then the timestamp's length and value
    expect(data?.readInt32BE(HEADER + 2 + 4 + 7)).toBe(8);
    expect(data?.readBigInt64BE(HEADER + 2 + 4 + 7 + 4)).toBe(-1_000_000n);
  });

  it("writes no row at all as the header and the trailer", () => {
    expect(Buffer.concat(written([]))).toEqual(Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8), Buffer.from([0xff, 0xff])]));
  });

  // A row ending just before, at or just after a piece's end, alone and followed by another: the
  // trailer, the next row's count or a field may then need a piece of its own.
  it.each(Array.from({ length: 17 }, (_, i) => i - 8))("keeps every byte when the first row ends %i bytes after the piece's end", (offset) => {
    for (const rows of [[rowEndingAt(offset)], [rowEndingAt(offset), { key: "next", json: "{}", seconds: 2 }], [rowEndingAt(offset), rowEndingAt(offset, "k2")]]) {
      const pieces = written(rows);
      expect(parsed(Buffer.concat(pieces))).toEqual(rows);
      expect(pieces.every((piece) => piece.length > 0)).toBe(true);
    }
  });

  it("sizes a field of many-byte characters by its bytes, whether it fits what is left of a piece or not", () => {
    const random = seededRandom(7);
    // A lone surrogate is written as U+FFFD, three bytes, as Buffer.byteLength counts it.
    const alphabet = ["a", "é", "語", "🦀", "\u2028", "\ud800"];
    const text = (length: number): string => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    const rows = Array.from({ length: 300 }, (_, i) => ({ key: text(1 + (i % 40)), json: JSON.stringify(text(Math.floor(random() * (i % 10 === 0 ? 150_000 : 3_000)))), seconds: 1_700_000_000 + i }));
    const { pieces, early } = writtenPieces(rows);
    const wellFormed = (value: string): string => Buffer.from(value).toString("utf8");
    expect(parsed(Buffer.concat(pieces))).toEqual(rows.map((row) => ({ ...row, key: wellFormed(row.key) })));
    // Pieces go as they fill, not all at the end.
    expect(early).toBeGreaterThan(10);
    // A piece larger than the usual size holds exactly one field that needed it.
    const fieldSizes = new Set(rows.flatMap((row) => [4 + Buffer.byteLength(row.key), 5 + Buffer.byteLength(row.json)]));
    const large = pieces.filter((piece) => piece.length > PIECE);
    expect(large.length).toBeGreaterThan(0);
    expect(large.every((piece) => fieldSizes.has(piece.length))).toBe(true);
  });
});
