import { MongoClient } from "mongodb";
import { ErrorCode } from "../../core/error-codes.js";
import { redactSecrets, redactedMessage } from "../../core/redact.js";
import { TributaryError } from "../../core/tributary-error.js";
import { mongoClientOptions } from "../../source/mongo-connection.js";
import { atLeastOnceSink } from "../at-least-once-sink.js";
import type { Sink, SinkFactory } from "../../core/sink.js";
import { MongoEventWriter } from "./mongodb-event-writer.js";
import { parseMongoSinkOptions, type MongoSinkOptions } from "./mongodb-sink-options.js";
import { TargetNamespaces } from "./target-namespaces.js";
import { MongoVerifiable } from "./mongodb-verifiable.js";

/**
 * The built-in `mongodb` sink: replicates the stream into another MongoDB deployment, or
 * into other namespaces of the same one (`database`, `namespaces`). Each batch is written
 * (bulk upserts and deletes by `_id`, drops, renames) with the configured write
 * concern, then its position is saved: at-least-once, and every write is idempotent, so a
 * replay after a crash converges to the same documents.
 *
 * Building the sink validates its options and connects nothing; `open()` connects.
 * @public
 */
export const createMongoSink: SinkFactory = (options, context): Sink => {
  const parsed = parseMongoSinkOptions(options, context.sinkName);
  const where = redactSecrets(parsed.uri);
  const client = createTargetClient(parsed, context.sinkName, where);
  const targets = new TargetNamespaces(parsed);
  const writer = new MongoEventWriter({
    sink: context.sinkName,
    client,
    where,
    targets,
    writeConcern: { w: parsed.writeConcern },
    positions: context.positions,
    logger: context.logger,
  });
  return { ...atLeastOnceSink(context.sinkName, writer, context.positions, { retry: context.retry, logger: context.logger }), capabilities: { verifiable: new MongoVerifiable(client, targets, context.positions) } };
};

/**
 * A plain client, not the source's `connectMongo`: a target need not be a replica set. Writes do
 * not depend on the BSON promotion flags (verify reads back with the lossless ones); the documents keep the
 * `Int32`/`Long`/`Double`/`Decimal128` wrappers the source read them with, and are written
 * with exactly those types.
 */
function createTargetClient(options: MongoSinkOptions, sinkName: string, where: string): MongoClient {
  try {
    return new MongoClient(options.uri, mongoClientOptions(options.uri, options.serverSelectionTimeoutMs));
  } catch (error) {
    const reason = redactedMessage(error);
    throw new TributaryError(ErrorCode.SinkInvalid, `Invalid options for sink '${sinkName}': sinks.${sinkName}.options.uri: ${where} is not a usable MongoDB connection string (${reason})`, {
      cause: error,
      context: { sink: sinkName, configPath: `sinks.${sinkName}.options.uri` },
    });
  }
}
