import { cpus, totalmem } from "node:os";
import pg from "pg";

/** Where the numbers were measured: they mean nothing without it. */
export interface MachineInfo {
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly totalMemoryMb: number;
  readonly platform: string;
  readonly node: string;
  readonly postgres: string;
  /** The server version, or why the MongoDB sections were skipped. */
  readonly mongodb: { readonly version: string } | { readonly skipped: string };
}

export async function describeMachine(postgresUrl: string, mongodb: MachineInfo["mongodb"]): Promise<MachineInfo> {
  const processors = cpus();
  return {
    cpuCount: processors.length,
    cpuModel: processors[0]?.model.trim() ?? "unknown",
    totalMemoryMb: Math.round(totalmem() / 1_048_576),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    postgres: await postgresVersion(postgresUrl),
    mongodb,
  };
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>("SHOW server_version");
    return result.rows[0]?.server_version ?? "unknown";
  } finally {
    await client.end();
  }
}
