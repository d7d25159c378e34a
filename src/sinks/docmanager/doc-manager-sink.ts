import type { ResumePointStore } from "../../core/resume-point-store.js";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import type { Logger } from "../../core/logger.js";
import type { ChangeEvent } from "../../core/change-event.js";
import { atLeastOnceSink } from "../at-least-once-sink.js";
import type { Sink } from "../../core/sink.js";
import type { DocManager, DocManagerOptions } from "./doc-manager.js";
import { planDocManagerOperations, type DocManagerOperation } from "./doc-manager-operations.js";
import { plainOperation } from "./doc-manager-values.js";
import { namespaceEntryProblem, namespaceMap, sharedTarget, type NamespaceMap } from "./namespace-mapping.js";

const DEFAULT_CHUNK_SIZE = 500;

/**
 * Turns a mongo-connector-style DocManager into a sink: inserts and replaces become
 * `upsert`/`bulkUpsert`, updates `update(id, spec)`, deletes `remove`, every command event
 * `handleCommand`; namespaces mapped by `options.namespaces`, values converted when
 * `options.values` is `"plain"`. The position is saved after `commit()`, so at-least-once: a crash replays
 * the changes since the last saved position.
 * @public
 */
export function docManagerSink(name: string, docManager: DocManager, options: DocManagerOptions & { readonly positions: ResumePointStore; readonly logger: Logger }): Sink {
  checkDocManager(name, docManager);
  const mapNamespace = checkedNamespaceMap(name, options.namespaces ?? {});
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const abilities = { update: typeof docManager.update === "function", uniqueKey: options.uniqueKey ?? "_id", chunkSize, mapNamespace };
  const asDelivered = options.values === "plain" ? (operation: DocManagerOperation) => plainOperation(operation, { largeLongs: options.largeLongs }) : (operation: DocManagerOperation) => operation;
  const commitEveryMs = options.autoCommitInterval === undefined ? undefined : options.autoCommitInterval * 1000;
  let lastCommit = Date.now();
  const commit = async (): Promise<void> => {
    await docManager.commit?.();
    lastCommit = Date.now();
  };
  const call = async (operation: DocManagerOperation): Promise<void> => {
    try {
      await callOperation(docManager, asDelivered(operation), mapNamespace);
    } catch (cause) {
      throw new TributaryError(ErrorCode.SinkFailed, `Sink '${name}': the DocManager's ${methodOf(operation, docManager)} failed on ${operation.namespace}: ${(cause as Error).message}`, {
        cause,
        context: { sink: name, namespace: operation.namespace },
      });
    }
  };
  return atLeastOnceSink(
    name,
    {
      async open(_signal, stored): Promise<void> {
        if (stored !== undefined || !docManager.getLastDoc) return;
        const last = await docManager.getLastDoc();
        if (last) {
          options.logger.warn({ sink: name, lastDocumentId: String(last._id ?? last[abilities.uniqueKey]) }, "the target already holds documents but no position is stored: changes made before now are not replayed into it");
        }
      },
      async write(events: readonly ChangeEvent[]): Promise<void> {
        for (const operation of planDocManagerOperations(events, abilities)) {
          await call(operation);
          if (commitEveryMs !== undefined && Date.now() - lastCommit >= commitEveryMs) await commit();
        }
        await commit();
      },
      async close(): Promise<void> {
        await docManager.stop?.();
      },
    },
    options.positions,
    { logger: options.logger },
  );
}

async function callOperation(docManager: DocManager, operation: DocManagerOperation, mapNamespace: NamespaceMap): Promise<void> {
  switch (operation.kind) {
    case "upsert":
      if (docManager.bulkUpsert && operation.docs.length > 1) {
        await docManager.bulkUpsert(operation.docs, operation.namespace, operation.timestamp);
      } else {
        for (const doc of operation.docs) await docManager.upsert(doc, operation.namespace, operation.timestamp);
      }
      return;
    case "update":
      await docManager.update?.(operation.id, operation.spec, operation.namespace, operation.timestamp);
      return;
    case "remove":
      await docManager.remove(operation.id, operation.namespace, operation.timestamp);
      return;
    case "command":
      await docManager.handleCommand?.(operation.command, operation.namespace, operation.timestamp, { event: operation.event, mapNamespace });
      return;
  }
}

function methodOf(operation: DocManagerOperation, docManager: DocManager): string {
  if (operation.kind === "upsert") return docManager.bulkUpsert && operation.docs.length > 1 ? "bulkUpsert" : "upsert";
  return operation.kind === "command" ? "handleCommand" : operation.kind;
}

function checkDocManager(name: string, docManager: DocManager): void {
  const missing = (["upsert", "remove"] as const).filter((method) => typeof docManager[method] !== "function");
  if (missing.length > 0) {
    throw new TributaryError(ErrorCode.SinkInvalid, `Sink '${name}': a DocManager needs the method${missing.length > 1 ? "s" : ""} ${missing.join(" and ")}`, { context: { sink: name } });
  }
}

function checkedNamespaceMap(name: string, entries: Readonly<Record<string, string>>): NamespaceMap {
  for (const [source, target] of Object.entries(entries)) {
    const problem = namespaceEntryProblem(source, target);
    if (problem) {
      throw new TributaryError(ErrorCode.SinkInvalid, `Sink '${name}': namespaces ${JSON.stringify(source)}: ${JSON.stringify(target)}: ${problem}`, {
        context: { sink: name, configPath: `sinks.${name}.options.namespaces` },
      });
    }
  }
  const shared = sharedTarget(entries);
  if (shared) {
    const [first, second] = shared.sources.map((source) => JSON.stringify(source));
    throw new TributaryError(ErrorCode.SinkInvalid, `Sink '${name}': namespaces ${first} and ${second} both map to ${JSON.stringify(shared.target)} (many collections cannot share one name)`, {
      context: { sink: name, configPath: `sinks.${name}.options.namespaces` },
    });
  }
  return namespaceMap(entries);
}
