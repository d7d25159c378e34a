import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { checkArchitecture, formatViolation } from "../../../scripts/check-architecture.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "src");

const trees: string[] = [];

/** A src/ tree in a temporary directory: relative path → file text. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "tributary-architecture-"));
  trees.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The violations of a tree, formatted as the command prints them. */
function check(files: Record<string, string>): string[] {
  return checkArchitecture(tree(files)).violations.map((violation) => formatViolation(violation));
}

/** A small tree that follows every rule; each test adds one bad import to it. */
const GOOD: Record<string, string> = {
  "index.ts": 'export { watch } from "./watch/watch.js";\nexport type { PostgresSinkOptions } from "./sinks/postgres/index.js";\n',
  "postgres.ts": 'export { PostgresSink } from "./sinks/postgres/index.js";\n',
  "core/change-event.ts": 'import type { Document } from "bson";\nimport { z } from "zod";\nexport type Doc = Document;\nexport const schema = z.string();\n',
  "core/bson.ts": 'import { createRequire } from "node:module";\nimport type * as Bson from "bson";\nexport const bson = createRequire(import.meta.url)("bson") as typeof Bson;\n',
  "codec/codec.ts": 'import type { Doc } from "../core/change-event.js";\nexport const encode = (doc: Doc): string => JSON.stringify(doc);\n',
  "source/source.ts": 'import { MongoClient } from "mongodb";\nimport { encode } from "../codec/codec.js";\nexport { MongoClient, encode };\n',
  "watch/watch.ts": 'import { encode } from "../source/source.js";\nexport const watch = (): string => encode({});\n',
  "sinks/postgres/index.ts": 'export { PostgresSink, type PostgresSinkOptions } from "./postgres-sink.js";\n',
  "sinks/postgres/postgres-sink.ts": 'import pg from "pg";\nimport { encode } from "../../codec/codec.js";\nexport type PostgresSinkOptions = { url: string };\nexport class PostgresSink { pool = new pg.Pool(); encode = encode; }\n',
  "sinks/sink-resolver.ts": 'export const postgres = async () => (await import("./postgres/index.js")).PostgresSink;\n',
  "runtime/sync-runner.ts": 'import { PostgresSink } from "../sinks/postgres/index.js";\nimport { watch } from "../watch/watch.js";\nexport const run = () => [PostgresSink, watch];\n',
  "cli/main.ts": 'import { run } from "../runtime/sync-runner.js";\nexport const main = run;\n',
};

