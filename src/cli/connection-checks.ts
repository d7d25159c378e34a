import type { TributaryConfig } from "../config/config-schema.js";
import { redactedMessage } from "../core/redact.js";

/** One line per check: `ok`, `warn` or `fail`, and what was found. */
export type CheckLine = (status: "ok" | "warn" | "fail", text: string) => void;

/**
 * `config check --connect`: reaches PostgreSQL and MongoDB and asks what a sync needs, writing
 * nothing: the PostgreSQL version and user and the right to create the schemas; MongoDB's
 * topology (a replica set or sharded cluster), version, featureCompatibilityVersion and the
 * user's changeStream and find privileges. Returns the first failure, after every check ran.
 */
export async function checkConnections(config: TributaryConfig, line: CheckLine): Promise<unknown> {
  let failure: unknown;
  const attempt = async (what: string, check: () => Promise<void>): Promise<void> => {
    try {
      await check();
    } catch (error) {
      failure ??= error;
      line("fail", `${what}: ${redactedMessage(error)}`);
    }
  };
  if (config.target) {
    const target = config.target;
    await attempt("PostgreSQL", async () => {
      const { probeTarget } = await import("../sinks/postgres/index.js");
      const probe = await probeTarget(target.url, [target.schema, target.checkpointSchema]);
      line("ok", `PostgreSQL ${probe.where}: version ${probe.version}, user ${probe.user}, database ${probe.database}`);
      for (const schema of probe.schemas) {
        const how = schema.exists ? `schema ${schema.name} exists; ${schema.mayCreate ? "may" : "may NOT"} create tables in it` : `schema ${schema.name} does not exist; ${schema.mayCreate ? "may" : "may NOT"} create it`;
        line(schema.mayCreate ? "ok" : "fail", `PostgreSQL: ${how}`);
        if (!schema.mayCreate) failure ??= new Error(`PostgreSQL user ${probe.user} may not create ${schema.exists ? "tables in" : ""} schema ${schema.name}`);
      }
    });
  }
  await attempt("MongoDB", async () => {
    const { connectMongo } = await import("../source/mongo-connection.js");
    const deployment = await connectMongo(config.source.uri, { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs });
    try {
      const admin = deployment.client.db("admin");
      const fcv = await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 }).then(
        (reply) => String((reply.featureCompatibilityVersion as { version?: unknown } | undefined)?.version ?? "?"),
        () => "unknown (getParameter not allowed)",
      );
      line("ok", `MongoDB ${deployment.where}: a replica set or sharded cluster, version ${deployment.version}, featureCompatibilityVersion ${fcv}`);
      const status = await admin.command({ connectionStatus: 1, showPrivileges: true });
      const info = status.authInfo as { authenticatedUsers?: unknown[]; authenticatedUserPrivileges?: { actions?: string[] }[] } | undefined;
      if (!info?.authenticatedUsers?.length) {
        line("warn", "MongoDB: connected without authentication; no privileges to check");
        return;
      }
      const actions = new Set((info.authenticatedUserPrivileges ?? []).flatMap((privilege) => privilege.actions ?? []));
      const missing = ["changeStream", "find"].filter((action) => !actions.has(action));
      if (missing.length === 0) line("ok", "MongoDB: the user has the changeStream and find privileges");
      else {
        line("fail", `MongoDB: the user lacks ${missing.join(" and ")} (grant the read role on the synced databases, or readAnyDatabase)`);
        failure ??= new Error(`MongoDB user lacks ${missing.join(" and ")}`);
      }
    } finally {
      await deployment.client.close();
    }
  });
  return failure;
}
