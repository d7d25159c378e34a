import { cp, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { silentLogger } from "../../../src/core/logger.js";
import { buildSink } from "../../../src/runtime/sink-resolver.js";
import type { SinkContext } from "../../../src/core/sink.js";
import { makeEvent } from "../../support/events.js";
import { MemoryResumePointStore } from "../../support/memory-resume-point-store.js";

const FIXTURES = resolve("test/fixtures/sinks");

function context(sinkName: string, baseDir: string): SinkContext {
  return { pipeline: "p", sinkName, logger: silentLogger(), baseDir, positions: new MemoryResumePointStore() };
}

interface RecordingModule {
  received: Map<string, { opened: number; batches: { ids: unknown[] }[]; options: unknown }>;
}

async function recordingModule(entry: string): Promise<RecordingModule> {
  return (await import(pathToFileURL(entry).href)) as RecordingModule;
}

describe("sink resolution", () => {
  let project: string;

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), "tributary-plugins-"));
    await mkdir(join(project, "node_modules", "@acme"), { recursive: true });
    await cp(join(FIXTURES, "recording-sink"), join(project, "node_modules", "tributary-sink-recording"), { recursive: true });
    await cp(join(FIXTURES, "recording-sink"), join(project, "node_modules", "@acme", "audit-sink"), { recursive: true });
    await cp(join(FIXTURES, "cjs-sink"), join(project, "node_modules", "cjs-sink"), { recursive: true });
    await mkdir(join(project, "config", "deep"), { recursive: true });
  });

  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it("loads a package directory by path, relative to the base directory, and hands it its options", async () => {
    const sink = await buildSink("./recording-sink", { flag: true }, context("by-path", FIXTURES), "sinks.by-path");
    await sink.open();
    const event = makeEvent({ op: "insert", ns: "a.b", id: "k", doc: { _id: "k" } });
    await sink.apply({ events: [event], position: event.position });
    const { received } = await recordingModule(join(FIXTURES, "recording-sink", "main.js"));
    expect(received.get("by-path")).toMatchObject({ opened: 1, batches: [{ ids: ["k"] }], options: { flag: true } });
  });

  it("finds an installed package as tributary-sink-<name>, searching up from the base directory", async () => {
    const sink = await buildSink("recording", {}, context("by-name", join(project, "config", "deep")), "sinks.by-name");
    await sink.open();
    const { received } = await recordingModule(join(project, "node_modules", "tributary-sink-recording", "main.js"));
    expect(received.get("by-name")?.opened).toBe(1);
  });

  it("finds a package by its own name, scoped or CommonJS", async () => {
    const scoped = await buildSink("@acme/audit-sink", {}, context("scoped", project), "sinks.scoped");
    expect(scoped.name).toBe("scoped");
    const commonJs = await buildSink("cjs-sink", {}, context("cjs", project), "sinks.cjs");
    expect(commonJs).toMatchObject({ name: "cjs", transactional: false });
  });

  it("adapts a DocManager class loaded by path", async () => {
    const out = join(project, "files-out");
    const sink = await buildSink("./examples/docmanager-sink", { dir: out, chunkSize: 2, values: "plain" }, context("files", resolve(".")), "sinks.files");
    expect(await sink.open()).toBeUndefined();
    const events = [1, 2, 3].map((id) => makeEvent({ op: "insert", ns: "shop.orders", id, doc: { _id: id, n: id * 10 } }));
    const last = events[2]!;
    await sink.apply({ events, position: last.position });
    await sink.close();
    expect(JSON.parse(await readFile(join(out, "shop.orders.json"), "utf8"))).toEqual({ 1: { _id: 1, n: 10 }, 2: { _id: 2, n: 20 }, 3: { _id: 3, n: 30 } });
  });

  it("says what it looked for when no sink has the name", async () => {
    const error = await buildSink("elastic", {}, context("search", project), "sinks.search").catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.SinkNotFound, context: { configPath: "sinks.search" } });
    expect((error as Error).message).toBe(
      `sinks.search: no sink 'elastic': it is not built in (postgres, jsonl, webhook, mongodb), no package tributary-sink-elastic or elastic is installed (searched from ${project}), and it is not a path (start a path with ./ or /)`,
    );
  });

  it("names the missing path", async () => {
    const error = await buildSink("./nowhere/sink.js", {}, context("gone", project), "sinks.gone").catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.SinkNotFound, message: `sinks.gone: no sink at ${join(project, "nowhere", "sink.js")} (no such file, or a directory without an entry point)` });
  });

  it("refuses a module that exports no sink, and a sink without its methods", async () => {
    const none = await buildSink("./not-a-sink.js", {}, context("none", FIXTURES), "sinks.none").catch((caught: unknown) => caught);
    expect(none).toMatchObject({
      code: ErrorCode.SinkInvalid,
      message: `sinks.none: ${join(FIXTURES, "not-a-sink.js")} (sink './not-a-sink.js') exports neither createSink (a sink factory) nor DocManager (a mongo-connector-style class)`,
    });
    const half = await buildSink("./half-a-sink.js", {}, context("half", FIXTURES), "sinks.half").catch((caught: unknown) => caught);
    expect(half).toMatchObject({
      code: ErrorCode.SinkInvalid,
      message: "sinks.half: sink './half-a-sink.js' gave an object without apply(), close(), transactional (a boolean); a sink has name, transactional, open(), apply() and close()",
    });
  });

  it("checks the DocManager options it honours", async () => {
    const error = await buildSink("./examples/docmanager-sink", { dir: "x", chunkSize: 0 }, context("files", resolve(".")), "sinks.files").catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.SinkInvalid, message: "Invalid options for DocManager sink 'files': sinks.files.options.chunkSize: Too small: expected number to be >0" });
  });

  it("lets the plugin's own option errors through", async () => {
    const error = await buildSink("./recording-sink", { failAt: 3 }, context("strict", FIXTURES), "sinks.strict").catch((caught: unknown) => caught);
    expect((error as Error).message).toBe("sinks.strict.options.failAt: must be a document id");
  });
});
