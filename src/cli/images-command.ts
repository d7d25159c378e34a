import { Command, Option } from "commander";
import type { MongoClient } from "mongodb";
import type * as ChangeStreamImages from "../source/change-stream-images.js";
import type { CollectionImageOptions } from "../source/change-stream-images.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { tributaryCommand, withSharedBehaviour } from "./command-options.js";
import { sourceSettings, type SourceFlags } from "./source-settings.js";

/** The flags of `tributary images enable|status`, as commander parses them. */
export type ImagesFlags = SourceFlags;

/** Where the command's result lines go (standard output unless a test says otherwise). */
export interface CommandOutput {
  write(text: string): void;
}

const STDOUT: CommandOutput = { write: (text) => void process.stdout.write(text) };

/**
 * `tributary images enable|status <namespaces...>`: turn on, or show, change stream pre- and
 * post-images per collection (MongoDB 6.0+), which `source.fullDocument: required` needs; on
 * 4.4 and 5.x, the `recordPreImages` option, and what it does and does not give.
 * Usage errors of the subcommands throw a `CommanderError` (as with `exitOverride()`), other
 * errors a `TributaryError`.
 */
export function imagesCommand(output: CommandOutput = STDOUT): Command {
  const images = withSharedBehaviour(
    new Command("images").description(
      "Change stream pre- and post-images (MongoDB 6.0+): the document before each change, and the post-image of each update that source.fullDocument: required reads",
    ),
  );
  const enable = tributaryCommand(
    "enable",
    "Enable pre- and post-images on each collection (collMod; needs the collMod privilege): changeStreamPreAndPostImages on MongoDB 6.0+, the recordPreImages option (pre-images only) on 4.4 and 5.x. Enabling them twice is harmless.",
    {
      examples: ["tributary images enable shop.orders shop.customers --from 'mongodb://localhost/?replicaSet=rs0'", "tributary images enable shop.orders --config tributary.yml"],
    },
  );
  images.addCommand(enable);
  enable
    .argument("<namespaces...>", "collections, as database.collection (e.g. shop.orders)")
    .addOption(fromOption())
    .action(async (namespaces: string[], flags: ImagesFlags) => {
      await withDeployment(namespaces, flags, async (client, images, where) => {
        const support = await images.deploymentImagesSupport(client);
        if (support.kind === "none") {
          throw new TributaryError(ErrorCode.ConfigInvalid, `MongoDB at ${where} is version ${support.version}: ${support.reason}`);
        }
        for (const namespace of namespaces) {
          if (support.kind === "changeStreamPreAndPostImages") {
            await images.enableChangeStreamImages(client, namespace);
            output.write(`${namespace}: pre- and post-images enabled\n`);
          } else {
            await images.enableRecordPreImages(client, namespace);
            output.write(`${namespace}: pre-images recorded in the oplog (recordPreImages)\n`);
          }
        }
        if (support.kind === "recordPreImages") output.write(recordPreImagesNote(support.version));
      });
    });
  const status = tributaryCommand("status", "Show whether pre- and post-images (or, before 6.0, recordPreImages) are enabled on each collection", {
    examples: ["tributary images status shop.orders --from 'mongodb://localhost/?replicaSet=rs0'"],
  });
  images.addCommand(status);
  status
    .argument("<namespaces...>", "collections, as database.collection (e.g. shop.orders)")
    .addOption(fromOption())
    .action(async (namespaces: string[], flags: ImagesFlags) => {
      await withDeployment(namespaces, flags, async (client, images) => {
        const support = await images.deploymentImagesSupport(client);
        for (const namespace of namespaces) {
          const options = await images.collectionImageOptions(client, namespace);
          output.write(`${namespace}: ${imagesState(options, support.kind === "recordPreImages")}\n`);
        }
      });
    });
  return images;
}

/** What `images enable` did on 4.4 or 5.x, and what it means for a sync. */
function recordPreImagesNote(version: string): string {
  return (
    `note: MongoDB ${version} keeps pre-images only through recordPreImages: each update and delete writes the document before it into the oplog ` +
    "(more oplog space; gone when the oplog drops it). There are no post-images before 6.0: keep source.fullDocument: updateLookup. " +
    "Tributary asks its change streams for pre-images (source.fullDocumentBeforeChange) from MongoDB 6.0 on, so events carry no before on this version. " +
    "After upgrading to 6.0 with featureCompatibilityVersion 6.0, run tributary images enable again: it switches these collections to changeStreamPreAndPostImages " +
    "(6.2 removed recordPreImages).\n"
  );
}

function imagesState(options: CollectionImageOptions, recordsPreImages: boolean): string {
  if (recordsPreImages) return options.recordPreImages === true ? "pre-images recorded in the oplog (recordPreImages)" : "pre-images not recorded (recordPreImages not set)";
  if (options.changeStreamPreAndPostImages?.enabled === true) return "pre- and post-images enabled";
  // A collection set up on 4.4/5.x and upgraded: change streams of 6.0+ do not read it.
  return options.recordPreImages === true ? "pre- and post-images not enabled (recordPreImages is set, which change streams of MongoDB 6.0+ do not read)" : "pre- and post-images not enabled";
}

function fromOption(): Option {
  return new Option("--from <mongodb-uri>", "MongoDB connection string (a replica set or sharded cluster)").env("TRIBUTARY_MONGODB_URI");
}

type ImagesModule = typeof ChangeStreamImages;

/** Checks every namespace before connecting, then runs `work` with a connected client. */
async function withDeployment(namespaces: readonly string[], flags: ImagesFlags, work: (client: MongoClient, images: ImagesModule, where: string) => Promise<void>): Promise<void> {
  const source = await sourceSettings(flags);
  // Loaded on demand so that --help and usage errors do not pay for the driver.
  const images = await import("../source/change-stream-images.js");
  for (const namespace of namespaces) images.parseCollectionNamespace(namespace);
  const { connectMongo } = await import("../source/mongo-connection.js");
  const deployment = await connectMongo(source.uri, { serverSelectionTimeoutMs: source.serverSelectionTimeoutMs });
  try {
    await work(deployment.client, images, deployment.where);
  } finally {
    await deployment.client.close();
  }
}
