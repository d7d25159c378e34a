import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";

type PackageExports = string | { readonly [key: string]: PackageExports } | null | undefined;

interface PackageJson {
  readonly main?: string;
  readonly exports?: PackageExports;
}

const CONDITIONS = ["import", "node", "default", "require"];

/** Whether a sink's `use` is a path (`./my-sink.js`, `../sinks/audit`, `/opt/sink`) rather than a name. */
export function isPathSpecifier(use: string): boolean {
  return use.startsWith("./") || use.startsWith("../") || use === "." || use === ".." || isAbsolute(use);
}

/** The file to import for a path: the file itself, or a package directory's entry point. */
export function entryOfPath(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? entryOfPackage(path) : path;
}

/**
 * Finds an installed package the way Node would for a file in `fromDir`: in the
 * `node_modules` of that directory or of any directory above it. Returns its entry point.
 */
export function findInstalledPackage(name: string, fromDir: string): string | undefined {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const packageDir = join(dir, "node_modules", name);
    if (existsSync(join(packageDir, "package.json"))) return entryOfPackage(packageDir);
    if (dirname(dir) === dir) return undefined;
  }
}

function entryOfPackage(packageDir: string): string | undefined {
  const manifestPath = join(packageDir, "package.json");
  if (!existsSync(manifestPath)) return existsOr(join(packageDir, "index.js"));
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as PackageJson;
  const exported = rootExport(manifest.exports);
  return existsOr(join(packageDir, exported ?? manifest.main ?? "index.js"));
}

/** The entry of `exports` for the package root, under the first condition Tributary can import. */
function rootExport(exports: PackageExports): string | undefined {
  if (exports === null || exports === undefined || typeof exports === "string") return exports ?? undefined;
  const keys = Object.keys(exports);
  if (keys.some((key) => key.startsWith("."))) return rootExport(exports["."]);
  for (const condition of CONDITIONS) {
    const target = rootExport(exports[condition]);
    if (target) return target;
  }
  return undefined;
}

function existsOr(path: string): string | undefined {
  return existsSync(path) ? path : undefined;
}
