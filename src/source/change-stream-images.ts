import { MongoNetworkError, MongoServerError, MongoServerSelectionError, type MongoClient } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { mapMongoError } from "./mongo-error-mapper.js";
import { MongoErrorCode } from "./mongo-error-codes.js";
import { redactSecrets } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import { collectionNamespaceProblem } from "./mongo-names.js";
import { splitNamespace } from "../core/change-event.js";

const FIRST_VERSION_WITH_IMAGES = 6;

/**
 * The parts of a collection namespace (`db.coll`), or a clear error for anything else
 * (`shop`, `shop.`, `a b.c`, `shop.$x`).
 * @internal
 */
export function parseCollectionNamespace(namespace: string): { db: string; coll: string } {
  const problem = collectionNamespaceProblem(namespace);
  if (problem) {
    throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid collection namespace: ${problem}; name a collection as database.collection, e.g. shop.orders`, {
      context: { namespace },
    });
  }
  return splitNamespace(namespace);
}

/**
 * Turns on pre- and post-images for a collection (`collMod` with
 * `changeStreamPreAndPostImages: { enabled: true }`), so that change streams can carry the
 * document before each change and the post-image of each update (`fullDocument: required`).
 * Needs MongoDB 6.0+ and the `collMod` privilege on the collection. Enabling it twice is harmless.
 * @public
 */
export async function enableChangeStreamImages(client: MongoClient, namespace: string): Promise<void> {
  const { db, coll } = parseCollectionNamespace(namespace);
  const version = await serverVersion(client);
  if (version !== undefined && Number.parseInt(version, 10) < FIRST_VERSION_WITH_IMAGES) {
    throw new TributaryError(
      ErrorCode.ConfigInvalid,
      `MongoDB at ${whereOf(client)} is version ${version}; change stream pre- and post-images need MongoDB 6.0 or later (with older servers, keep source.fullDocument: updateLookup)`,
      { context: { namespace } },
    );
  }
  try {
    await client.db(db).command({ collMod: coll, changeStreamPreAndPostImages: { enabled: true } });
  } catch (error) {
    throw imagesError(error, client, namespace, "collMod");
  }
}

/**
 * Whether pre- and post-images are enabled for a collection (its `listCollections` options).
 * Throws when the collection does not exist.
 * @public
 */
export async function changeStreamImagesEnabled(client: MongoClient, namespace: string): Promise<boolean> {
  const { db, coll } = parseCollectionNamespace(namespace);
  let found: { options?: { changeStreamPreAndPostImages?: { enabled?: boolean } } }[];
  try {
    found = await client.db(db).listCollections({ name: coll }, { nameOnly: false }).toArray();
  } catch (error) {
    throw imagesError(error, client, namespace, "listCollections");
  }
  if (found.length === 0) throw missingCollection(client, namespace);
  return found[0]?.options?.changeStreamPreAndPostImages?.enabled === true;
}

async function serverVersion(client: MongoClient): Promise<string | undefined> {
  try {
    const info = await client.db("admin").command({ buildInfo: 1 });
    return typeof info.version === "string" ? info.version : undefined;
  } catch (error) {
    // Some deployments refuse buildInfo; collMod itself then says what is wrong.
    if (error instanceof MongoServerSelectionError || error instanceof MongoNetworkError) throw mapMongoError(error, whereOf(client));
    return undefined;
  }
}

function imagesError(error: unknown, client: MongoClient, namespace: string, action: "collMod" | "listCollections"): TributaryError {
  const where = whereOf(client);
  if (error instanceof MongoServerError && error.code === MongoErrorCode.NamespaceNotFound) return missingCollection(client, namespace);
  if (error instanceof MongoServerError && error.code === MongoErrorCode.Unauthorized) {
    return new TributaryError(
      ErrorCode.MongoUnauthorized,
      `MongoDB at ${where} refused ${action} on ${namespace}: the user needs the '${action}' action on it (the dbAdmin role on ${splitNamespace(namespace).db} has it)`,
      { cause: error, context: { namespace } },
    );
  }
  if (!(error instanceof MongoServerError) || error.code === MongoErrorCode.AuthenticationFailed) return mapMongoError(error, where);
  const detail = redactSecrets(error.message);
  return new TributaryError(ErrorCode.ChangeStreamFailed, `Cannot ${action === "collMod" ? "enable" : "read"} the pre- and post-images setting of ${namespace} at ${where}: ${detail}`, {
    cause: error,
    context: { namespace },
  });
}

function missingCollection(client: MongoClient, namespace: string): TributaryError {
  return new TributaryError(ErrorCode.ConfigInvalid, `Collection ${namespace} does not exist at ${whereOf(client)}; create it first (or check the name)`, {
    context: { namespace },
  });
}

/** The hosts of a client, for messages: never its credentials. */
function whereOf(client: MongoClient): string {
  const hosts = client.options.hosts.map((host) => host.toString());
  return hosts.length > 0 ? hosts.join(",") : "the deployment";
}
