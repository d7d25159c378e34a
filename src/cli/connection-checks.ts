import type { TributaryConfig } from "../config/config-schema.js";
import type { Document } from "mongodb";
import { redactedMessage } from "../core/redact.js";
import { missingActions, privilegeNeeds, type GrantedPrivilege } from "../source/privileges.js";

/** One line per check: `ok`, `warn` or `fail`, and what was found. */
export type CheckLine = (status: "ok" | "warn" | "fail", text: string) => void;

/**
 * `config check --connect`: reaches PostgreSQL and MongoDB and asks what a sync needs, writing
 * nothing: the PostgreSQL version and user, the right to create the schemas and the database's
 * collation (a warning when it slows writes); MongoDB's topology (a replica set or sharded
 * cluster), version, featureCompatibilityVersion and the user's changeStream and find privileges
 * on each included database or collection and on the scope the change stream watches. Returns
 * the first failure, after every check ran.
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
      const { probeTarget, slowLibcCollation, SLOW_COLLATION_COST } = await import("../sinks/postgres/index.js");
      const probe = await probeTarget(target.url, [target.schema, target.checkpointSchema]);
      line("ok", `PostgreSQL ${probe.where}: version ${probe.version}, user ${probe.user}, database ${probe.database}`);
      for (const schema of probe.schemas) {
        const how = schema.exists ? `schema ${schema.name} exists; ${schema.mayCreate ? "may" : "may NOT"} create tables in it` : `schema ${schema.name} does not exist; ${schema.mayCreate ? "may" : "may NOT"} create it`;
        line(schema.mayCreate ? "ok" : "fail", `PostgreSQL: ${how}`);
        if (!schema.mayCreate) failure ??= new Error(`PostgreSQL user ${probe.user} may not create ${schema.exists ? "tables in" : ""} schema ${schema.name}`);
      }
      if (!probe.collation) line("warn", "PostgreSQL: could not read the database's collation (pg_database)");
      else {
        const collation = `PostgreSQL: database collation ${probe.collation.name} (${probe.collation.provider})`;
        if (!slowLibcCollation(probe.collation)) line("ok", collation);
        else line("warn", `${collation}: ${SLOW_COLLATION_COST}`);
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
      const problem = checkPrivileges(status, config, line);
      if (problem) failure ??= problem;
    } finally {
      await deployment.client.close();
    }
  });
  return failure;
}

/**
 * One line per resource the sync needs (source/privileges.ts), from the `connectionStatus` reply
 * with `showPrivileges: true` (`authInfo.authenticatedUsers` and `authenticatedUserPrivileges`);
 * returns the failure, if any. Without an include list a mapping file may narrow the collections
 * synced, so then a missing privilege on every database is only a warning.
 */
export function checkPrivileges(status: Document, config: TributaryConfig, line: CheckLine): Error | undefined {
  const info = status.authInfo as { authenticatedUsers?: unknown[]; authenticatedUserPrivileges?: GrantedPrivilege[] } | undefined;
  if (!info?.authenticatedUsers?.length) {
    line("warn", "MongoDB: connected without authentication; no privileges to check");
    return undefined;
  }
  const granted = info.authenticatedUserPrivileges ?? [];
  const narrowedByMapping = config.source.include.length === 0 && config.target?.mapping !== undefined;
  let failure: Error | undefined;
  for (const need of privilegeNeeds(config.source.include)) {
    const missing = missingActions(granted, need);
    if (missing.length === 0) {
      line("ok", `MongoDB: changeStream and find on ${need.on}`);
      continue;
    }
    const text = `MongoDB: the user lacks ${missing.join(" and ")} on ${need.on} (grant ${need.grant})`;
    if (narrowedByMapping && need.resource.db === "") {
      line("warn", `${text}; the sync watches only the collections the mapping file lists: set include to check those`);
      continue;
    }
    line("fail", text);
    failure ??= new Error(`MongoDB user lacks ${missing.join(" and ")} on ${need.on}`);
  }
  return failure;
}
