import { Command, Option } from "commander";
import type { MongoClient } from "mongodb";
import type * as ChangeStreamImages from "../source/change-stream-images.js";
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
 * post-images per collection (MongoDB 6.0+), which `source.fullDocument: required` needs.
 * Usage errors of the subcommands throw a `CommanderError` (as with `exitOverride()`), other
 * errors a `TributaryError`.
 */
export function imagesCommand(output: CommandOutput = STDOUT): Command {
  const images = withSharedBehaviour(
    new Command("images").description(
      "Change stream pre- and post-images (MongoDB 6.0+): the document before each change, and the post-image of each update that source.fullDocument: required reads",
    ),
  );
  const enable = tributaryCommand("enable", "Enable pre- and post-images on each collection (collMod; needs the collMod privilege). Enabling them twice is harmless.", {
    examples: ["tributary images enable shop.orders shop.customers --from 'mongodb://localhost/?replicaSet=rs0'", "tributary images enable shop.orders --config tributary.yml"],
  });
  images.addCommand(enable);
  enable
    .argument("<namespaces...>", "collections, as database.collection (e.g. shop.orders)")
    .addOption(fromOption())
    .action(async (namespaces: string[], flags: ImagesFlags) => {
      await withDeployment(namespaces, flags, async (client, images) => {
        for (const namespace of namespaces) {
          await images.enableChangeStreamImages(client, namespace);
          output.write(`${namespace}: pre- and post-images enabled\n`);
        }
      });
    });
  const status = tributaryCommand("status", "Show whether pre- and post-images are enabled on each collection", {
    examples: ["tributary images status shop.orders --from 'mongodb://localhost/?replicaSet=rs0'"],
  });
  images.addCommand(status);
  status
    .argument("<namespaces...>", "collections, as database.collection (e.g. shop.orders)")
    .addOption(fromOption())
    .action(async (namespaces: string[], flags: ImagesFlags) => {
      await withDeployment(namespaces, flags, async (client, images) => {
        for (const namespace of namespaces) {
          const enabled = await images.changeStreamImagesEnabled(client, namespace);
          output.write(`${namespace}: pre- and post-images ${enabled ? "enabled" : "not enabled"}\n`);
        }
      });
    });
  return images;
}

function fromOption(): Option {
  return new Option("--from <mongodb-uri>", "MongoDB connection string (a replica set or sharded cluster)").env("TRIBUTARY_MONGODB_URI");
}

type ImagesModule = typeof ChangeStreamImages;

/** Checks every namespace before connecting, then runs `work` with a connected client. */
async function withDeployment(namespaces: readonly string[], flags: ImagesFlags, work: (client: MongoClient, images: ImagesModule) => Promise<void>): Promise<void> {
  const source = await sourceSettings(flags);
  // Loaded on demand so that --help and usage errors do not pay for the driver.
  const images = await import("../source/change-stream-images.js");
  for (const namespace of namespaces) images.parseCollectionNamespace(namespace);
  const { connectMongo } = await import("../source/mongo-connection.js");
  const deployment = await connectMongo(source.uri, { serverSelectionTimeoutMs: source.serverSelectionTimeoutMs });
  try {
    await work(deployment.client, images);
  } finally {
    await deployment.client.close();
  }
}
