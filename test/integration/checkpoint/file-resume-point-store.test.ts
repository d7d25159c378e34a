import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileResumePointStore } from "../../../src/checkpoint/file-resume-point-store.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { makePosition } from "../../../src/core/position.js";
import { tokenAt } from "../../support/events.js";
import { failure } from "../../support/async-helpers.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tributary-file-store-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const first = makePosition(tokenAt(1_700_000_000, 7));
const second = makePosition(tokenAt(1_700_000_060, 1));

describe("FileResumePointStore", () => {
  it("loads nothing when the file does not exist", async () => {
    const store = new FileResumePointStore(join(dir, "missing", "audit.json"));
    expect(await store.load()).toBeUndefined();
    expect(store.description).toBe(`file ${join(dir, "missing", "audit.json")}`);
  });

  it("saves into directories it creates and loads the same position back", async () => {
    const path = join(dir, "positions", "nested", "audit.json");
    const store = new FileResumePointStore(path);
    await store.save(first);
    await store.save(second);

    const loaded = await new FileResumePointStore(path).load();
    expect(loaded?.key).toBe(second.key);
    expect(loaded?.resumeToken).toEqual(second.resumeToken);
    expect(loaded?.clusterTime.equals(second.clusterTime)).toBe(true);

    const record = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    expect(record).toEqual({
      resumeToken: tokenAt(1_700_000_060, 1)._data,
      // The whole token as canonical Extended JSON (with _typeBits when it has them).
      token: JSON.stringify({ _data: tokenAt(1_700_000_060, 1)._data }),
      clusterTime: { t: 1_700_000_060, i: 1 },
      date: "2023-11-14T22:14:20.000Z",
      savedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
    });
    expect(await readdir(join(dir, "positions", "nested"))).toEqual(["audit.json"]);
  });

  it("keeps the whole resume token, _typeBits included, and reads a file of an older version", async () => {
    const path = join(dir, "typebits.json");
    await new FileResumePointStore(path).save(makePosition(doubleIdToken()));
    const loaded = await new FileResumePointStore(path).load();
    expect(Buffer.from(loaded?.resumeToken._typeBits?.buffer ?? []).toString("hex")).toBe("40");
    const old = join(dir, "old.json");
    await writeFile(old, JSON.stringify({ resumeToken: first.resumeToken._data, clusterTime: { t: 1_700_000_000, i: 7 }, date: "2023-11-14T22:13:20.000Z" }));
    expect((await new FileResumePointStore(old).load())?.key).toBe(first.key);
  });

  it("reports a file that is not JSON as ResumePointUnreadable naming the path", async () => {
    const path = join(dir, "audit.json");
    await writeFile(path, "{ not json");
    const error = await failure(new FileResumePointStore(path).load());
    expect(error.code).toBe(ErrorCode.ResumePointUnreadable);
    expect(error.message).toMatch(new RegExp(`^The resume point file ${path} is not JSON \\(.+\\); fix or remove it to start from now$`));
    expect(error.context).toEqual({ store: `file ${path}`, path });
  });

  it("reports JSON that is not an object, or not a position, as ResumePointUnreadable", async () => {
    const path = join(dir, "audit.json");
    await writeFile(path, "[1, 2]");
    const notObject = await failure(new FileResumePointStore(path).load());
    expect([notObject.code, notObject.message]).toEqual([ErrorCode.ResumePointUnreadable, `The resume point file ${path} does not hold a JSON object; fix or remove it to start from now`]);

    await writeFile(path, JSON.stringify({ resumeToken: "82AB", clusterTime: { t: "soon" } }));
    const notPosition = await failure(new FileResumePointStore(path).load());
    expect([notPosition.code, notPosition.message]).toEqual([
      ErrorCode.ResumePointUnreadable,
      `The resume point stored in file ${path} is not one Tributary wrote (expected resumeToken, token and clusterTime {t, i}); fix or remove it to start from now`,
    ]);
  });

  it("reports a path it cannot read (a directory) as ResumePointUnreadable", async () => {
    const path = join(dir, "audit.json");
    await mkdir(path);
    const error = await failure(new FileResumePointStore(path).load());
    expect([error.code, error.message]).toEqual([ErrorCode.ResumePointUnreadable, `The resume point file ${path} cannot be read: EISDIR: illegal operation on a directory, read; fix or remove it to start from now`]);
  });

  it("fails with ResumePointWriteFailed when the directory cannot be created", async () => {
    const blocker = join(dir, "regular-file");
    await writeFile(blocker, "not a directory");
    const path = join(blocker, "positions", "audit.json");
    const error = await failure(new FileResumePointStore(path).save(first));
    expect(error.code).toBe(ErrorCode.ResumePointWriteFailed);
    expect(error.message).toBe(`Cannot save the resume point to ${path}: ENOTDIR: not a directory, mkdir '${join(blocker, "positions")}'`);
    expect(error.context).toEqual({ store: `file ${path}`, path });
  });

  it("leaves no temporary file behind when the rename fails, and keeps the old position", async () => {
    const path = join(dir, "audit.json");
    const store = new FileResumePointStore(path);
    await store.save(first);
    // A non-empty directory where the file was: the rename over it fails.
    await rm(path);
    await mkdir(join(path, "occupied"), { recursive: true });
    const error = await failure(store.save(second));
    expect(error.code).toBe(ErrorCode.ResumePointWriteFailed);
    expect(error.message).toMatch(new RegExp(`^Cannot save the resume point to ${path}: E(ISDIR|NOTEMPTY|EXIST)`));
    expect((await readdir(dir)).sort()).toEqual(["audit.json"]);
  });

  it.skipIf(process.getuid?.() === 0)("fails with ResumePointWriteFailed in a directory it may not write to", async () => {
    const locked = join(dir, "locked");
    await mkdir(locked);
    await chmod(locked, 0o500);
    try {
      const path = join(locked, "audit.json");
      const error = await failure(new FileResumePointStore(path).save(first));
      expect(error.code).toBe(ErrorCode.ResumePointWriteFailed);
      expect(error.message).toMatch(new RegExp(`^Cannot save the resume point to ${path}: EACCES: permission denied, open`));
      expect(await readdir(locked)).toEqual([]);
    } finally {
      await chmod(locked, 0o700);
    }
  });
});
