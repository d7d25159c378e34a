import type { ClientBase } from "pg";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import { copyFromStdin } from "./copy-text.js";

/** Pieces of about this many bytes go to the socket: fewer, larger writes. @internal */
export const PIECE_BYTES = 128 * 1024;
/** The file header of COPY's binary format: signature, flags (none), header extension length (0). */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** The file trailer: a field count of -1. */
const TRAILER = Buffer.from([0xff, 0xff]);
/** jsonb's binary input: a version byte, then the JSON text (src/backend/utils/adt/jsonb.c: jsonb_recv). */
const JSONB_VERSION = 1;
/** 2000-01-01T00:00:00Z, where PostgreSQL's timestamps count from, in Unix seconds. */
const POSTGRES_EPOCH_SECONDS = 946_684_800;
const POSTGRES_EPOCH_DAYS = POSTGRES_EPOCH_SECONDS / 86_400;
const TWO_TO_32 = 2 ** 32;
const NONE: readonly Buffer[] = Object.freeze([]);
/** Strings up to this long are tried as ASCII, byte by byte (see `ascii`). */
const SHORT_TEXT = 24;
const MINUS = 0x2d;
const ZERO = 0x30;
/** `numeric`'s sign words (src/include/utils/numeric.h). */
const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
/** The options of a `COPY … FROM STDIN` that reads {@link BinaryCopyWriter}'s pieces. */
export const BINARY_COPY_OPTIONS = " (FORMAT binary)";
/** What PostgreSQL answers a binary field it cannot read as its column's type with. */
const PROTOCOL_VIOLATION = "08P01";

/**
 * Rows in the binary format of `COPY … FROM STDIN (FORMAT binary)` (PostgreSQL's documentation,
 * "COPY", "Binary Format"), written into pieces of about {@link PIECE_BYTES}. The server reads
 * each field with its type's binary input instead of parsing text: no scan for tabs, newlines and
 * escapes, no timestamp text to parse. Measured with raw-mode rows, this cost PostgreSQL 6 to 16%
 * less than the same rows as text (docs/benchmarks.md, tenth pass).
 *
 * Usage: {@link row}, then each field; after each row, {@link filled} gives the pieces to send
 * (most often none); at the end, {@link end}, once, gives every piece not sent yet, the trailer in
 * the last. A piece handed out is never written again: the stream may still hold it.
 */
export class BinaryCopyWriter {
  private piece = Buffer.allocUnsafe(PIECE_BYTES);
  private at = HEADER.copy(this.piece, 0);
  private ready: Buffer[] = [];
  private groups = new Uint16Array(16);

  /** Starts a row of `fields` fields. */
  row(fields: number): void {
    this.reserve(2);
    this.at = this.piece.writeInt16BE(fields, this.at);
  }

  /** A NULL field. */
  null(): void {
    this.reserve(4);
    this.at = this.piece.writeInt32BE(-1, this.at);
  }

  /** A `text` field (`varchar`, `char` too: their receive functions apply the column's length as their input does): its UTF-8 bytes. */
  text(value: string): void {
    this.utf8(value, undefined);
  }

  /** A `jsonb` field from JSON text. */
  jsonb(json: string): void {
    this.utf8(json, JSONB_VERSION);
  }

  /** A `smallint` field. */
  int2(value: number): void {
    this.fixed(2);
    this.at = this.piece.writeInt16BE(value, this.at);
  }

  /** An `integer` field. */
  int4(value: number): void {
    this.fixed(4);
    this.at = this.piece.writeInt32BE(value, this.at);
  }

  /** A `bigint` field from decimal text of a value in its range. */
  int8(text: string): void {
    // Up to 15 digits a double holds the value exactly; longer ones take a bigint.
    if (text.length <= 15) this.int8OfSafe(Number(text));
    else this.int8OfBig(BigInt(text));
  }

  /** A `double precision` field. */
  float8(value: number): void {
    this.fixed(8);
    this.at = this.piece.writeDoubleBE(value, this.at);
  }

  /** A `boolean` field. */
  bool(value: boolean): void {
    this.fixed(1);
    this.piece[this.at] = value ? 1 : 0;
    this.at += 1;
  }

  /** A field of bytes given in hexadecimal (`bytea`'s, `uuid`'s 16). */
  hexBytes(hex: string): void {
    const bytes = hex.length >>> 1;
    this.fixed(bytes);
    this.at += this.piece.write(hex, this.at, bytes, "hex");
  }

  /**
   * A `timestamptz` or `timestamp` field at whole Unix seconds (a cluster time's, a date's) and
   * the microseconds after them: microseconds since 2000-01-01 00:00 (UTC). Dates centuries from
   * then pass 2^53 microseconds, and take a bigint.
   */
  timestamp(unixSeconds: number, micros = 0): void {
    const seconds = unixSeconds - POSTGRES_EPOCH_SECONDS;
    const total = seconds * 1_000_000 + micros;
    if (Number.isSafeInteger(total)) this.int8OfSafe(total);
    else this.int8OfBig(BigInt(seconds) * 1_000_000n + BigInt(micros));
  }

