// The change stream against a real replica set, where the server's own formats decide (#12):
// resume tokens with _typeBits, a stored position of a namespace no longer included, strings
// that are not UTF-8, and events over 16 MB (split on 7.0+ and 6.0.9+, named elsewhere).
import { Double, Long, type Document, type MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { enableChangeStreamImages } from "../../../src/source/change-stream-images.js";
import { supportsSplitLargeEvent } from "../../../src/source/split-events.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { Position } from "../../../src/core/position.js";
import { watch } from "../../../src/watch/watch.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { MemoryResumePointStore } from "../../support/memory-resume-point-store.js";
import { insertRawDocument } from "../../support/raw-insert.js";
import { describeWithMongo, requireMongo } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

const DB = "stream_fidelity";
const version = (): string => requireMongo().version;
const major = (): number => Number(version().split(".")[0]);

interface AnyDoc {
  _id: unknown;
  [field: string]: unknown;
}

describeWithMongo("the change stream against the server's own formats", () => {
  const mongo = useMongoClient();
  let client: MongoClient;
  const coll = (name: string) => client.db(DB).collection<AnyDoc>(name);

  beforeAll(async () => {
    client = mongo.client();
    await client.db(DB).dropDatabase();
    for (const name of ["numbers", "a", "b", "text", "large"]) await client.db(DB).createCollection(name);
  });

  afterAll(async () => {
    await client.db(DB).dropDatabase();
  });

  /** Runs a watcher until `until` holds for what it saw; returns the events and log lines. */
  async function watchUntil(options: Parameters<typeof watch>[1], act: () => Promise<void>, until: (events: ChangeEvent[]) => boolean) {
    const { logger, lines } = capturingLogger();
    const watcher = watch(mongo.uri(), { ...options, logger });
    const events: ChangeEvent[] = [];
    watcher.on("change", (event) => {
      events.push(event);
    });
    await watcher.start();
    try {
      await act();
      await waitFor(() => until(events), "the expected changes");
      return { events, lines, stats: watcher.stats() };
    } finally {
      await watcher.stop();
    }
  }

  it("resumes after an event whose key is a Double or a Long, from a stored position that kept _typeBits", async () => {
    const first = await watchUntil(
      { include: [`${DB}.numbers`] },
      async () => {
        await coll("numbers").insertOne({ _id: new Double(2), n: 1 });
        await coll("numbers").insertOne({ _id: Long.fromNumber(3), n: 2 });
      },
      (events) => events.length >= 2,
    );
    const stored = first.events[1]?.position as Position;
    // The server adds _typeBits for a Long or Double in the document key (resume_token.cpp).
    expect(stored.resumeToken._typeBits).toBeDefined();
    const store = new MemoryResumePointStore(stored);
    const again = await watchUntil(
      { include: [`${DB}.numbers`], resumePoints: store },
      () => coll("numbers").insertOne({ _id: 4, n: 3 }).then(() => undefined),
      (events) => events.some((event) => String(event.key?._id) === "4"),
    );
    expect(again.events.map((event) => String(event.key?._id))).toEqual(["4"]);
    expect(again.lines.filter((line) => String(line.msg).includes("not in this change stream"))).toEqual([]);
  });

  it("starts at the stored position's cluster time when its event belongs to a namespace no longer included", async () => {
    const wide = await watchUntil(
      { include: [`${DB}.a`, `${DB}.b`] },
      () => coll("a").insertOne({ _id: "a1" }).then(() => undefined),
      (events) => events.some((event) => event.key?._id === "a1"),
    );
    const store = new MemoryResumePointStore(wide.events.find((event) => event.key?._id === "a1")?.position);
    await coll("b").insertOne({ _id: "b1" });
    // Narrowed to b alone: the stream is opened on b, where a's event cannot be found (280).
    const narrow = await watchUntil({ include: [`${DB}.b`], resumePoints: store }, async () => undefined, (events) => events.some((event) => event.key?._id === "b1"));
    expect(narrow.events.map((event) => event.key?._id)).toEqual(["b1"]);
    expect(narrow.lines.some((line) => line.level === 40 && String(line.msg).includes("starting at its cluster time instead"))).toBe(true);
  });

  it("delivers a document holding a string that is not valid UTF-8, with U+FFFD in place of the bad bytes", async () => {
    const seen = await watchUntil(
      { include: [`${DB}.text`] },
      async () => {
        // "café" with its é (C3 A9) broken into C3 28, written as raw BSON (no driver writes it).
        await insertRawDocument(mongo.uri(), DB, "text", { _id: "bad", name: "caf\u00e9!" }, (bytes) => {
          const at = bytes.indexOf(Buffer.from("caf\u00e9!", "utf8"));
          bytes[at + 4] = 0x28;
        });
        await coll("text").insertOne({ _id: "good", name: "ok" });
      },
      (events) => events.some((event) => event.key?._id === "good"),
    );
    expect(seen.events.map((event) => [event.key?._id, event.doc?.name])).toEqual([
      ["bad", "caf\uFFFD(!"],
      ["good", "ok"],
    ]);
  });

  it("delivers an update over 16 MB whole where the server splits events, and otherwise stops naming it", async (context) => {
    if (major() < 6) return context.skip();
    await enableChangeStreamImages(client, `${DB}.large`);
    const big = "x".repeat(9 * 1024 * 1024);
    await coll("large").insertOne({ _id: "big", body: big, n: 1 });
    const { logger, lines } = capturingLogger();
    const watcher = watch(mongo.uri(), { include: [`${DB}.large`], fullDocument: "required", fullDocumentBeforeChange: "required", logger });
    const events: ChangeEvent[] = [];
    watcher.on("change", (event) => {
      events.push(event);
    });
    const errors: Error[] = [];
    watcher.on("error", (error) => {
      errors.push(error);
    });
    await watcher.start();
    try {
      // Pre-image and post-image of 9 MB each: 18 MB in one event.
      await coll("large").updateOne({ _id: "big" } as Document, { $set: { n: 2, body: `${big}y` } });
      if (supportsSplitLargeEvent(version())) {
        await waitFor(() => events.some((event) => event.op === "update"), "the large update");
        const update = events.find((event) => event.op === "update");
        expect(update?.before?.n).toEqual(1);
        expect(update?.doc?.n).toEqual(2);
        expect(String(update?.doc?.body).length).toBe(big.length + 1);
      } else {
        await waitFor(() => errors.length > 0 || watcher.stats().stopped, "the watcher to stop");
        const message = errors[0]?.message ?? String(lines.at(-1)?.msg);
        expect(message).toContain(`${DB}.large`);
        expect(message).toContain('"big"');
        expect(message).toContain("6.0.9");
      }
    } finally {
      await watcher.stop().catch(() => undefined);
    }
  });
});
