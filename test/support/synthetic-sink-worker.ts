// A child process that applies the synthetic stream to PostgreSQL in batches, resuming from
// the stored position: the subject of the kill -9 test. Usage: <postgres-url> <total> <batch>
import { syntheticEvent, syntheticIndexOf } from "./synthetic-stream.js";
import { makeSink } from "./postgres-sink-fixture.js";

const [url, totalText, batchText] = process.argv.slice(2);
const total = Number(totalText);
const batchSize = Number(batchText);
const sink = makeSink(url ?? "", { pipeline: "synthetic" });
let next = syntheticIndexOf(await sink.open()) + 1;
while (next <= total) {
  const events = [];
  for (let k = next; k < next + batchSize && k <= total; k += 1) events.push(syntheticEvent(k));
  const last = events[events.length - 1]!;
  await sink.apply({ events, position: last.position });
  next += events.length;
}
await sink.close();
