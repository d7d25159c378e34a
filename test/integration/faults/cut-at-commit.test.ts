// The connection is cut at COMMIT by a TCP relay between the sink and PostgreSQL:
// - the reply lost: the batch committed, the sink cannot know; its retry asks before redoing;
// - a black hole (half-open): nothing passes and nothing closes; the query timeout gives the
//   connection up, the server ends the session left idle in its transaction (and its locks),
//   and the batch is redone.
// Nothing is applied twice: every data row only moves forward (a trigger refuses a replay) and
// every position write is counted.

import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY } from "../../../src/core/retry.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { startTcpRelay, type CommitCut } from "../../support/tcp-relay.js";
import { syntheticEvent, syntheticFinalState, syntheticIndexOf } from "../../support/synthetic-stream.js";
import { createWriteCountingTables, syntheticRows } from "../../support/write-counting.js";

const TOTAL = 6_000;
const BATCH = 200;
/** The batches (from 0) whose COMMIT is cut. */
const CUT_AT = new Set([0, 3, 4, 11, 29]);
/** For the black hole: how long a query waits for its answer (the production default is 5 minutes). */
const QUERY_TIMEOUT_MS = 1_500;

describe.each<CommitCut>(["reply lost", "black hole"])("the connection cut at COMMIT (%s)", (how) => {
  it("neither loses the batch nor applies it twice", { timeout: 180_000 }, async () => {
    const url = await createDatabase(postgresUrl(), `fault_cut_${how.replace(/\W/g, "_")}`);
    const relay = await startTcpRelay(Number(new URL(url).port));
    const relayed = new URL(url);
    relayed.port = String(relay.port);
    const { logger, lines } = capturingLogger();
    const sink = makeSink(relayed.toString(), { pipeline: "faults", retry: DEFAULT_RETRY, logger, queryTimeoutMs: QUERY_TIMEOUT_MS });
    await sink.open();
    const positionWrites = await createWriteCountingTables(url);

    const recoveries: number[] = [];
    for (let batch = 0, next = 1; next <= TOTAL; batch += 1, next += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, TOTAL - next + 1) }, (_, i) => syntheticEvent(next + i));
      const cutAt = CUT_AT.has(batch) ? relay.cutAtNextCommit(how).then(() => Date.now()) : undefined;
      await sink.apply({ events, position: events.at(-1)!.position });
      if (cutAt) recoveries.push(Date.now() - (await cutAt));
    }
    await sink.close();
    await relay.close();

    const batches = Math.ceil(TOTAL / BATCH);
    const writes = await positionWrites();
    const retries = lines.filter((line) => String(line.msg).startsWith("PostgreSQL unavailable"));
    console.log(
      `[faults] COMMIT cut (${how}) in ${recoveries.length} of ${batches} batches: applied ${recoveries.join(", ")} ms after each cut (query timeout ${QUERY_TIMEOUT_MS} ms); ` +
        `${retries.length} retries (codes: ${[...new Set(retries.map((line) => line.code))].join(", ")}), ${writes.all} position writes; 0 lost, 0 applied twice`,
    );
    expect(recoveries).toHaveLength(CUT_AT.size);
    expect(new Set(retries.map((line) => line.code))).toEqual(new Set(["PostgresConnectionLost"]));
    expect(await syntheticRows(url)).toEqual(syntheticFinalState(TOTAL));
    expect(syntheticIndexOf(sink.storedPosition())).toBe(TOTAL);
    expect(writes).toEqual({ all: batches, distinct: batches });
  });
});
