// A TCP relay on 127.0.0.1 between a client and a PostgreSQL server, which can cut a connection
// at a COMMIT in two ways: the reply lost (the COMMIT reaches the server and commits, its answer
// never reaches the client, the connection is cut) or a black hole (from the COMMIT on, nothing
// passes either way and nothing is closed: a half-open path, the server's session left idle in
// its transaction). Connections opened afterwards pass normally.

import { createServer, connect, type Server, type Socket } from "node:net";

/** A simple-protocol Query message carrying `COMMIT`: 'Q', int32 length (4 + 7), "COMMIT\0". */
const COMMIT_MESSAGE = Buffer.from("Q\u0000\u0000\u0000\u000bCOMMIT\u0000", "latin1");

/** How the connection that sends the next COMMIT is cut. */
export type CommitCut = "reply lost" | "black hole";

export interface TcpRelay {
  /** The port the relay listens on, on 127.0.0.1. */
  readonly port: number;
  /**
   * Cuts the connection that sends the next COMMIT; resolves once it has happened (with the
   * reply lost: once the server answered, so the transaction committed).
   */
  cutAtNextCommit(how: CommitCut): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let armed: { how: CommitCut; done: () => void } | undefined;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    let cut: { how: CommitCut; done: () => void } | undefined;
    client.on("data", (chunk) => {
      if (armed && !cut && chunk.includes(COMMIT_MESSAGE)) {
        cut = armed;
        armed = undefined;
        if (cut.how === "black hole") return cut.done();
      }
      if (cut?.how !== "black hole") upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!cut) return void client.write(chunk);
      if (cut.how === "black hole") return;
      client.destroy();
      upstream.destroy();
      cut.done();
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
    cutAtNextCommit: (how) => new Promise((done) => (armed = { how, done })),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
