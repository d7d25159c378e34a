import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresResumePointStore } from "../../../src/sinks/postgres/postgres-resume-point-store.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { runCli } from "../../support/run-cli.js";

let url: string;
const open: PostgresSink[] = [];

/** The test database's URL as a libpq keyword/value string, the password quoted as libpq wants. */
function keywordValue(target: string): string {
  const parsed = new URL(target);
  const password = decodeURIComponent(parsed.password).replaceAll("\\", "\\\\").replaceAll("'", "\\'");
  return `host=${parsed.hostname} port = ${parsed.port || "5432"} dbname=${decodeURIComponent(parsed.pathname.slice(1))} user=${decodeURIComponent(parsed.username)} password='${password}'`;
}

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_keyword_value");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

describe("a libpq keyword/value connection string", () => {
  it("connects the PostgreSQL sink like the URL it stands for", async () => {
    const sink = makeSink(keywordValue(url));
    open.push(sink);
    await sink.open();
    const event = makeEvent({ op: "insert", ns: "shop.orders", id: "a1", doc: { _id: "a1", total: 5 } });
    await sink.apply({ events: [event], position: event.position });
    expect(await query(url, "SELECT _id FROM public.shop_orders")).toEqual([{ _id: "a1" }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.positions")).toEqual([{ n: 1 }]);
  });

  it("connects a PostgreSQL resume point store", async () => {
    const store = new PostgresResumePointStore({ url: keywordValue(url), key: "kv" });
    try {
      await expect(store.load()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("is taken by the CLI (tributary status --to), its password never shown", async () => {
    const result = await runCli(["status", "--to", keywordValue(url)]);
    expect(result.stderr).not.toContain(new URL(url).password);
    expect(result.stdout).not.toContain(new URL(url).password);
    expect(result.code).toBe(0);
  });
});
