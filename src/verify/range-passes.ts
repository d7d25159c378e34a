import type { ExpectedFingerprint, Verifiable } from "../core/sink.js";
import type { IdRange } from "../core/snapshot-contract.js";
import { runParallel } from "../snapshot/run-parallel.js";
import { rangeIndexOf } from "./range-lookup.js";
import { RangeTally } from "./range-tally.js";
import type { VerifySource } from "./verify-source.js";

/** How a collection is read: the snapshot's settings, with verify's own cap on the chunk size (see verifyCollection). */
export interface PassSettings {
  readonly parallelism: number;
  readonly chunkSize: number;
  /** Source documents held at once while matching differing segments key by key (default 200,000). */
  readonly maxHeldWhileNarrowing?: number;
  /** Differing segments of at most this many documents (on either side) are matched key by key; larger ones are split (default 1,000). */
  readonly narrowTo?: number;
}

export interface PassContext {
  readonly namespace: string;
  readonly source: VerifySource;
  readonly verifiable: Verifiable;
  readonly settings: PassSettings;
  readonly signal: AbortSignal;
  /** Called as each source range has been read, with its documents. */
  readonly onRange?: (documents: number) => void;
}

/** The tally of a rejected document: it differs from every held one, so its range is narrowed and the document classified. */
export function tallied(expected: ExpectedFingerprint): string {
  return "rejected" in expected ? `\u0000rejected:${expected.key}` : expected.canonical;
}

/**
 * Tallies the chosen ranges on the source side: each range read as the snapshot reads it
 * (`parallelism` at once, in chunks), each document fingerprinted as the target would hold it.
 * Memory holds one chunk per range in flight.
 */
export async function tallySource(ranges: readonly IdRange[], chosen: readonly number[], context: PassContext): Promise<Map<number, RangeTally>> {
  const tallies = new Map(chosen.map((index) => [index, new RangeTally()]));
  await runParallel(
    chosen,
    context.settings.parallelism,
    async (index, signal) => {
      const tally = tallies.get(index) as RangeTally;
      for await (const chunk of context.source.readRange(context.namespace, ranges[index] as IdRange, context.settings.chunkSize, signal)) {
        for (const expected of await context.verifiable.expected(context.namespace, chunk)) tally.add(tallied(expected));
      }
      context.onRange?.(tally.count);
    },
    context.signal,
  );
  return tallies;
}

/** Tallies what the target holds, each document into the range its `_id` falls in (one streamed scan). */
export async function tallyHeld(ranges: readonly IdRange[], chosen: readonly number[], context: PassContext): Promise<Map<number, RangeTally>> {
  const tallies = new Map(chosen.map((index) => [index, new RangeTally()]));
  for await (const chunk of context.verifiable.held(context.namespace, context.settings.chunkSize, context.signal)) {
    for (const held of chunk) tallies.get(rangeIndexOf(ranges, held.id))?.add(held.canonical);
  }
  return tallies;
}