afterEach(() => {
  for (const root of trees.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("check-architecture", () => {
  it("passes a tree that follows every rule", () => {
    expect(check(GOOD)).toEqual([]);
  });

  it("reports core importing a driver", () => {
    const violations = check({ ...GOOD, "core/retry.ts": 'import { MongoServerError } from "mongodb";\nexport const retryable = MongoServerError;\n' });
    expect(violations).toContain("core/retry.ts:1: the mongodb driver outside its rooms (core → mongodb)");
    expect(violations).toContain("core/retry.ts:1: package not allowed in core (core → mongodb)");
  });

  it("reports core loading bson other than through core/bson.ts", () => {
    const violations = check({ ...GOOD, "core/position.ts": 'import { Timestamp } from "bson";\nexport const zero = new Timestamp({ t: 0, i: 0 });\n' });
    expect(violations).toEqual(["core/position.ts:1: bson in core other than through core/bson.ts (core → bson)"]);
  });

  it("reports core importing another room, even for a type", () => {
    const violations = check({ ...GOOD, "core/sink.ts": '\nimport type { encode } from "../codec/codec.js";\nexport type Encode = typeof encode;\n' });
    expect(violations).toContain("core/sink.ts:2: core may not import codec (core → codec)");
    expect(violations).toContain("core/sink.ts:2: folder-level cycle core → codec → core (core → codec)");
  });

  it("reports a room importing a room it may not", () => {
    const violations = check({ ...GOOD, "codec/watching.ts": 'export { watch } from "../watch/watch.js";\n' });
    expect(violations).toContain("codec/watching.ts:1: codec may not import watch (codec → watch)");
  });

  it("reports a folder-level cycle, even between rooms that may import each other", () => {
    const violations = check({ ...GOOD, "runtime/commands.ts": 'import type { main } from "../cli/main.js";\nexport type Main = typeof main;\n' });
    expect(violations).toEqual([
      "cli/main.ts:1: folder-level cycle cli → runtime → cli (cli → runtime)",
      "runtime/commands.ts:1: folder-level cycle runtime → cli → runtime (runtime → cli)",
    ]);
  });

  it("reports a cycle through three rooms at the import the rules forbid", () => {
    const violations = check({
      ...GOOD,
      "source/item.ts": 'import type { Chunk } from "../snapshot/chunk.js";\nexport type Item = Chunk | string;\n',
      "snapshot/chunk.ts": 'import type { watch } from "../watch/watch.js";\nexport type Chunk = ReturnType<typeof watch>[];\n',
    });
    expect(violations).toEqual([
      "snapshot/chunk.ts:1: folder-level cycle snapshot → watch → source → snapshot (snapshot → watch)",
      "snapshot/chunk.ts:1: snapshot may not import watch (snapshot → watch)",
    ]);
  });

  it("reports the runtime reaching into sinks/postgres past its index.ts", () => {
    const violations = check({ ...GOOD, "runtime/snapshot-phase.ts": 'import { PostgresSink } from "../sinks/postgres/postgres-sink.js";\nexport const target = PostgresSink;\n' });
    expect(violations).toEqual(["runtime/snapshot-phase.ts:1: sinks/postgres only through its index.ts (runtime → sinks/postgres/postgres-sink.ts)"]);
  });

  it("reports the pg driver outside sinks/postgres", () => {
    const violations = check({ ...GOOD, "checkpoint/pg-store.ts": 'import type { Pool } from "pg";\nexport type Store = Pool;\n' });
    expect(violations).toEqual(["checkpoint/pg-store.ts:1: the PostgreSQL driver outside sinks/postgres (checkpoint → pg)"]);
  });

  it("reports a file over 400 lines, and not one of 400", () => {
    const lines = (count: number): string => Array.from({ length: count }, (_, index) => `export const line${index} = ${index};\n`).join("");
    const violations = check({ ...GOOD, "codec/long.ts": lines(401), "codec/full.ts": lines(400) });
    expect(violations).toEqual(["codec/long.ts:401: over 400 lines (401) (codec)"]);
  });

  it("reports index.ts reaching pg through static value imports only", () => {
    const violations = check({ ...GOOD, "index.ts": `${GOOD["index.ts"]}export { run } from "./runtime/sync-runner.js";\n` });
    expect(violations).toEqual([
      "sinks/postgres/postgres-sink.ts:1: src/index.ts loads pg statically (index.ts → runtime/sync-runner.ts → sinks/postgres/index.ts → sinks/postgres/postgres-sink.ts) (sinks/postgres → pg)",
    ]);
  });

  it("reports an import of an entry file and an import leaving src/", () => {
    const violations = check({ ...GOOD, "runtime/entry.ts": 'export * from "../index.js";\nexport * from "../../test/helpers.js";\n' });
    expect(violations).toEqual([
      "runtime/entry.ts:1: an import of an entry file (entry files import rooms, never the reverse) (runtime → src/index.ts)",
      "runtime/entry.ts:2: an import from outside src/ (runtime → ../../test/helpers.js)",
    ]);
  });

  it("reports a folder that the rule table does not know", () => {
    expect(check({ ...GOOD, "misc/util.ts": "export const x = 1;\n" })).toEqual(["misc/util.ts:1: a room missing from the rule table (misc)"]);
  });

  it("passes the real src/", () => {
    const report = checkArchitecture(SRC);
    expect(report.files).toBeGreaterThan(50);
    expect(report.violations.map((violation) => formatViolation(violation, `src/${violation.file}`))).toEqual([]);
  });
});
