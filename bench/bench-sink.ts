import { silentLogger } from "../src/core/logger.js";
import { PostgresSink, type PostgresSinkOptions } from "../src/sinks/postgres/postgres-sink.js";

/** The PostgreSQL sink every bench scenario writes through: schema public, pipeline "bench", quick retries, no logs; raw mode unless `options` say otherwise. */
export function benchSink(url: string, options: Partial<PostgresSinkOptions> = {}): PostgresSink {
  return new PostgresSink({ url, schema: "public", checkpointSchema: "tributary", tables: {}, pipeline: "bench", retry: { initialDelayMs: 100, maxDelayMs: 1_000 }, logger: silentLogger(), ...options });
}
