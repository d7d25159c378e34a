// A sink written the mongo-connector way: a DocManager class with one method per operation.
// It keeps each collection as one JSON file, <dir>/<db>.<collection>.json ({ id: document }).
// Load it by path:
//   sinks: [{ name: files, use: ./examples/docmanager-sink, options: { dir: ./out, values: plain } }]
// `values: plain` hands it plain JavaScript values (numbers, strings, Date, bigint, Buffer) instead
// of BSON wrappers, whose JSON.stringify is wrong ({"high":0,"low":5,"unsigned":false} for a Long).
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

export class DocManager {
  constructor(options, context) {
    if (typeof options.dir !== "string") throw new Error(`sinks.${context.sinkName}.options.dir: a directory is required`);
    if (options.values !== "plain") throw new Error(`sinks.${context.sinkName}.options.values: this DocManager writes JSON and needs plain values: set values: plain`);
    this.dir = resolve(context.baseDir, options.dir);
    this.uniqueKey = options.uniqueKey ?? "_id";
    this.collections = new Map(); // namespace → Map(id → document), written on commit()
    this.dirty = new Set();
  }

  async upsert(doc, namespace) {
    (await this.collection(namespace)).set(keyOf(doc[this.uniqueKey]), doc);
    this.dirty.add(namespace);
  }

  async bulkUpsert(docs, namespace) {
    for (const doc of docs) await this.upsert(doc, namespace);
  }

  async update(id, spec, namespace) {
    const docs = await this.collection(namespace);
    const doc = docs.get(keyOf(id));
    if (!doc) return; // not here yet: its insert comes with the snapshot
    for (const [path, value] of Object.entries(spec.$set ?? {})) setPath(doc, path, value);
    for (const path of Object.keys(spec.$unset ?? {})) setPath(doc, path, undefined);
    this.dirty.add(namespace);
  }

  async remove(id, namespace) {
    (await this.collection(namespace)).delete(keyOf(id));
    this.dirty.add(namespace);
  }

  // Commands come with the source's names, as in mongo-connector: mapNamespace gives the
  // target's (the `namespaces` option). Index and collection-option commands change no file.
  async handleCommand(command, namespace, _timestamp, { mapNamespace }) {
    const db = namespace.slice(0, namespace.indexOf("."));
    if (command.drop) await this.drop(mapNamespace(`${db}.${command.drop}`));
    if (command.renameCollection) {
      const [from, to] = [mapNamespace(command.renameCollection), mapNamespace(command.to)];
      await this.commit();
      await rename(this.file(from), this.file(to)).catch(ignoreMissing);
      this.collections.delete(from);
      this.collections.delete(to);
    }
    if (command.dropDatabase) {
      // Every file of the database, loaded or not (without a mapping: a mapped database's
      // collections have other names, which only a list of its collections could give).
      const files = await readdir(this.dir).catch(ignoreMissing);
      const names = new Set([...this.collections.keys(), ...(files ?? []).filter((file) => file.endsWith(".json")).map((file) => file.slice(0, -".json".length))]);
      for (const name of names) if (name.startsWith(`${db}.`)) await this.drop(name);
    }
  }

  async commit() {
    await mkdir(this.dir, { recursive: true });
    for (const namespace of this.dirty) {
      const docs = Object.fromEntries((await this.collection(namespace)).entries());
      await writeFile(`${this.file(namespace)}.tmp`, JSON.stringify(docs, jsonValue, 2));
      await rename(`${this.file(namespace)}.tmp`, this.file(namespace));
    }
    this.dirty.clear();
  }

  async getLastDoc() {
    return undefined;
  }

  async stop() {
    await this.commit();
  }

  async drop(namespace) {
    this.collections.delete(namespace);
    this.dirty.delete(namespace);
    await rm(this.file(namespace), { force: true });
  }

  async collection(namespace) {
    if (!this.collections.has(namespace)) {
      const text = await readFile(this.file(namespace), "utf8").catch(ignoreMissing);
      this.collections.set(namespace, new Map(Object.entries(text ? JSON.parse(text) : {})));
    }
    return this.collections.get(namespace);
  }

  file(namespace) {
    return join(this.dir, `${namespace}.json`);
  }
}

// A document's key in the file: its id as JSON, written as the values are (a bigint id, a Long
// beyond 2^53 - 1, as its digits: JSON.stringify alone throws on it).
function keyOf(id) {
  return JSON.stringify(id, jsonValue);
}

function ignoreMissing(error) {
  if (error.code !== "ENOENT") throw error;
  return undefined;
}

function setPath(doc, path, value) {
  const parts = path.split(".");
  const last = parts.pop();
  const parent = parts.reduce((node, part) => (node[part] ??= {}), doc);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
}

// The plain values JSON has no form for: a Long beyond 2^53 - 1 (a bigint) as its digits, bytes
// as base64 (not Buffer's {"type":"Buffer","data":[…]}), a RegExp as /pattern/flags (not {}).
// `this[key]` is the value before its own toJSON ran.
function jsonValue(key, value) {
  const original = this[key];
  if (typeof original === "bigint") return original.toString();
  if (Buffer.isBuffer(original)) return original.toString("base64");
  if (original instanceof RegExp) return original.toString();
  return value;
}
