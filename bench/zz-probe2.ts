import { createDatabase, startPostgres } from "../test/support/postgres-server.js";
import { silentLogger } from "../src/observability/logger.js";
import { PostgresSink } from "../src/sinks/postgres/postgres-sink.js";
import { runSnapshot } from "../src/snapshot/snapshot-runner.js";
import { DocumentGenerator } from "./generated-documents.js";
import { GeneratedSnapshotSource } from "./generated-snapshot-source.js";
import { copyGenerated } from "./snapshot-scenarios.js";
const server = await startPostgres();
const set = { docs: 100000, size: 1024, distinct: 1000 };
for (const spec of process.argv.slice(2)) {
  const url = await createDatabase(server.url, "probe");
  const t0 = performance.now();
  if (spec === "bare") await copyGenerated(url, set);
  else {
    const [p, chunk] = spec.split("/").map(Number) as [number, number];
    const sink = new PostgresSink({ url, schema: "public", checkpointSchema: "tributary", tables: {}, pipeline: "bench", retry: { initialDelayMs: 100, maxDelayMs: 1000 }, logger: silentLogger() });
    await sink.open();
    const target = sink.snapshotTarget(p);
    const source = new GeneratedSnapshotSource("bench.orders", set.docs, new DocumentGenerator(set.size, set.distinct));
    await runSnapshot(source, target, { mode: "initial", parallelism: p, chunkSize: chunk, rangeSize: 25000, logger: silentLogger(), signal: new AbortController().signal });
    await target.close(); await sink.close();
  }
  console.log(spec.padEnd(10), ((performance.now() - t0) / 1000).toFixed(2), "s");
}
await server.stop();
