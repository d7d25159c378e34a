import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { taggedDeclarations } from "./public-api.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);

/** The entry points of package.json `exports`, and the source file each is built from. */
const ENTRIES = { ".": "index", "./sink": "sink", "./postgres": "postgres" } as const;

// Imports one source entry in a fresh Node process and prints which modules of the PostgreSQL
// driver it loaded. `pg` and `pg-copy-streams` are CommonJS: once loaded, by `import` or
// `require`, they sit in the CommonJS module cache.
const PROBE = `
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
await import(pathToFileURL(process.argv[1]).href);
const cache = createRequire(pathToFileURL(process.cwd() + "/").href).cache;
const driver = Object.keys(cache).filter((path) => /[\\\\/]node_modules[\\\\/](pg|pg-copy-streams)[\\\\/]/.test(path));
process.stdout.write(JSON.stringify(driver));
`;

async function driverModulesLoadedBy(entry: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", PROBE, `${ROOT}src/${entry}.ts`], { cwd: ROOT, timeout: 60_000 });
  return JSON.parse(stdout) as string[];
}

describe("package entry points", () => {
  it("exports '.', './sink' and './postgres', each with types and an ES module in dist/ built from src/", () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { exports: Record<string, unknown> };
    expect(pkg.exports).toEqual(
      Object.fromEntries(Object.entries(ENTRIES).map(([subpath, name]) => [subpath, { types: `./dist/${name}.d.ts`, import: `./dist/${name}.js` }])),
    );
    for (const name of Object.values(ENTRIES)) expect(existsSync(`${ROOT}src/${name}.ts`), `src/${name}.ts`).toBe(true);
  });

  it("'tributary' does not load the PostgreSQL driver", async () => {
    expect(await driverModulesLoadedBy("index")).toEqual([]);
  });

  it("'tributary/sink' does not load the PostgreSQL driver", async () => {
    expect(await driverModulesLoadedBy("sink")).toEqual([]);
  });

  it("'tributary/postgres' loads it (the probe sees the driver when it is loaded)", async () => {
    const loaded = await driverModulesLoadedBy("postgres");
    expect(loaded.some((path) => /[\\/]node_modules[\\/]pg[\\/]/.test(path))).toBe(true);
  });

  it("tags what an entry exports @public, and everything else @internal", () => {
    const declarations = taggedDeclarations();
    const publicButHidden = declarations.filter((each) => each.tag === "public" && !each.exported).map((each) => `${each.file}:${each.line} ${each.name}`);
    const internalButExported = declarations.filter((each) => each.tag === "internal" && each.exported).map((each) => `${each.file}:${each.line} ${each.name}`);
    expect(publicButHidden, "tagged @public but exported from no entry (tag it @internal, or export it)").toEqual([]);
    expect(internalButExported, "tagged @internal but exported from an entry").toEqual([]);
    expect(declarations.filter((each) => each.exported).length).toBeGreaterThan(50);
  });
});
