import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import type { Position } from "../core/position.js";
import { positionFromRecord, positionToRecord } from "./position-record.js";
import type { ResumePointStore } from "../core/resume-point-store.js";

/**
 * Keeps the position in a JSON file (`resumeToken`, `token`, `clusterTime`, `date`, `savedAt`). Each
 * save writes a temporary file beside it, flushes it to disk and renames it over the old one,
 * so a crash leaves either the old position or the new one, never a torn file.
 * @public
 */
export class FileResumePointStore implements ResumePointStore {
  readonly path: string;
  readonly description: string;

  constructor(path: string) {
    this.path = path;
    this.description = `file ${path}`;
  }

  async load(): Promise<Position | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw this.unreadable(`cannot be read: ${(error as Error).message}`, error);
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw this.unreadable(`is not JSON (${(error as Error).message})`, error);
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) throw this.unreadable("does not hold a JSON object");
    return positionFromRecord(record, this.description);
  }

  async save(position: Position): Promise<void> {
    const directory = dirname(this.path);
    const temporary = join(directory, `.${basename(this.path)}.${randomBytes(6).toString("hex")}.tmp`);
    const text = `${JSON.stringify({ ...positionToRecord(position), savedAt: new Date().toISOString() }, null, 2)}\n`;
    let written = false;
    try {
      await mkdir(directory, { recursive: true });
      const file = await open(temporary, "w");
      written = true;
      try {
        await file.writeFile(text, "utf8");
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, this.path);
      written = false;
      // The rename is durable only once the directory entry is flushed too.
      await syncDirectory(directory);
    } catch (error) {
      if (written) await unlink(temporary).catch(() => undefined);
      throw new TributaryError(ErrorCode.ResumePointWriteFailed, `Cannot save the resume point to ${this.path}: ${(error as Error).message}`, {
        cause: error,
        context: { store: this.description, path: this.path },
      });
    }
  }

  async close(): Promise<void> {
    // Nothing stays open between saves.
  }

  private unreadable(problem: string, cause?: unknown): TributaryError {
    return new TributaryError(ErrorCode.ResumePointUnreadable, `The resume point file ${this.path} ${problem}; fix or remove it to start from now`, {
      cause,
      context: { store: this.description, path: this.path },
    });
  }
}

/** Directories cannot be opened for fsync on some platforms (Windows): there, the rename has to do. */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(["EISDIR", "EPERM", "EACCES", "EINVAL", "ENOTSUP"]);

async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
  } finally {
    await handle?.close();
  }
}
