import { Int32, ObjectId, type Document } from "mongodb";
import { silentLogger } from "../../src/core/logger.js";
import { makePosition } from "../../src/core/position.js";
import type { Verifiable } from "../../src/core/sink.js";
import type { PostgresSink, PostgresSinkOptions } from "../../src/sinks/postgres/postgres-sink.js";
import { snapshotEvents } from "../../src/snapshot/snapshot-events.js";
import { verifyCollection, type VerifySettings } from "../../src/verify/verify-collection.js";
import type { CollectionVerification } from "../../src/verify/verify-report.js";
import { tokenAt } from "./events.js";
import { makeSink } from "./postgres-sink-fixture.js";
import type { SyntheticSnapshotSource } from "./synthetic-snapshot-source.js";

/** Verify's tests: a PostgreSQL copy of a synthetic source, made as a sync makes it, and verify run on it. */
export const VERIFY_NS = "shop.orders";
export const VERIFY_TABLE = "public.shop_orders";
/** The cluster time (seconds) the copies are made at. */
export const COPIED_AT = 1_700_000_000;
export const VERIFY_SETTINGS: VerifySettings = { parallelism: 3, chunkSize: 50, rangeSize: 100, settleTimeoutMs: 200, pollMs: 20, repair: false };

const never = new AbortController().signal;

export type VerifiableSink = PostgresSink & { capabilities: { verifiable: Verifiable } };

export const oid = (n: number): ObjectId => new ObjectId(n.toString(16).padStart(24, "0"));

export function orders(count: number): Document[] {
  return Array.from({ length: count }, (_, n) => ({ _id: oid(n + 1), n: new Int32(n), item: `item-${n}`, tags: ["a", `t${n % 7}`], address: { city: n % 2 ? "Paris" : "Lyon" } }));
}

/** A sink holding a copy of the source's collections, made as a sync makes it: snapshot events, then a stored position. `sinks` collects it for closing. */
export async function copied(url: string, source: SyntheticSnapshotSource, sinks: PostgresSink[], options: Partial<PostgresSinkOptions> = {}): Promise<VerifiableSink> {
  const sink = makeSink(url, options);
  sinks.push(sink);
  await sink.open();
  for (const namespace of await source.listCollections()) {
    const docs: Document[] = [];
    for await (const chunk of source.readRange(namespace, {}, 1_000, never)) docs.push(...chunk);
    await sink.apply({ events: snapshotEvents(namespace, docs, makePosition(tokenAt(COPIED_AT, 1))) });
  }
  await sink.apply({ events: [], position: makePosition(tokenAt(COPIED_AT, 2)) });
  return sink as VerifiableSink;
}

export function verifyWith(source: SyntheticSnapshotSource, sink: VerifiableSink, settings: Partial<VerifySettings> = {}, namespace = VERIFY_NS): Promise<CollectionVerification> {
  return verifyCollection(namespace, { source, sink, settings: { ...VERIFY_SETTINGS, ...settings }, logger: silentLogger(), signal: never });
}

/** A verification's outcome in a form easy to compare: differences as sorted lines. */
export function summary(result: CollectionVerification): unknown {
  return {
    equal: result.equal,
    differences: result.differences.map((difference) => `${difference.kind} ${difference.key}${difference.path === undefined ? "" : ` at ${difference.path}`}`).sort(),
    expectedMissing: result.expectedMissing.map((each) => `${each.key}: ${each.reason}`),
  };
}
