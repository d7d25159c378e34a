import { performance } from "node:perf_hooks";
import { MongoClient, type ChangeStreamDocument, type Document } from "mongodb";
import { validateConfig } from "../src/config/load-config.js";
import { silentLogger } from "../src/core/logger.js";
import { runSync } from "../src/runtime/sync-runner.js";
import { splitNamespace } from "../src/core/change-event.js";
import { percentile } from "./percentile.js";
import type { Measured } from "./snapshot-scenarios.js";

/**
 * The streaming baseline: one change stream on the collection with `fullDocument:
 * "updateLookup"` (what Tributary asks for without post-images), counting changes until
 * `events` have arrived, nothing else. `ready` is called once the stream is open on the server,
 * so that no write made after it is missed. The lag of each change is its arrival time minus
 * the `writtenAt` date its writer put in the document.
 */
export async function readChanges(mongoUri: string, namespace: string, events: number, ready: () => void): Promise<Measured> {
  const client = new MongoClient(mongoUri);
  await client.connect();
  try {
    const { db, coll } = splitNamespace(namespace);
    const stream = client.db(db).collection(coll).watch([], { fullDocument: "updateLookup" });
    try {
      const lags: number[] = [];
      let received = 0;
      let firstEventAt = 0;
      let lastEventAt = 0;
      const take = (change: ChangeStreamDocument<Document>): void => {
        const now = Date.now();
        received += 1;
        if (received === 1) firstEventAt = now;
        lastEventAt = now;
        const writtenAt = "fullDocument" in change ? (change.fullDocument as Document | null | undefined)?.writtenAt : undefined;
        if (writtenAt instanceof Date) lags.push(now - writtenAt.getTime());
      };
      // The aggregate is sent with the first request: once it returns, the stream is open.
      const first = await stream.tryNext();
      if (first) take(first);
      ready();
      const started = performance.now();
      while (received < events) take(await stream.next());
      lags.sort((a, b) => a - b);
      return {
        seconds: (performance.now() - started) / 1000,
        items: received,
        detail: { firstEventAt, lastEventAt, lagP50: percentile(lags, 0.5), lagP99: percentile(lags, 0.99), lagMax: lags.at(-1) ?? 0 },
      };
    } finally {
      await stream.close();
    }
  } finally {
    await client.close();
  }
}

/**
 * Tributary's sync as `tributary sync` runs it (raw mode, no snapshot, default batching), from
 * the current time, until `signal` aborts. The parent knows it is streaming once the pipeline's
 * first position is stored.
 */
export async function syncChanges(url: string, mongoUri: string, namespace: string, pipeline: string, signal: AbortSignal): Promise<Measured> {
  const config = validateConfig({ name: pipeline, source: { uri: mongoUri, include: [namespace] }, target: { url }, snapshot: { mode: "never" }, log: { level: "silent" } });
  const started = performance.now();
  const stats = await runSync(config, silentLogger(), signal);
  return { seconds: (performance.now() - started) / 1000, items: stats.changes, detail: { batches: stats.batches } };
}
