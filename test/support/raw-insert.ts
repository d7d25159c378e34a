import { Socket } from "node:net";
import { BSON } from "mongodb";

/**
 * Inserts a document whose bytes the driver would never write (here: a string that is not valid
 * UTF-8), by sending the `insert` command as an OP_MSG of our own to each host of `uri` until
 * the primary accepts it. Only for the test replica set, which has no authentication.
 *
 * `document` is serialized with the driver's BSON, then `replace` rewrites its bytes; the wire
 * format is the server's (src/mongo/rpc/op_msg.h): a 16-byte header (length, requestID,
 * responseTo, opCode 2013), flag bits, then a kind-0 section holding the command.
 */
export async function insertRawDocument(uri: string, db: string, coll: string, document: Record<string, unknown>, replace: (bytes: Buffer) => void): Promise<void> {
  const hosts = (uri.replace(/^mongodb:\/\//, "").split(/[/?]/)[0] ?? "").replace(/^.*@/, "").split(",");
  const errors: string[] = [];
  for (const host of hosts) {
    const body = Buffer.from(BSON.serialize({ insert: coll, documents: [document], $db: db }));
    replace(body);
    const reply = await send(host, body);
    if (reply.ok === 1 && reply.n === 1) return;
    errors.push(`${host}: ${JSON.stringify(reply)}`);
  }
  throw new Error(`no host took the raw insert: ${errors.join("; ")}`);
}

async function send(host: string, body: Buffer): Promise<Record<string, unknown>> {
  const [hostname = "127.0.0.1", port = "27017"] = host.split(":");
  const header = Buffer.alloc(20);
  header.writeInt32LE(0, 0);
  header.writeInt32LE(1, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(2013, 12);
  header.writeUInt32LE(0, 16);
  const message = Buffer.concat([header, Buffer.from([0]), body]);
  message.writeInt32LE(message.length, 0);
  const socket = new Socket();
  try {
    await new Promise<void>((resolve, reject) => socket.connect(Number(port), hostname, resolve).once("error", reject));
    const reply = new Promise<Buffer>((resolve, reject) => {
      let received = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length >= 4 && received.length >= received.readInt32LE(0)) resolve(received);
      });
      socket.once("error", reject);
    });
    socket.write(message);
    const bytes = await reply;
    // Header (16), flag bits (4), section kind (1), then the reply document.
    return BSON.deserialize(bytes.subarray(21)) as Record<string, unknown>;
  } finally {
    socket.destroy();
  }
}
