// A TCP relay on 127.0.0.1 between a client and a PostgreSQL server, which can lose the reply to
// a COMMIT: the COMMIT reaches the server and commits, the reply does not reach the client, and
// the connection is cut. The client cannot tell whether its transaction committed.

import { createServer, connect, type Server, type Socket } from "node:net";

/** A simple-protocol Query message carrying `COMMIT`: 'Q', int32 length (4 + 7), "COMMIT\0". */
const COMMIT_MESSAGE = Buffer.from("Q\u0000\u0000\u0000\u000bCOMMIT\u0000", "latin1");

export interface TcpRelay {
  /** The port the relay listens on, on 127.0.0.1. */
  readonly port: number;
  /**
   * Lets the next COMMIT through and drops the server's reply, cutting that connection; resolves
   * once it has happened (the server answered, so the transaction committed).
   */
  loseNextCommitReply(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let armed: (() => void) | undefined;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    let losing: (() => void) | undefined;
    client.on("data", (chunk) => {
      if (armed && chunk.includes(COMMIT_MESSAGE)) {
        losing = armed;
        armed = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!losing) return void client.write(chunk);
      client.destroy();
      upstream.destroy();
      losing();
    });
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      from.on("error", () => to.destroy());
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the relay has no port");
  return {
    port: address.port,
    loseNextCommitReply: () => new Promise((resolve) => (armed = resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
