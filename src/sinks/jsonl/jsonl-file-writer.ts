import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import type { Logger } from "../../core/logger.js";

const TAIL_CHUNK = 64 * 1024;

/**
 * Appends lines to a file and flushes them to disk before resolving, so the position saved
 * after a write never runs ahead of the file.
 */
export class JsonlFileWriter {
  private file: FileHandle | undefined;

  constructor(
    private readonly path: string,
    private readonly sinkName: string,
    private readonly logger: Logger,
  ) {}

  async open(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      this.file = await open(this.path, "a+");
      await this.dropPartialLine(this.file);
    } catch (error) {
      await this.close().catch(() => undefined);
      throw this.failed("open", error);
    }
  }

  async write(text: string): Promise<void> {
    if (!this.file) throw new Error("JsonlFileWriter.write called before open()");
    try {
      await this.file.writeFile(text, "utf8");
      await this.file.sync();
    } catch (error) {
      throw this.failed("write to", error);
    }
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  /**
   * A crash in the middle of a write leaves half a line at the end. Its batch was never
   * confirmed, so it is written again after the restart: cut the fragment off so that
   * every line of the file stays valid JSON.
   */
  private async dropPartialLine(file: FileHandle): Promise<void> {
    const { size } = await file.stat();
    if (size === 0) return;
    let end = size;
    const buffer = Buffer.alloc(TAIL_CHUNK);
    while (end > 0) {
      const start = Math.max(0, end - TAIL_CHUNK);
      const { bytesRead } = await file.read(buffer, 0, end - start, start);
      const newline = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline !== -1) {
        if (start + newline + 1 < size) await this.truncate(file, start + newline + 1, size);
        return;
      }
      end = start;
    }
    await this.truncate(file, 0, size);
  }

  private async truncate(file: FileHandle, length: number, size: number): Promise<void> {
    this.logger.warn({ sink: this.sinkName, path: this.path, droppedBytes: size - length }, "the file ends in an incomplete line (a write was interrupted); removed it, its changes are written again");
    await file.truncate(length);
    await file.sync();
  }

  private failed(action: string, error: unknown): TributaryError {
    return new TributaryError(ErrorCode.SinkFailed, `Sink '${this.sinkName}' cannot ${action} ${this.path}: ${(error as Error).message}`, {
      cause: error,
      context: { sink: this.sinkName, path: this.path },
    });
  }
}
