// A child process that sends one StatementQueue on a connection with a long query_timeout, then
// ends the connection: it must exit at once, no timer of the batch left to keep it alive.
// Usage: <postgres-url>
import pg from "pg";
import { StatementQueue } from "../../src/sinks/postgres/statement-queue.js";

const client = new pg.Client({ connectionString: process.argv[2], query_timeout: 60_000 });
await client.connect();
const queue = new StatementQueue();
queue.add("SELECT $1::int", [1]);
await queue.send(client);
await client.end();
