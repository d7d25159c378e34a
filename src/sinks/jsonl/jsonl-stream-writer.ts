import { once } from "node:events";
import type { Writable } from "node:stream";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";

/**
 * Writes lines to a stream it does not own (standard output): waits for each write to be
 * handed over and for `drain` when the stream's buffer is full, so a slow reader slows the
 * pipeline down instead of filling memory.
 */
export class JsonlStreamWriter {
  private failure: Error | undefined;
  private readonly onError = (error: Error): void => {
    this.failure ??= error;
  };

  constructor(
    private readonly stream: Writable,
    private readonly label: string,
    private readonly sinkName: string,
  ) {}

  open(): void {
    // Without a listener, an EPIPE (the reader went away) would crash the process.
    this.stream.on("error", this.onError);
  }

  async write(text: string): Promise<void> {
    try {
      if (this.failure) throw this.failure;
      let ready = true;
      const handedOver = new Promise<void>((resolve, reject) => {
        ready = this.stream.write(text, "utf8", (error) => (error ? reject(error) : resolve()));
      });
      const abandon = new AbortController();
      try {
        await Promise.all([handedOver, ready ? undefined : once(this.stream, "drain", { signal: abandon.signal })]);
      } finally {
        // Do not leave a 'drain' listener behind when the write failed first.
        abandon.abort();
      }
    } catch (error) {
      throw new TributaryError(ErrorCode.SinkFailed, `Sink '${this.sinkName}' cannot write to ${this.label}: ${(error as Error).message}`, {
        cause: error,
        context: { sink: this.sinkName, path: this.label },
      });
    }
  }

  close(): void {
    this.stream.off("error", this.onError);
  }
}
