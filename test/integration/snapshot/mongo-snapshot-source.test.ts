import { Binary, BSON, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, type Document } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { keyText } from "../../../src/codec/key-text.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";
import { compareBsonValues } from "../../../src/snapshot/bson-order.js";
import { MongoSnapshotSource } from "../../../src/source/mongo-snapshot-source.js";
import type { IdRange } from "../../../src/core/snapshot-contract.js";
import { connectMongo, LOSSLESS_BSON_OPTIONS, type MongoDeployment } from "../../../src/source/mongo-connection.js";
import { comparePositions, positionDate } from "../../../src/core/position.js";
import { failure } from "../../support/async-helpers.js";
import { describeWithMongo, requireMongo } from "../../support/requirements.js";

const DB = "snapshot_mongo_source_test";
const MIXED = `${DB}.mixed`;
const OBJECT_IDS = `${DB}.object_ids`;
const COLLATED = `${DB}.collated`;
const MISSING = `${DB}.missing`;

/** `_id`s of every type an `_id` can have, with numbers of every numeric type side by side. */
function mixedIds(): unknown[] {
  const ids: unknown[] = [new MinKey(), new MaxKey(), null];
  for (let i = 0; i < 40; i += 1) {
    ids.push(
      new ObjectId(i.toString(16).padStart(24, "0")),
      new Int32(i),
      new Double(i + 0.5),
      `key-${String(i).padStart(3, "0")}`,
      { a: new Int32(i) },
      new Date(Date.UTC(2024, 0, 1) + i * 86_400_000),
    );
  }
  ids.push(
    Long.fromBigInt(2n ** 53n + 1n),
    Long.fromBigInt(-(2n ** 40n)),
    Decimal128.fromString("1000.25"),
    new Double(-1e300),
    "Z",
    "a",
    "é",
    "",
    { a: "x", b: new Int32(1) },
    { b: new Int32(0) },
    true,
    false,
    new Binary(Buffer.from([1, 2, 3])),
    new Binary(Buffer.from([1]), 128),
    new Timestamp({ t: 1, i: 1 }),
  );
  return ids;
}

const never = new AbortController().signal;