  /** A `date` field at a Unix day (days since 1970-01-01): days since 2000-01-01. */
  date(unixDays: number): void {
    this.int4(unixDays - POSTGRES_EPOCH_DAYS);
  }

  /**
   * A `numeric` field from plain decimal text (`-12.50`, `0.001`, `NaN`): base-10000 digits, the
   * weight of the first, the sign and the digits after the point as written (`numeric_recv`, in
   * PostgreSQL's src/backend/utils/adt/numeric.c, applies the column's `(p,s)` as the input does).
   */
  numeric(text: string): void {
    if (text === "NaN") {
      this.fixed(8);
      this.at = this.piece.writeUInt16BE(0, this.at);
      this.at = this.piece.writeInt16BE(0, this.at);
      this.at = this.piece.writeUInt16BE(NUMERIC_NAN, this.at);
      this.at = this.piece.writeUInt16BE(0, this.at);
      return;
    }
    const negative = text.charCodeAt(0) === MINUS;
    const start = negative ? 1 : 0;
    const point = text.indexOf(".", start);
    const whole = point < 0 ? text.length : point;
    const scale = point < 0 ? 0 : text.length - point - 1;
    // Groups of four digits, aligned on the point: the first may hold fewer before it, the last after it.
    const lead = (4 - ((whole - start) % 4)) % 4;
    const groups = this.numericGroups(Math.ceil((lead + whole - start + scale) / 4));
    let count = 0;
    let group = 0;
    let filled = lead;
    for (let index = start; index < text.length; index += 1) {
      if (index === whole) continue;
      group = group * 10 + text.charCodeAt(index) - ZERO;
      filled += 1;
      if (filled === 4) {
        groups[count++] = group;
        group = 0;
        filled = 0;
      }
    }
    if (filled > 0) groups[count++] = group * 10 ** (4 - filled);
    let weight = (whole - start + lead) / 4 - 1;
    // Zero groups at either end carry nothing (PostgreSQL strips them too); a zero has no digits.
    let first = 0;
    while (first < count && groups[first] === 0) {
      first += 1;
      weight -= 1;
    }
    let end = count;
    while (end > first && groups[end - 1] === 0) end -= 1;
    const digits = end - first;
    this.fixed(8 + 2 * digits);
    this.at = this.piece.writeUInt16BE(digits, this.at);
    this.at = this.piece.writeInt16BE(digits === 0 ? 0 : weight, this.at);
    this.at = this.piece.writeUInt16BE(negative && digits > 0 ? NUMERIC_NEG : NUMERIC_POS, this.at);
    this.at = this.piece.writeUInt16BE(scale, this.at);
    for (let index = first; index < end; index += 1) this.at = this.piece.writeUInt16BE(groups[index] as number, this.at);
  }

  /**
   * A one-dimensional array field of elements of the type `elementOid`, each written by `element`
   * (a field of this writer), a null one as NULL; an empty array has no dimension. At most
   * `maxBytes` bytes are written for the elements, their fields' lengths included: the array is
   * written in one piece, its length filled in after. The bound is reserved whole (three bytes per
   * character of text), so a very large array takes a piece up to three times its size.
   */
  array<T>(elementOid: number, elements: readonly (T | null)[], hasNull: boolean, maxBytes: number, element: (value: T, out: BinaryCopyWriter) => void): void {
    this.reserve(24 + maxBytes);
    const start = this.at;
    const count = elements.length;
    this.at += 4;
    this.at = this.piece.writeInt32BE(count === 0 ? 0 : 1, this.at);
    this.at = this.piece.writeInt32BE(hasNull ? 1 : 0, this.at);
    this.at = this.piece.writeInt32BE(elementOid, this.at);
    if (count > 0) {
      this.at = this.piece.writeInt32BE(count, this.at);
      this.at = this.piece.writeInt32BE(1, this.at);
    }
    const piece = this.piece;
    for (let index = 0; index < count; index += 1) {
      const value = elements[index] as T | null;
      if (value === null) this.null();
      else element(value, this);
    }
    if (piece !== this.piece) throw new Error("BinaryCopyWriter: an array's elements took more than the bytes reserved for them");
    piece.writeInt32BE(this.at - start - 4, start);
  }

  /** The pieces filled since the last call, to be sent in order. */
  filled(): readonly Buffer[] {
    if (this.ready.length === 0) return NONE;
    const pieces = this.ready;
    this.ready = [];
    return pieces;
  }

  /** Every piece not sent yet, in order, the trailer at the end of the last. Called once, after the last row. */
  end(): readonly Buffer[] {
    this.reserve(TRAILER.length);
    this.at += TRAILER.copy(this.piece, this.at);
    this.ready.push(this.piece.subarray(0, this.at));
    return this.filled();
  }

  /** Room for `count` base-10000 digits of a numeric, reused from one value to the next. */
  private numericGroups(count: number): Uint16Array {
    if (this.groups.length < count) this.groups = new Uint16Array(Math.max(count, 2 * this.groups.length));
    return this.groups;
  }

