// ChangeStreamSource's own decisions, driven through a scripted stand-in for the driver's
// ChangeStream object (tryNext, resumeToken, close): what the source opens the next stream with
// and what it hands on. The server replies in the scripts (split fragments, error codes and
// messages) are shaped as the server sends them; whether a real server sends them is for the
// real-server tests in test/integration/sync/stream-fidelity.test.ts.
import { Binary, Int32, MongoServerError, Timestamp, type Document, type MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import type { SourceItem } from "../../../src/core/change-event.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { makePosition } from "../../../src/core/position.js";
import { observeRetries, type RetryTaken } from "../../../src/core/retry-observer.js";
import type { MongoDeployment } from "../../../src/source/mongo-connection.js";
import { ChangeStreamSource } from "../../../src/source/change-stream-source.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { tokenAt } from "../../support/events.js";

type Step = Document | null | Error;

interface Opened {
  readonly pipeline: Document[];
  readonly options: Document;
}

/** A client whose every `watch` plays the next script, step by step, then waits (returns null). */
function scriptedClient(scripts: Step[][]): { client: MongoClient; opened: Opened[] } {
  const opened: Opened[] = [];
  const client = {
    watch(pipeline: Document[], options: Document) {
      opened.push({ pipeline, options });
      const steps = [...(scripts.shift() ?? [])];
      let resumeToken: unknown = options.startAfter;
      return {
        get resumeToken() {
          return resumeToken;
        },
        tryNext(): Promise<Document | null> {
          const step = steps.shift() ?? null;
          if (step instanceof Error) return Promise.reject(step);
          if (step !== null) resumeToken = step._id;
          return Promise.resolve(step);
        },
        close: () => Promise.resolve(),
      };
    },
  };
  return { client: client as unknown as MongoClient, opened };
}

function deployment(client: MongoClient, version: string): MongoDeployment {
  return { client, where: "mongodb://db:27017", version, featureVersion: version, supportsExpandedEvents: true };
}

/** Reads items until `count` arrived, or the source throws. */
async function take(source: ChangeStreamSource, count: number): Promise<SourceItem[]> {
  const controller = new AbortController();
  const items: SourceItem[] = [];
  for await (const item of source.items(controller.signal)) {
    items.push(item);
    if (items.length >= count) break;
  }
  return items;
}

const serverError = (code: number, codeName: string, errmsg: string): MongoServerError => new MongoServerError({ ok: 0, code, codeName, errmsg });
const options = (overrides: Partial<ConstructorParameters<typeof ChangeStreamSource>[1]> = {}) => ({
  scope: { kind: "deployment" } as const,
  fullDocument: "updateLookup" as const,
  maxAwaitTimeMs: 10,
  retry: { initialDelayMs: 1, maxDelayMs: 2 },
  logger: capturingLogger().logger,
  ...overrides,
});

const token = (i: number, fragment?: number): { _data: string } => ({ _data: `${tokenAt(1_700_000_000, i)._data}${fragment === undefined ? "" : `2B${(fragment * 2).toString(16).padStart(2, "0")}`}04` });

describe("ChangeStreamSource", () => {
  it("adds $changeStreamSplitLargeEvent last where the server has it, and hands on a split event whole at its last fragment's token", async () => {
    const of = new Int32(2);
    const { client, opened } = scriptedClient([
      [
        { _id: token(3, 0), splitEvent: { fragment: new Int32(1), of }, operationType: "update", clusterTime: new Timestamp({ t: 1_700_000_000, i: 3 }), ns: { db: "shop", coll: "orders" }, documentKey: { _id: 7 } },
        { _id: token(3, 1), splitEvent: { fragment: new Int32(2), of }, fullDocument: { _id: 7, big: "…" } },
        null,
      ],
    ]);
    const source = new ChangeStreamSource(deployment(client, "7.0.12"), options({ pipeline: [{ $match: { "ns.db": "shop" } }] }));
    const items = await take(source, 2);
    expect(opened[0]?.pipeline).toEqual([{ $match: { "ns.db": "shop" } }, { $changeStreamSplitLargeEvent: {} }]);
    expect(items.map((item) => item.kind)).toEqual(["event", "caughtUp"]);
    const event = items[0]?.kind === "event" ? items[0].event : undefined;
    expect(event?.doc).toEqual({ _id: 7, big: "…" });
    expect(event?.position.resumeToken).toEqual(token(3, 1));
    // Decoding that does not stop on a string that is not UTF-8.
    expect(opened[0]?.options.enableUtf8Validation).toBe(false);
  });

  it("leaves the stage out where the server has no such stage", async () => {
    const { client, opened } = scriptedClient([[null]]);
    await take(new ChangeStreamSource(deployment(client, "6.0.8"), options()), 1);
    expect(opened[0]?.pipeline).toEqual([]);
  });

  it("tells the retry observer of each reopening after a resumable error, as the change stream component", async () => {
    // Code 91 with the label a 4.4+ server attaches to errors a change stream resumes after.
    const shuttingDown = new MongoServerError({ ok: 0, code: 91, codeName: "ShutdownInProgress", errmsg: "The server is in quiesce mode and will shut down", errorLabels: ["ResumableChangeStreamError"] });
    const { client, opened } = scriptedClient([[shuttingDown], [shuttingDown], [null]]);
    const told: RetryTaken[] = [];
    const items = await observeRetries(
      (retry) => told.push(retry),
      () => take(new ChangeStreamSource(deployment(client, "7.0.12"), options()), 1),
    );
    expect(items.map((item) => item.kind)).toEqual(["caughtUp"]);
    expect(opened).toHaveLength(3);
    expect(told).toEqual([
      { component: "change stream", kind: "transient" },
      { component: "change stream", kind: "transient" },
    ]);
  });

  it("starts at the stored position's cluster time, with a warning, when the server does not find its token in the stream", async () => {
    const { logger, lines } = capturingLogger();
    const stored = makePosition(tokenAt(1_700_000_100, 4));
    const notFound = serverError(280, "ChangeStreamFatalError", `cannot resume stream; the resume token was not found. {_data: "${stored.resumeToken._data}"}`);
    const { client, opened } = scriptedClient([[notFound], [null]]);
    const items = await take(new ChangeStreamSource(deployment(client, "7.0.12"), options({ resumeFrom: stored, logger })), 1);
    expect(items.map((item) => item.kind)).toEqual(["caughtUp"]);
    expect(opened[0]?.options.startAfter).toEqual(stored.resumeToken);
    expect(opened[1]?.options.startAfter).toBeUndefined();
    expect(opened[1]?.options.startAtOperationTime).toEqual(new Timestamp({ t: 1_700_000_100, i: 4 }));
    expect(lines.filter((line) => line.level === 40).map((line) => line.clusterTime)).toEqual(["Timestamp(1700000100, 4)"]);
  });

  it("stops at an event over 16 MB the server cannot split, naming its namespace and key from a projected probe", async () => {
    const tooLarge = serverError(10334, "BSONObjectTooLarge", "BSONObj size: 18874832 (0x1200030) is invalid. Size must be between 0 and 16793600(16MB) First element: _id: { _data: \"8265…\" }");
    const probe = { _id: token(5), operationType: "update", ns: { db: "shop", coll: "orders" }, documentKey: { _id: "big" } };
    const { client, opened } = scriptedClient([[tooLarge], [probe]]);
    const source = new ChangeStreamSource(deployment(client, "6.0.8"), options({ fullDocumentBeforeChange: "required" }));
    const error = await take(source, 1).then(
      () => undefined,
      (caught: unknown) => caught as { code?: string; message?: string },
    );
    expect(error?.code).toBe(ErrorCode.ChangeStreamFailed);
    expect(error?.message).toContain('The update event of shop.orders for document key {"_id":"big"} is over MongoDB\'s 16 MB limit, and MongoDB 6.0.8 cannot split it');
    expect(error?.message).toContain('set source.fullDocumentBeforeChange to "off"');
    expect(opened[1]?.pipeline.at(-1)).toEqual({ $project: { operationType: 1, ns: 1, documentKey: 1, clusterTime: 1 } });
    expect(opened[1]?.options.fullDocumentBeforeChange).toBe("required");
  });

  it("with fullDocument off asks for no lookup and hands on an update as the server sends it then: the delta, no document", async () => {
    // Without the option the server adds no fullDocument field to an update (it keeps an insert's
    // and a replace's): the server's jstests/change_streams/lookup_post_image.js.
    const clusterTime = new Timestamp({ t: 1_700_000_000, i: 6 });
    const update = {
      _id: token(6),
      operationType: "update",
      clusterTime,
      wallTime: new Date(1_700_000_000_000),
      collectionUUID: new Binary(Buffer.from("0123456789abcdef0123456789abcdef", "hex"), Binary.SUBTYPE_UUID),
      ns: { db: "shop", coll: "orders" },
      documentKey: { _id: 7 },
      updateDescription: { updatedFields: { status: "paid" }, removedFields: ["draft"], truncatedArrays: [] },
    };
    const { client, opened } = scriptedClient([[update, null]]);
    const items = await take(new ChangeStreamSource(deployment(client, "7.0.12"), options({ fullDocument: "off" })), 1);
    expect("fullDocument" in (opened[0]?.options ?? {})).toBe(false);
    const event = items[0]?.kind === "event" ? items[0].event : undefined;
    expect(event).toMatchObject({ op: "update", key: { _id: 7 }, update: { updatedFields: { status: "paid" }, removedFields: ["draft"], truncatedArrays: [] } });
    expect(event !== undefined && "doc" in event).toBe(false);

    const looked = scriptedClient([[null]]);
    await take(new ChangeStreamSource(deployment(looked.client, "7.0.12"), options()), 1);
    expect(looked.opened[0]?.options.fullDocument).toBe("updateLookup");
  });
});