describeWithMongo("MongoSnapshotSource", () => {
  let deployment: MongoDeployment;
  let source: MongoSnapshotSource;
  const inserted = new Map<string, Document[]>();

  beforeAll(async () => {
    deployment = await connectMongo(requireMongo().uri, { serverSelectionTimeoutMs: 10_000 });
    const db = deployment.client.db(DB);
    await db.dropDatabase();
    const mixed: Document[] = mixedIds().map((_id, n) => ({ _id, n: new Int32(n) }));
    const objectIds: Document[] = Array.from({ length: 500 }, (_, n) => ({ _id: new ObjectId(), n: new Int32(n) }));
    await db.createCollection("collated", { collation: { locale: "en", strength: 2 } });
    const collated: Document[] = Array.from({ length: 120 }, (_, n) => ({ _id: n % 3 === 0 ? new Int32(n) : n % 3 === 1 ? `${n % 2 === 0 ? "Word" : "word"}-${n}` : `Ünïcode-${n}`, n: new Int32(n) }));
    await db.collection("mixed").insertMany(mixed);
    await db.collection("object_ids").insertMany(objectIds);
    await db.collection("collated").insertMany(collated);
    await db.createCollection("a_view", { viewOn: "mixed", pipeline: [] });
    inserted.set(MIXED, mixed).set(OBJECT_IDS, objectIds).set(COLLATED, collated);
    source = new MongoSnapshotSource(deployment, { filter: new NamespaceFilter([`${DB}.*`], []), include: [`${DB}.*`] });
  });

  afterAll(async () => {
    if (!deployment) return;
    await deployment.client.db(DB).dropDatabase();
    await deployment.client.close();
  });

  async function readChunks(namespace: string, range: IdRange, chunkSize = 7, on: MongoSnapshotSource = source): Promise<Document[][]> {
    const chunks: Document[][] = [];
    for await (const chunk of on.readRange(namespace, range, chunkSize, never)) chunks.push(chunk);
    return chunks;
  }

  async function read(namespace: string, range: IdRange): Promise<Document[]> {
    return (await readChunks(namespace, range)).flat();
  }

  const keys = (docs: readonly Document[]): string[] => docs.map((doc) => keyText(doc._id));

  /**
   * Checks that documents come in increasing `_id` order: BSON order (compareBsonValues), except
   * that the server orders strings by a collection's collation, not by their bytes; for a collated
   * collection the order is the server's own, `find().sort({ _id: 1 })` under its collation.
   */
  async function expectIncreasing(docs: readonly Document[], namespace: string): Promise<void> {
    const rank = namespace === COLLATED ? await serverOrder(namespace) : undefined;
    const compare = (a: unknown, b: unknown): number => (rank ? rank(a) - rank(b) : compareBsonValues(a, b));
    for (let i = 1; i < docs.length; i += 1) {
      if (compare(docs[i - 1]?._id, docs[i]?._id) >= 0) expect.fail(`_id ${keyText(docs[i - 1]?._id)} is read before ${keyText(docs[i]?._id)}`);
    }
  }

  async function serverOrder(namespace: string): Promise<(id: unknown) => number> {
    const coll = namespace.slice(DB.length + 1);
    const sorted = await deployment.client.db(DB).collection(coll).find({}, { projection: { _id: 1 }, sort: { _id: 1 }, ...LOSSLESS_BSON_OPTIONS }).toArray();
    const ranks = new Map(sorted.map((doc, index) => [keyText(doc._id), index]));
    return (id) => ranks.get(keyText(id)) ?? expect.fail(`_id ${keyText(id)} is not in ${namespace}`);
  }

  it("lists the included collections, not views", async () => {
    const listed = (await source.listCollections()).filter((namespace) => namespace.startsWith(`${DB}.`));
    expect(listed).toEqual([COLLATED, MIXED, OBJECT_IDS]);
  });

  it("reads a whole collection in _id order, in MongoDB's order across types, the same order compareBsonValues gives", async () => {
    const chunks = await readChunks(MIXED, {});
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(7);
    const docs = chunks.flat();
    expect(docs).toHaveLength(inserted.get(MIXED)?.length ?? -1);
    await expectIncreasing(docs, MIXED);
    expect(docs[0]?._id).toBeInstanceOf(MinKey);
    expect(docs.at(-1)?._id).toBeInstanceOf(MaxKey);
    // Lossless: an Int32 stays an Int32, a Double with an integral value stays a Double.
    expect(docs.find((doc) => keyText(doc._id) === "5")?._id).toEqual(new Int32(5));
    expect(docs.find((doc) => keyText(doc._id) === "5.5")?._id).toEqual(new Double(5.5));
  });

  it.each([MIXED, OBJECT_IDS, COLLATED])("plans ranges of %s that together hold every document exactly once", async (namespace) => {
    const ranges = await source.planRanges(namespace, 8);
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges.length).toBeLessThanOrEqual(8);
    expect(ranges[0]?.lower).toBeUndefined();
    expect(ranges.at(-1)?.upper).toBeUndefined();
    const all: Document[] = [];
    for (const range of ranges) {
      const docs = await read(namespace, range);
      await expectIncreasing(docs, namespace);
      all.push(...docs);
    }
    const expected = keys(inserted.get(namespace) ?? []).sort();
    expect(keys(all).sort()).toEqual(expected);
    expect(new Set(keys(all)).size).toBe(all.length);
  });

  it("splits a collection with a collation at strings too, in the server's collation order", async () => {
    const ranges = await source.planRanges(COLLATED, 8);
    const bounds = ranges.flatMap((range) => (range.upper === undefined ? [] : [range.upper]));
    expect(bounds.some((bound) => typeof bound === "string")).toBe(true);
    // Each bound comes after the one before it in the server's order (min/max are read with the index's collation).
    const rank = await serverOrder(COLLATED);
    for (let i = 1; i < bounds.length; i += 1) expect(rank(bounds[i])).toBeGreaterThan(rank(bounds[i - 1]));
  });

  it("reads a range between any two _ids, whatever their types: lower inclusive, upper exclusive", async () => {
    const full = await read(MIXED, {});
    const bounds: [number, number][] = [
      [1, 30],
      [20, 41],
      [45, 130],
      [100, 101],
      [150, full.length - 2],
    ];
    for (const [from, to] of bounds) {
      const docs = await read(MIXED, { lower: full[from]?._id, upper: full[to]?._id });
      expect(keys(docs)).toEqual(keys(full.slice(from, to)));
    }
    expect(keys(await read(MIXED, { upper: full[10]?._id }))).toEqual(keys(full.slice(0, 10)));
    expect(keys(await read(MIXED, { lower: full[200]?._id }))).toEqual(keys(full.slice(200)));
  });

  it("resumes a range from its last committed _id, inclusive", async () => {
    for (const namespace of [MIXED, COLLATED]) {
      const full = await read(namespace, {});
      const [first] = await readChunks(namespace, {});
      const last = first?.at(-1)?._id;
      expect(keys(await read(namespace, { lower: last }))).toEqual(keys(full.slice((first?.length ?? 0) - 1)));
      // Resuming from a string under the collection's collation (or bytes without one).
      const at = full.findIndex((doc, index) => index > 30 && typeof doc._id === "string");
      expect(keys(await read(namespace, { lower: full[at]?._id }))).toEqual(keys(full.slice(at)));
    }
  });

  it("reads the document whose _id is MaxKey in the last range, and a range from MaxKey itself", async () => {
    const full = await read(MIXED, {});
    expect(keys(await read(MIXED, { lower: full[5]?._id }))).toContain(keyText(new MaxKey()));
    expect(keys(await read(MIXED, { lower: new MaxKey() }))).toEqual([keyText(new MaxKey())]);
    expect(await read(MIXED, { lower: new MaxKey(), upper: new MaxKey() })).toEqual([]);
  });

  it("stops reading when the caller leaves, so a range can be left part way", async () => {
    let seen = 0;
    for await (const chunk of source.readRange(OBJECT_IDS, {}, 50, never)) {
      seen += chunk.length;
      if (seen >= 100) break;
    }
    expect(seen).toBe(100);
    const controller = new AbortController();
    const chunks: Document[][] = [];
    for await (const chunk of source.readRange(OBJECT_IDS, {}, 50, controller.signal)) {
      chunks.push(chunk);
      controller.abort();
    }
    expect(chunks).toHaveLength(1);
  });

  it("ends a chunk where the server's batch of 16 MiB ended, so large documents make small chunks", async () => {
    // A database of its own, emptied first (a run cut short on a shared server leaves it behind).
    await deployment.client.db(`${DB}_large`).dropDatabase();
    const large = deployment.client.db(`${DB}_large`).collection<{ _id: Int32; body: string }>("large");
    const body = "x".repeat(1_500_000);
    await large.insertMany(Array.from({ length: 40 }, (_, n) => ({ _id: new Int32(n), body })));
    try {
      const chunks: Document[][] = [];
      for await (const chunk of source.readRange(`${DB}_large.large`, {}, 2_000, never)) chunks.push(chunk);
      expect(chunks.flat().map((document) => Number(document._id))).toEqual(Array.from({ length: 40 }, (_, n) => n));
      expect(chunks.length).toBeGreaterThanOrEqual(4);
      for (const chunk of chunks) expect(chunk.reduce((bytes, document) => bytes + BSON.calculateObjectSize(document), 0)).toBeLessThanOrEqual(16 * 1024 * 1024);
      // A chunk size below what fits in a batch still counts.
      const small: number[] = [];
      for await (const chunk of source.readRange(`${DB}_large.large`, {}, 3, never)) small.push(chunk.length);
      expect(small).toEqual([...Array.from({ length: 13 }, () => 3), 1]);
    } finally {
      await deployment.client.db(`${DB}_large`).dropDatabase();
    }
  });

  it("estimates a collection's size from its metadata", async () => {
    expect(await source.estimateCount(OBJECT_IDS)).toBe(500);
    expect(await source.estimateCount(MIXED)).toBe(inserted.get(MIXED)?.length);
  });

  it("plans one range without sampling when one is asked for, and samples as configured", async () => {
    expect(await source.planRanges(OBJECT_IDS, 1)).toEqual([{}]);
    const sparse = new MongoSnapshotSource(deployment, { filter: new NamespaceFilter([`${DB}.*`], []), include: [`${DB}.*`], sampleSize: 3 });
    const ranges = await sparse.planRanges(OBJECT_IDS, 8);
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges.length).toBeLessThanOrEqual(3);
  });

  it("fixes a start position at the current time", async () => {
    const before = Date.now();
    const first = await source.startPosition();
    const second = await source.startPosition();
    expect(Math.abs(positionDate(first).getTime() - before)).toBeLessThan(60_000);
    expect(comparePositions(first, second)).toBeLessThanOrEqual(0);
  });

  it("reads a missing collection as empty", async () => {
    expect(await source.estimateCount(MISSING)).toBe(0);
    expect(await source.planRanges(MISSING, 8)).toEqual([{}]);
    expect(await readChunks(MISSING, {})).toEqual([]);
    expect(await readChunks(MISSING, { lower: new Int32(1), upper: "z" })).toEqual([]);
  });

  it("reports a failed read as a snapshot failure naming the collection and the range", async () => {
    // A lower bound above the upper one: MongoDB refuses the index bounds.
    const error = await failure(readChunks(MIXED, { lower: new Int32(10), upper: new Int32(5) }));
    expect(error.code).toBe(ErrorCode.SnapshotFailed);
    expect(error.context).toMatchObject({ namespace: MIXED, range: "[10, 5)" });
    expect(error.message).toContain(`Snapshot of ${MIXED} failed while reading _id range [10, 5) on MongoDB at `);
  });
});
