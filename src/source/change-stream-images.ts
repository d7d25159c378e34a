import { MongoNetworkError, MongoServerError, MongoServerSelectionError, type MongoClient } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { mapMongoError } from "./mongo-error-mapper.js";
import { MongoErrorCode } from "./mongo-error-codes.js";
import { redactSecrets } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import { collectionNamespaceProblem } from "./mongo-names.js";
import { splitNamespace } from "../core/change-event.js";
import { imagesSupport, type ImagesSupport } from "./images-support.js";
import { readFeatureCompatibilityVersion } from "./server-features.js";

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
 * Needs MongoDB 6.0+ (featureCompatibilityVersion 6.0+) and the `collMod` privilege on the
 * collection; on an older deployment it throws, saying what the deployment has instead. Enabling
 * it twice is harmless; on a collection with the older `recordPreImages` option the server
 * drops that option.
 * @public
 */
export async function enableChangeStreamImages(client: MongoClient, namespace: string): Promise<void> {
  const { db, coll } = parseCollectionNamespace(namespace);
  const support = await deploymentImagesSupport(client);
  if (support.kind !== "changeStreamPreAndPostImages") throw unsupported(client, namespace, support);
  try {
    await client.db(db).command({ collMod: coll, changeStreamPreAndPostImages: { enabled: true } });
  } catch (error) {
    throw imagesError(error, client, namespace, "collMod");
  }
}

/**
 * Turns on the `recordPreImages` collection option of MongoDB 4.4 and 5.x (`collMod`): each
 * update and delete writes the document before it into the oplog. Only for deployments where
 * {@link deploymentImagesSupport} says `recordPreImages`.
 * @internal
 */
export async function enableRecordPreImages(client: MongoClient, namespace: string): Promise<void> {
  const { db, coll } = parseCollectionNamespace(namespace);
  try {
    await client.db(db).command({ collMod: coll, recordPreImages: true });
  } catch (error) {
    throw imagesError(error, client, namespace, "collMod");
  }
}

/**
 * What the deployment can keep ({@link imagesSupport}), from its `buildInfo` (else the wire
 * version of `hello`), whether it is a mongos (`hello`) and featureCompatibilityVersion (when readable).
 * @internal
 */
export async function deploymentImagesSupport(client: MongoClient): Promise<ImagesSupport> {
  const admin = client.db("admin");
  const unreachable = (error: unknown): never => {
    throw mapMongoError(error, whereOf(client));
  };
  const buildInfo = await admin.command({ buildInfo: 1 }).catch((error: unknown) => {
    // Some deployments refuse buildInfo; the wire version of hello then says the release.
    if (error instanceof MongoServerSelectionError || error instanceof MongoNetworkError) unreachable(error);
    return undefined;
  });
  // hello came with 4.4.2 (and 4.2.10, 4.0.21); an older server answers only isMaster. Asked even
  // when buildInfo answered: a mongos (msg isdbgrid) has no recordPreImages before 6.0.
  const hello = await admin
    .command({ hello: 1 })
    .catch(() => admin.command({ isMaster: 1 }))
    .catch((error: unknown) => (buildInfo ? undefined : unreachable(error)));
  const featureCompatibilityVersion = await readFeatureCompatibilityVersion(admin);
  return imagesSupport({ ...(buildInfo ? { buildInfo } : {}), ...(hello ? { hello } : {}), ...(featureCompatibilityVersion ? { featureCompatibilityVersion } : {}) });
}

function unsupported(client: MongoClient, namespace: string, support: Exclude<ImagesSupport, { kind: "changeStreamPreAndPostImages" }>): TributaryError {
  const reason =
    support.kind === "none"
      ? support.reason
      : "change stream pre- and post-images need MongoDB 6.0 or later; this version has the recordPreImages collection option instead (tributary images enable sets it)";
  return new TributaryError(ErrorCode.ConfigInvalid, `MongoDB at ${whereOf(client)} is version ${support.version}: ${reason}`, { context: { namespace } });
}

/**
 * Whether pre- and post-images are enabled for a collection (its `listCollections` options).
 * Throws when the collection does not exist.
 * @public
 */
export async function changeStreamImagesEnabled(client: MongoClient, namespace: string): Promise<boolean> {
  return (await collectionImageOptions(client, namespace)).changeStreamPreAndPostImages?.enabled === true;
}

/**
 * The image options of a collection, as `listCollections` reports them: `changeStreamPreAndPostImages`
 * (6.0+) and `recordPreImages` (4.4 to 6.1). Throws when the collection does not exist.
 * @internal
 */
export async function collectionImageOptions(client: MongoClient, namespace: string): Promise<CollectionImageOptions> {
  const { db, coll } = parseCollectionNamespace(namespace);
  let found: { options?: CollectionImageOptions }[];
  try {
    found = await client.db(db).listCollections({ name: coll }, { nameOnly: false }).toArray();
  } catch (error) {
    throw imagesError(error, client, namespace, "listCollections");
  }
  if (found.length === 0) throw missingCollection(client, namespace);
  return found[0]?.options ?? {};
}

/** @internal */
export interface CollectionImageOptions {
  readonly changeStreamPreAndPostImages?: { readonly enabled?: boolean };
  readonly recordPreImages?: boolean;
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
