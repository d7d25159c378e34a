// Child process of the jsonl sink tests: writes events to standard output through the sink.
// Usage: node --import tsx test/support/jsonl-stdout-script.ts <relaxed|canonical> <bulk events>
// The two first events are fixed; then <bulk events> inserts with a 1 KiB text each (to
// overflow the pipe and exercise backpressure). The saved positions go to stderr.

import { Int32 } from "mongodb";
import type { ResumePointStore } from "../../src/core/resume-point-store.js";
import { silentLogger } from "../../src/core/logger.js";
import { createJsonlSink } from "../../src/sinks/jsonl/jsonl-sink.js";
import type { Position } from "../../src/core/position.js";
import { makeEvent } from "./events.js";

const [format = "relaxed", bulk = "0"] = process.argv.slice(2);

const positions: ResumePointStore = {
  description: "stderr",
  load: async (): Promise<Position | undefined> => undefined,
  save: async (position: Position): Promise<void> => {
    process.stderr.write(`saved ${position.resumeToken._data}\n`);
  },
  close: async (): Promise<void> => undefined,
};

const sink = await createJsonlSink({ format }, { pipeline: "demo", sinkName: "out", logger: silentLogger(), baseDir: process.cwd(), positions });
await sink.open();
const insert = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1, qty: new Int32(2) } });
const remove = makeEvent({ op: "delete", ns: "shop.orders", id: 1 });
await sink.apply({ events: [insert, remove], position: remove.position });
const filler = "x".repeat(1024);
const events = Array.from({ length: Number(bulk) }, (_, n) => makeEvent({ op: "insert", ns: "shop.bulk", id: n, doc: { _id: n, filler } }));
const last = events.at(-1);
if (last) await sink.apply({ events, position: last.position });
await sink.close();
