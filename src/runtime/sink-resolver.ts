import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { docManagerSink, parseDocManagerOptions, type DocManager } from "../sinks/docmanager/index.js";
import { entryOfPath, findInstalledPackage, isPathSpecifier } from "./plugin-module.js";
import type { Sink, SinkContext, SinkFactory } from "../core/sink.js";

// Loaded on first use, so a pipeline pays only for the sinks it has.
const BUILT_IN_SINKS: Readonly<Record<string, () => Promise<SinkFactory>>> = {
  postgres: async () => (await import("../sinks/postgres/index.js")).createPostgresSink,
  jsonl: async () => (await import("../sinks/jsonl/index.js")).createJsonlSink,
  webhook: async () => (await import("../sinks/webhook/index.js")).createWebhookSink,
  mongodb: async () => (await import("../sinks/mongodb/index.js")).createMongoSink,
};

/** Names of the sinks that ship with Tributary. @internal */
export const builtInSinkNames: readonly string[] = Object.keys(BUILT_IN_SINKS);

const PACKAGE_PREFIX = "tributary-sink-";
const TRIBUTARY_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * Finds the factory a sink's `use` names: a built-in sink; a path to a file or package
 * directory (relative to `baseDir`); or an installed package, `tributary-sink-<use>` first,
 * then `<use>` itself, looked up from `baseDir` and from where Tributary is installed.
 * A module provides a sink by exporting `createSink` (a {@link SinkFactory}) or, the
 * mongo-connector way, a `DocManager` class.
 * @internal
 */
export async function resolveSinkFactory(use: string, baseDir: string, where: string): Promise<SinkFactory> {
  const builtIn = BUILT_IN_SINKS[use];
  if (builtIn) return builtIn();
  const entry = locateModule(use, baseDir, where);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new TributaryError(ErrorCode.SinkInvalid, `${where}: cannot load sink '${use}' from ${entry}: ${(cause as Error).message}`, { cause, context: { configPath: where } });
  }
  return factoryOf(module, use, entry, where);
}

/** Builds a sink from its config entry and checks that what the plugin returned is one. */
export async function buildSink(use: string, options: Readonly<Record<string, unknown>>, context: SinkContext, where: string): Promise<Sink> {
  const factory = await resolveSinkFactory(use, context.baseDir, where);
  const sink = await factory(options, context);
  const lacking = (["open", "apply", "close"] as const).filter((method) => typeof sink?.[method] !== "function");
  if (lacking.length > 0 || typeof sink.transactional !== "boolean") {
    const problems = [...lacking.map((method) => `${method}()`), ...(typeof sink?.transactional === "boolean" ? [] : ["transactional (a boolean)"])];
    throw new TributaryError(ErrorCode.SinkInvalid, `${where}: sink '${use}' gave an object without ${problems.join(", ")}; a sink has name, transactional, open(), apply() and close()`, { context: { configPath: where } });
  }
  return sink;
}

function locateModule(use: string, baseDir: string, where: string): string {
  if (isPathSpecifier(use)) {
    const path = resolve(baseDir, use);
    const entry = tryLocate(() => entryOfPath(path), use, where);
    if (entry) return entry;
    throw new TributaryError(ErrorCode.SinkNotFound, `${where}: no sink at ${path} (no such file, or a directory without an entry point)`, { context: { configPath: where } });
  }
  const names = use.startsWith(PACKAGE_PREFIX) || use.startsWith("@") ? [use] : [`${PACKAGE_PREFIX}${use}`, use];
  for (const name of names) {
    for (const dir of [baseDir, TRIBUTARY_DIR]) {
      const entry = tryLocate(() => findInstalledPackage(name, dir), use, where);
      if (entry) return entry;
    }
  }
  throw new TributaryError(
    ErrorCode.SinkNotFound,
    `${where}: no sink '${use}': it is not built in (${builtInSinkNames.join(", ")}), no package ${names.join(" or ")} is installed (searched from ${baseDir}), and it is not a path (start a path with ./ or /)`,
    { context: { configPath: where } },
  );
}

function tryLocate(locate: () => string | undefined, use: string, where: string): string | undefined {
  try {
    return locate();
  } catch (cause) {
    throw new TributaryError(ErrorCode.SinkInvalid, `${where}: cannot read the package of sink '${use}': ${(cause as Error).message}`, { cause, context: { configPath: where } });
  }
}

type DocManagerClass = new (options: Readonly<Record<string, unknown>>, context: SinkContext) => DocManager;

function factoryOf(module: Record<string, unknown>, use: string, entry: string, where: string): SinkFactory {
  const candidates = [module, module.default as Record<string, unknown> | undefined];
  for (const candidate of candidates) {
    if (typeof candidate?.createSink === "function") return candidate.createSink as SinkFactory;
  }
  for (const candidate of candidates) {
    if (typeof candidate?.DocManager === "function") return docManagerFactory(candidate.DocManager as DocManagerClass);
  }
  throw new TributaryError(ErrorCode.SinkInvalid, `${where}: ${entry} (sink '${use}') exports neither createSink (a sink factory) nor DocManager (a mongo-connector-style class)`, { context: { configPath: where } });
}

function docManagerFactory(DocManagerClass: DocManagerClass): SinkFactory {
  return (options, context) => {
    const adapterOptions = parseDocManagerOptions(options, context.sinkName);
    return docManagerSink(context.sinkName, new DocManagerClass(options, context), { ...adapterOptions, positions: context.positions, logger: context.logger });
  };
}
