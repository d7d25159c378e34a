import { MongoClient, MongoNetworkError, MongoServerSelectionError, type Collection } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { redactSecrets, redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import type { Position } from "../core/position.js";
import { positionFromRecord, positionToRecord, type PositionRecord } from "./position-record.js";
import type { ResumePointStore } from "../core/resume-point-store.js";

/** @public */
export interface MongoResumePointStoreOptions {
  /** A client of your own; it is left open by `close()`. */
  readonly client?: MongoClient;
  /** Or a connection string: the store makes its client (connecting at the first load or save) and closes it. */
  readonly uri?: string;
  /** Default `tributary`. */
  readonly database?: string;
  /** Default `positions`. */
  readonly collection?: string;
  /** Tells this position from the others kept in the same collection (e.g. `pipeline/sink`). */
  readonly key: string;
}

/** The stored document: one per key. */
interface PositionDocument extends PositionRecord {
  readonly _id: string;
  readonly savedAt: Date;
}

/**
 * Keeps the position in a MongoDB collection, one document per key:
 * `{ _id: key, resumeToken, token, clusterTime: { t, i }, date, savedAt }`, replaced with write
 * concern `majority` so that a saved position survives a failover. The layout mongowatch
 * users know from its resume-token collection.
 * @public
 */
export class MongoResumePointStore implements ResumePointStore {
  readonly description: string;
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly collection: Collection<PositionDocument>;
  private readonly key: string;

  constructor(options: MongoResumePointStoreOptions) {
    const database = options.database ?? "tributary";
    const collection = options.collection ?? "positions";
    const where = options.uri === undefined ? "" : ` at ${redactSecrets(options.uri)}`;
    this.description = `MongoDB collection ${database}.${collection}${where} (key ${JSON.stringify(options.key)})`;
    this.key = options.key;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else if (options.uri !== undefined) {
      this.client = createClient(options.uri);
      this.ownsClient = true;
    } else {
      throw new TributaryError(ErrorCode.ConfigInvalid, "A MongoDB resume point store needs a client or a connection string (uri)", { context: { store: this.description } });
    }
    this.collection = this.client.db(database).collection<PositionDocument>(collection);
  }

  async load(): Promise<Position | undefined> {
    let stored: PositionDocument | null;
    try {
      await this.client.connect();
      stored = await this.collection.findOne({ _id: this.key });
    } catch (error) {
      throw new TributaryError(unreachable(error) ? ErrorCode.MongoUnreachable : ErrorCode.ResumePointUnreadable, `Cannot read the resume point from ${this.description}: ${redactedMessage(error)}`, {
        cause: error,
        context: { store: this.description },
      });
    }
    return stored === null ? undefined : positionFromRecord(stored, this.description);
  }

  async save(position: Position): Promise<void> {
    const document: PositionDocument = { _id: this.key, ...positionToRecord(position), savedAt: new Date() };
    try {
      // A no-op while connected; after a failed attempt the driver would not reconnect by itself.
      await this.client.connect();
      await this.collection.replaceOne({ _id: this.key }, document, { upsert: true, writeConcern: { w: "majority" } });
    } catch (error) {
      throw new TributaryError(unreachable(error) ? ErrorCode.MongoUnreachable : ErrorCode.ResumePointWriteFailed, `Cannot save the resume point to ${this.description}: ${redactedMessage(error)}`, {
        cause: error,
        context: { store: this.description },
      });
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}

function createClient(uri: string): MongoClient {
  try {
    return new MongoClient(uri, { appName: "tributary" });
  } catch (error) {
    throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid MongoDB connection string ${redactSecrets(uri)} for the resume point store: ${redactedMessage(error)}`, { cause: error });
  }
}

/**
 * Whether the store's server cannot be reached for now (no server selectable, the network
 * failed): then the error says `TRIB_MONGO_UNREACHABLE`, which start-up waits on and a sink's
 * save retries.
 */
function unreachable(error: unknown): boolean {
  return error instanceof MongoServerSelectionError || error instanceof MongoNetworkError;
}
