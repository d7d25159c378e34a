/** The generated documents a scenario works on (see `DocumentGenerator`). */
export interface GeneratedSet {
  readonly docs: number;
  readonly size: number;
  readonly distinct: number;
}

/** How Tributary writes in a run: raw (`_id`, `doc jsonb`), relational with the bench's mapping file, or relational with an inferred mapping. */
export type WriteMode = "raw" | "mapping" | "inferred";

/** The letter a write mode adds to a row's tag (`b'R1`, `m2SI`), and its name in a row's description. */
export const WRITE_MODE_TAG: Record<WriteMode, string> = { raw: "", mapping: "R", inferred: "I" };
export const WRITE_MODE_NAME: Record<WriteMode, string> = { raw: "raw", mapping: "mapping file", inferred: "inferred mapping" };

/** One measured run, done in a child process of its own so that its peak RSS is its own. */
export type Scenario =
  /** Generated documents read through the snapshot source, written nowhere: the source's own cost. */
  | ({ readonly kind: "generated-read" } & GeneratedSet)
  /** Generated documents → bare COPY (the snapshot-write baseline). */
  | ({ readonly kind: "generated-copy"; readonly url: string } & GeneratedSet)
  /** Generated documents → `runSnapshot` → the PostgreSQL sink's snapshot target, raw mode (or `mode`). */
  | ({ readonly kind: "generated-snapshot"; readonly url: string; readonly parallelism: number; readonly mode?: WriteMode; readonly liveHeap?: boolean } & GeneratedSet)
  /** Generated documents' parent and child rows, encoded before the clock → one COPY per table (the relational snapshot's bare baseline). */
  | ({ readonly kind: "generated-relational-copy"; readonly url: string } & GeneratedSet)
  /** Generated documents → the peer's dump: row-at-a-time upserts into the mapped tables, a commit every 1000. */
  | ({ readonly kind: "generated-peer-dump"; readonly url: string } & GeneratedSet)
  /** Generated documents copied by the snapshot (untimed), then `tributary verify` of that copy (timed). */
  | ({ readonly kind: "generated-verify"; readonly url: string; readonly parallelism: number } & GeneratedSet)
  /** One `find()` cursor → bare COPY (the MongoDB snapshot baseline). */
  | { readonly kind: "mongo-copy"; readonly url: string; readonly mongoUri: string; readonly namespace: string }
  /** `runSnapshot` with the MongoDB source → the PostgreSQL sink's snapshot target, raw mode. */
  | { readonly kind: "mongo-snapshot"; readonly url: string; readonly mongoUri: string; readonly namespace: string; readonly parallelism: number }
  /** A bare change stream reader counting `events` changes of one collection (the streaming baseline). */
  | { readonly kind: "change-reader"; readonly mongoUri: string; readonly namespace: string; readonly events: number }
  /** `runSync` (no snapshot) into PostgreSQL until told to stop. */
  | { readonly kind: "tributary-sync"; readonly url: string; readonly mongoUri: string; readonly namespace: string; readonly pipeline: string }
  /** Generated documents as insert events, made batch by batch (none held) → the PostgreSQL sink's streaming apply in batches of `batch`: its memory over a long stream. */
  | ({ readonly kind: "generated-apply"; readonly url: string; readonly mode: WriteMode; readonly batch: number; readonly liveHeap?: boolean } & GeneratedSet)
  /** The sink-apply bench: the same insert events through one way of applying them. */
  | { readonly kind: "sink-apply"; readonly url: string; readonly variant: SinkApplyVariant; readonly docs: number; readonly size: number; readonly batch: number }
  /** Insert events decoded from BSON through watch(), a `for await` body writing each to PostgreSQL, reading ahead or a single change ahead. */
  | { readonly kind: "watch"; readonly url: string; readonly docs: number; readonly size: number; readonly oneAhead: boolean };

export type SinkApplyVariant =
  | "baseline"
  | "baseline-relational"
  | "peer"
  | "raw"
  | "mapping"
  | "inferred"
  | "mapping-plain-role"
  | "mapping-pump-one-ahead"
  | "mapping-pump"
  | "baseline-replace"
  | "baseline-relational-replace"
  | "raw-replace"
  | "mapping-replace"
  | "inferred-replace"
  | "raw-single"
  | "mapping-single"
  | "mapping-single-burst";

/** What a child reports when its work is done. */
export interface ChildResult {
  /** Wall-clock seconds of the measured work (setup excluded). */
  readonly seconds: number;
  /** Documents or events the work handled. */
  readonly items: number;
  /** RSS once the modules were loaded, before any work (kilobytes). */
  readonly startRssKb: number;
  /** `process.resourceUsage().maxRSS` at the end (kilobytes). */
  readonly peakRssKb: number;
  /** Scenario-specific numbers (epoch milliseconds, lag percentiles, row counts). */
  readonly detail: Readonly<Record<string, number>>;
}

/** Messages from a child over the IPC channel. */
export type ChildMessage = { readonly type: "ready" } | { readonly type: "result"; readonly result: ChildResult };

/** Messages to a child over the IPC channel. */
export type ParentMessage = { readonly type: "stop" };
