import { BSON, type Document, type MongoClient } from "mongodb";
import { splitNamespace } from "../../core/change-event.js";
import type { Position } from "../../core/position.js";
import type { ResumePointStore } from "../../core/resume-point-store.js";
import type { ExpectedFingerprint, HeldFingerprint, Verifiable } from "../../core/sink.js";
import { keyText } from "../../codec/key-text.js";
import { idFromKeyText } from "../../codec/key-text-parse.js";
import { LOSSLESS_BSON_OPTIONS } from "../../source/mongo-connection.js";
import type { TargetNamespaces } from "./target-namespaces.js";

const IDS_PER_QUERY = 1_000;

/**
 * The `verifiable` capability of the `mongodb` sink. The sink writes each document as it was read
 * (a replacement by `_id`), so a document is held right when the target's is the same BSON
 * document: same fields in the same order, same types. Its canonical text is canonical Extended
 * JSON (`relaxed: false`), which keeps every type (Int32 vs Long vs Double) and the field order;
 * both sides are read without type promotion. The sink sets no document aside, so it has no dead
 * letters.
 */
export class MongoVerifiable implements Verifiable {
  constructor(
    private readonly client: MongoClient,
    private readonly targets: TargetNamespaces,
    private readonly positions: ResumePointStore,
  ) {}

  expected(_namespace: string, docs: readonly Document[]): Promise<ExpectedFingerprint[]> {
    return Promise.resolve(docs.map((doc) => fingerprint(doc)));
  }

  /**
   * The target collection's documents in chunks of at most `chunkSize`, each also ending where the
   * server's batch ended: the server adds a document to a batch only while the batch stays within
   * 16 MiB, or when it is the first (`FindCommon::haveSpaceForNext`,
   * src/mongo/db/query/find_common.cpp). So a chunk of large documents holds about 16 MiB of
   * them (and their canonical texts), not `chunkSize` of them.
   */
  async *held(namespace: string, chunkSize: number, signal?: AbortSignal): AsyncGenerator<HeldFingerprint[]> {
    const cursor = this.collection(namespace).find({}, { ...LOSSLESS_BSON_OPTIONS, batchSize: chunkSize });
    try {
      let chunk: HeldFingerprint[] = [];
      for await (const doc of cursor) {
        if (signal?.aborted) return;
        chunk.push(fingerprint(doc));
        // The driver asks for the next batch only once the one it holds is used up.
        if (chunk.length >= chunkSize || cursor.bufferedCount() === 0) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
    } finally {
      await cursor.close();
    }
  }

  async heldKeys(namespace: string, keys: readonly string[]): Promise<HeldFingerprint[]> {
    const wanted = new Set(keys);
    const found: HeldFingerprint[] = [];
    for (let start = 0; start < keys.length; start += IDS_PER_QUERY) {
      const ids = keys.slice(start, start + IDS_PER_QUERY).map(idFromKeyText);
      // `$in` matches numbers by value whatever their type; keys compare by text afterwards.
      for (const doc of await this.collection(namespace).find({ _id: { $in: ids } } as Document, LOSSLESS_BSON_OPTIONS).toArray()) {
        const held = fingerprint(doc);
        if (wanted.has(held.key)) found.push(held);
      }
    }
    return found;
  }

  deadLetterKeys(): Promise<ReadonlySet<string>> {
    return Promise.resolve(new Set());
  }

  syncedTo(): Promise<Position | undefined> {
    return this.positions.load();
  }

  private collection(namespace: string) {
    const target = this.targets.of(splitNamespace(namespace));
    return this.client.db(target.db).collection(target.coll);
  }
}

function fingerprint(doc: Document): HeldFingerprint {
  return { key: keyText(doc._id), id: doc._id as unknown, canonical: BSON.EJSON.stringify(doc, { relaxed: false }) };
}