  /** Starts a field of `bytes` bytes: room for them, and its length. */
  private fixed(bytes: number): void {
    this.reserve(4 + bytes);
    this.at = this.piece.writeInt32BE(bytes, this.at);
  }

  /** An 8-byte integer field of a safe integer: its two halves, without a bigint. */
  private int8OfSafe(value: number): void {
    const high = Math.floor(value / TWO_TO_32);
    this.fixed(8);
    this.at = this.piece.writeInt32BE(high, this.at);
    this.at = this.piece.writeUInt32BE(value - high * TWO_TO_32, this.at);
  }

  /** An 8-byte integer field of any 64-bit value. */
  private int8OfBig(value: bigint): void {
    this.fixed(8);
    this.at = this.piece.writeBigInt64BE(value, this.at);
  }

  /** A field of a string's UTF-8 bytes, after a `prefix` byte when there is one. */
  private utf8(value: string, prefix: number | undefined): void {
    const head = prefix === undefined ? 4 : 5;
    // Three bytes per UTF-16 unit at most (a lone surrogate too: it is written as U+FFFD). The
    // exact length is counted only when that bound does not fit in what is left of the piece.
    const bound = value.length * 3;
    if (this.at + head + bound > this.piece.length) this.reserve(head + Buffer.byteLength(value));
    const start = this.at;
    if (prefix !== undefined) this.piece[start + 4] = prefix;
    const bytes = value.length <= SHORT_TEXT ? this.ascii(value, start + head) : -1;
    const written = bytes >= 0 ? bytes : this.piece.write(value, start + head);
    this.piece.writeInt32BE(head - 4 + written, start);
    this.at = start + head + written;
  }

  /**
   * Writes a short string that is all ASCII byte by byte, and returns its length; -1 (nothing
   * written that counts) at its first other character. A call into Buffer's UTF-8 writer costs
   * 50–60 ns whatever the length; this loop 10 ns for 5 characters, 50 for 24 and 140 for 64
   * (docs/benchmarks.md, sixteenth pass).
   */
  private ascii(value: string, at: number): number {
    const piece = this.piece;
    for (let index = 0; index < value.length; index += 1) {
      const char = value.charCodeAt(index);
      if (char >= 0x80) return -1;
      piece[at + index] = char;
    }
    return value.length;
  }

  /** Room for `bytes` more: when the piece has not, it is ready to send and a large enough one is started. */
  private reserve(bytes: number): void {
    if (this.at + bytes <= this.piece.length) return;
    this.ready.push(this.piece.subarray(0, this.at));
    this.piece = Buffer.allocUnsafe(Math.max(PIECE_BYTES, bytes));
    this.at = 0;
  }
}

/**
 * The pieces of `items`, each written by `write` (which may write nothing for one), handed out as
 * they fill: what a `COPY … FROM STDIN (FORMAT binary)` of them reads as they are made.
 */
export function* binaryPieces<T>(items: Iterable<T>, write: (item: T, out: BinaryCopyWriter) => void): Generator<Buffer> {
  const out = new BinaryCopyWriter();
  for (const item of items) {
    write(item, out);
    yield* out.filled();
  }
  yield* out.end();
}

/**
 * `COPY <destination> FROM STDIN (FORMAT binary)` of the pieces (a {@link BinaryCopyWriter}'s),
 * read as they are sent; returns the rows PostgreSQL inserted (see {@link copyFromStdin}).
 */
export async function copyBinary(client: ClientBase, destination: string, pieces: Iterable<Buffer>): Promise<number> {
  try {
    return await copyFromStdin(client, destination, BINARY_COPY_OPTIONS, pieces);
  } catch (error) {
    throw unreadableField(error) ?? error;
  }
}

/**
 * A field PostgreSQL could not read as its column's type: the column's type is not the one
 * written (a table changed after the sink checked it), or the writer wrote it wrongly. PostgreSQL
 * reports a field cut short with SQLSTATE 08P01, protocol_violation, which reads as a connection
 * problem to be waited out; here it is the data, and trying again cannot help. Recognised by
 * PostgreSQL's context line, which names the COPY, the line and the column. Only 08P01: another
 * code of its class with that context line (08001 from a foreign table behind postgres_fdw) is a
 * connection's after all.
 */
function unreadableField(error: unknown): TributaryError | undefined {
  const { code, message, where } = (error ?? {}) as { code?: unknown; message?: unknown; where?: unknown };
  if (code !== PROTOCOL_VIOLATION || typeof where !== "string" || !where.startsWith("COPY ")) return undefined;
  return new TributaryError(
    ErrorCode.PostgresApplyFailed,
    `${String(message)} (${where}): that column does not have the type Tributary writes there, or Tributary wrote it wrongly (SQLSTATE ${code}, not a connection problem); was it altered while the sync ran? The next start checks the tables again and says what to change`,
    { cause: error },
  );
}
