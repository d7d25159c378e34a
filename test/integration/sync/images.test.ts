import { Command } from "commander";
import type { MongoClient } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { imagesCommand } from "../../../src/cli/images-command.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { changeStreamImagesEnabled, enableChangeStreamImages } from "../../../src/source/change-stream-images.js";
import { describeWithMongo, requireMongo } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";

/** Runs `tributary images …` in process, as main.ts wires it, and returns what it printed. */
async function runImages(args: readonly string[]): Promise<string> {
  let printed = "";
  const program = new Command("tributary").exitOverride();
  program.addCommand(imagesCommand({ write: (text) => (printed += text) }).exitOverride());
  await program.parseAsync(["images", ...args], { from: "user" });
  return printed;
}

describe("tributary images: usage errors", () => {
  const saved = process.env.TRIBUTARY_MONGODB_URI;
  afterEach(() => {
    if (saved === undefined) delete process.env.TRIBUTARY_MONGODB_URI;
    else process.env.TRIBUTARY_MONGODB_URI = saved;
  });

  it("needs --from (or TRIBUTARY_MONGODB_URI)", async () => {
    delete process.env.TRIBUTARY_MONGODB_URI;
    await expect(runImages(["enable", "shop.orders"])).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: "Invalid configuration: source.uri is required (set it with --from, TRIBUTARY_MONGODB_URI or in a --config file)",
    });
  });

  it("checks every namespace before connecting", async () => {
    // Nothing listens on port 1: a connection attempt would fail differently, and slowly.
    await expect(runImages(["status", "shop.orders", "shop", "--from", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=60000"])).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: "Invalid collection namespace: 'shop' is not database.collection; name a collection as database.collection, e.g. shop.orders",
    });
  });
});

describeWithMongo("tributary images", () => {
  const mongo = useMongoClient();
  let client: MongoClient;
  let major: number;
  let minor: number;
  const version44OrLater = (): boolean => major > 4 || (major === 4 && minor >= 4);

  beforeAll(async () => {
    client = mongo.client();
    major = Number.parseInt(requireMongo().version, 10);
    minor = Number.parseInt(requireMongo().version.split(".")[1] ?? "0", 10);
    await client.db("images1").dropDatabase();
    await client.db("images1").createCollection("orders");
    await client.db("images1").createCollection("users");
  });

  it("before 4.4: refuses, saying there are no images and what to keep", async () => {
    if (version44OrLater()) return;
    await expect(runImages(["enable", "images1.orders", "--from", mongo.uri()])).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: expect.stringMatching(/is version .+: change stream pre- and post-images need MongoDB 6\.0 or later \(4\.4 and 5\.x have the recordPreImages collection option/),
    });
  });

  it("on 4.4 and 5.x: sets recordPreImages, says what it gives, and shows it", async () => {
    if (major >= 6 || !version44OrLater()) return;
    const uri = mongo.uri();
    expect(await runImages(["status", "images1.orders", "images1.users", "--from", uri])).toBe(
      "images1.orders: pre-images not recorded (recordPreImages not set)\nimages1.users: pre-images not recorded (recordPreImages not set)\n",
    );
    const printed = await runImages(["enable", "images1.orders", "--from", uri]);
    expect(printed).toMatch(/^images1\.orders: pre-images recorded in the oplog \(recordPreImages\)\nnote: MongoDB .+ keeps pre-images only through recordPreImages/);
    expect(printed).toContain("keep source.fullDocument: updateLookup");
    expect(await runImages(["enable", "images1.orders", "--from", uri])).toMatch(/^images1\.orders: pre-images recorded in the oplog/);
    expect(await runImages(["status", "images1.orders", "images1.users", "--from", uri])).toBe(
      "images1.orders: pre-images recorded in the oplog (recordPreImages)\nimages1.users: pre-images not recorded (recordPreImages not set)\n",
    );
    const [info] = await client.db("images1").listCollections({ name: "orders" }).toArray();
    expect((info as { options?: unknown } | undefined)?.options).toEqual({ recordPreImages: true });
    // The library function names what this version has instead.
    await expect(enableChangeStreamImages(client, "images1.users")).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: expect.stringMatching(/this version has the recordPreImages collection option instead/),
    });
  });

  it("enables pre- and post-images and shows them enabled", async () => {
    const uri = mongo.uri();
    if (major < 6) return;
    expect(await runImages(["status", "images1.orders", "images1.users", "--from", uri])).toBe(
      "images1.orders: pre- and post-images not enabled\nimages1.users: pre- and post-images not enabled\n",
    );
    expect(await runImages(["enable", "images1.orders", "--from", uri])).toBe("images1.orders: pre- and post-images enabled\n");
    // Enabling twice is harmless.
    expect(await runImages(["enable", "images1.orders", "--from", uri])).toBe("images1.orders: pre- and post-images enabled\n");
    expect(await runImages(["status", "images1.orders", "images1.users", "--from", uri])).toBe(
      "images1.orders: pre- and post-images enabled\nimages1.users: pre- and post-images not enabled\n",
    );
    const [info] = await client.db("images1").listCollections({ name: "orders" }).toArray();
    expect((info as { options?: unknown } | undefined)?.options).toEqual({ changeStreamPreAndPostImages: { enabled: true } });
  });

  it("works as a library too", async () => {
    if (major < 6) return;
    await enableChangeStreamImages(client, "images1.users");
    expect(await changeStreamImagesEnabled(client, "images1.users")).toBe(true);
  });

  it("says so when the collection does not exist", async () => {
    const missing = { code: ErrorCode.ConfigInvalid, message: expect.stringMatching(/^Collection images1\.missing does not exist at .+; create it first \(or check the name\)$/) };
    await expect(runImages(["status", "images1.missing", "--from", mongo.uri()])).rejects.toMatchObject(missing);
    await expect(changeStreamImagesEnabled(client, "images1.missing")).rejects.toMatchObject(missing);
    if (version44OrLater()) await expect(runImages(["enable", "images1.missing", "--from", mongo.uri()])).rejects.toMatchObject(missing);
  });
});
