// One bench scenario in a process of its own, so that its peak RSS is its own.
// Usage: node --import tsx bench/snapshot-child.ts '<scenario JSON>' (see scenario.ts).
// With an IPC channel (run-child.ts forks it so) the result goes back as a message, and the
// parent may send "stop"; without one, the result is printed on stdout as one JSON line.

import { applyGenerated, applyInserts } from "./sink-apply.js";
import { watchDecoded } from "./watch-scenarios.js";
import type { ChildMessage, ChildResult, ParentMessage, Scenario } from "./scenario.js";
import { copyFromMongo, copyGenerated, readGenerated, snapshotFromMongo, snapshotGenerated, type Measured } from "./snapshot-scenarios.js";
import { readChanges, syncChanges } from "./stream-scenarios.js";
import { copyRelationalGenerated, peerDumpGenerated } from "./relational-scenarios.js";
import { verifyGenerated } from "./verify-scenario.js";

const stop = new AbortController();

function send(message: ChildMessage): void {
  if (process.send) process.send(message);
  else if (message.type === "result") process.stdout.write(`${JSON.stringify(message.result)}\n`);
}

function run(scenario: Scenario): Promise<Measured> {
  switch (scenario.kind) {
    case "generated-read":
      return readGenerated(scenario);
    case "generated-copy":
      return copyGenerated(scenario.url, scenario);
    case "generated-snapshot":
      return snapshotGenerated(scenario.url, scenario, scenario.parallelism, scenario.mode);
    case "generated-relational-copy":
      return copyRelationalGenerated(scenario.url, scenario);
    case "generated-peer-dump":
      return peerDumpGenerated(scenario.url, scenario);
    case "generated-verify":
      return verifyGenerated(scenario.url, scenario, scenario.parallelism);
    case "mongo-copy":
      return copyFromMongo(scenario.url, scenario.mongoUri, scenario.namespace);
    case "mongo-snapshot":
      return snapshotFromMongo(scenario.url, scenario.mongoUri, scenario.namespace, scenario.parallelism);
    case "change-reader":
      return readChanges(scenario.mongoUri, scenario.namespace, scenario.events, () => send({ type: "ready" }));
    case "tributary-sync":
      return syncChanges(scenario.url, scenario.mongoUri, scenario.namespace, scenario.pipeline, stop.signal);
    case "generated-apply":
      return applyGenerated(scenario.url, scenario, scenario.mode, scenario.batch);
    case "sink-apply":
      return applyInserts(scenario.url, scenario.variant, scenario.docs, scenario.size, scenario.batch);
    case "watch":
      return watchDecoded(scenario.url, scenario.docs, scenario.size, scenario.oneAhead);
  }
}

/**
 * With `--expose-gc`: the largest heap still in use after a full collection, sampled every
 * second. Peak RSS also holds garbage V8 has not collected yet, and V8 lets the heap grow the
 * longer a process allocates; the live heap is what the program actually holds.
 */
function sampleLiveHeap(): { stop(): number } | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  let most = 0;
  const sample = (): void => {
    gc();
    most = Math.max(most, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(sample, 1_000);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return most / 1e6;
    },
  };
}

const argument = process.argv[2];
if (argument === undefined) throw new Error("usage: node --import tsx bench/snapshot-child.ts '<scenario JSON>'");
const scenario = JSON.parse(argument) as Scenario;
process.on("message", (message: ParentMessage) => {
  if (message.type === "stop") stop.abort();
});
// Modules are loaded: what the process holds before any work is its floor.
const startRssKb = Math.round(process.memoryUsage.rss() / 1024);
const liveHeap = sampleLiveHeap();
const measured = await run(scenario);
const liveHeapMaxMb = liveHeap?.stop();
const detail = { ...measured.detail, ...(liveHeapMaxMb === undefined ? {} : { liveHeapMaxMb }) };
const result: ChildResult = { seconds: measured.seconds, items: measured.items, startRssKb, peakRssKb: process.resourceUsage().maxRSS, detail };
send({ type: "result", result });
process.disconnect?.();
