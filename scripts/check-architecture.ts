// The import rules of src/, checked from the source with the TypeScript compiler API.
//
//   npx tsx scripts/check-architecture.ts [src-directory]
//
// Prints every violation as `file:line: <rule broken> (<importer room> → <imported room or
// package>)` and exits 1, or prints a one-line summary and exits 0. `npm run lint` runs it.
// docs/architecture.md explains the rooms; change the rules in the tables below.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

// ─── The rules ────────────────────────────────────────────────────────────────────────────────
//
// A room is a folder directly under src/ (`core`, `watch`, …). Folders named in NESTED_ROOMS are
// split: the files directly in them are one room (`sinks`), each subfolder is a room of its own
// (`sinks/postgres`). Files directly in src/ are entry files, room ENTRY.
//
// `may`: the rooms this room may import ("*": every room; "sinks/*": every sinks/<name> room).
// `throughIndex`: rooms this room may reach only through their index.ts.
// `packages`: when present, the only npm packages the room may import (node: built-ins are always
// allowed); PACKAGE_RULES below restrict packages further, whatever the room.

export const ENTRY = "(entry)";
export const NESTED_ROOMS = ["sinks"];
export const EVERY_ROOM_MAY_IMPORT = ["core"];

export interface RoomRule {
  readonly may: readonly string[];
  readonly throughIndex?: readonly string[];
  readonly packages?: readonly string[];
}

export const ROOMS: Readonly<Record<string, RoomRule>> = {
  core: { may: [], packages: ["zod", "picomatch", "bson", "yaml"] },
  codec: { may: ["core"] },
  observability: { may: ["core"] },
  pipeline: { may: ["core"] },
  snapshot: { may: ["core"] },
  config: { may: ["core", "snapshot", "pipeline"] },
  checkpoint: { may: ["core"] },
  source: { may: ["core", "pipeline", "snapshot", "codec"] },
  sinks: { may: ["core", "codec", "sinks/*"], throughIndex: ["sinks/*"] },
  "sinks/postgres": { may: ["core", "codec", "sinks", "checkpoint", "config"] },
  "sinks/jsonl": { may: ["core", "codec", "sinks", "checkpoint"] },
  "sinks/webhook": { may: ["core", "codec", "sinks", "checkpoint"] },
  "sinks/docmanager": { may: ["core", "codec", "sinks", "checkpoint"] },
  "sinks/mongodb": { may: ["core", "codec", "sinks", "checkpoint", "source"] },
  watch: { may: ["core", "codec", "pipeline", "source", "checkpoint", "snapshot"] },
  verify: { may: ["core", "codec", "snapshot", "pipeline"] },
  runtime: { may: ["*"], throughIndex: ["sinks/*"] },
  cli: { may: ["*"], throughIndex: ["sinks/*"] },
  [ENTRY]: { may: ["*"] },
};

export interface PackageRule {
  readonly rule: string;
  readonly packages: readonly string[];
  /** Where they may be imported: rooms, or files (relative to src/, ending in .ts). */
  readonly onlyIn: readonly string[];
  /** When set, the rule applies only to importers in this room. */
  readonly inRoom?: string;
  /** `import type` is exempt (the rule is about what loads at run time). */
  readonly typeImportsExempt?: boolean;
}

export const PACKAGE_RULES: readonly PackageRule[] = [
  {
    rule: "the mongodb driver outside its rooms",
    packages: ["mongodb"],
    onlyIn: ["source", "checkpoint", "sinks/mongodb", "watch", "cli"],
  },
  {
    rule: "the PostgreSQL driver outside sinks/postgres",
    packages: ["pg", "pg-copy-streams", "pg-connection-string"],
    onlyIn: ["sinks/postgres"],
  },
  {
    // One copy of bson, the driver's: src/core/bson.ts says why.
    rule: "bson in core other than through core/bson.ts",
    packages: ["bson"],
    inRoom: "core",
    onlyIn: ["core/bson.ts"],
    typeImportsExempt: true,
  },
];

/** Entry files whose static value imports must never reach these packages. */
export const ENTRY_MUST_NOT_LOAD: readonly { readonly entry: string; readonly packages: readonly string[] }[] = [
  { entry: "index.ts", packages: ["pg", "pg-copy-streams", "pg-connection-string"] },
];

export const MAX_LINES = 400;

/**
 * What makes a folder-level cycle: static imports, `import type` included. Dynamic `import()` is
 * left out: it is how sinks/sink-resolver.ts loads a built-in sink on demand, while that sink uses
 * the helpers of sinks/. A cycle is reported at its imports that ROOMS forbids (the ones to
 * remove), or at all of its imports when ROOMS allows every one of them.
 */
export const CYCLES = { countTypeImports: true, countDynamicImports: false };

// ─── The checker ──────────────────────────────────────────────────────────────────────────────

export interface Violation {
  /** Relative to the checked directory, with `/`. */
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly from: string;
  readonly to?: string;
}

export interface ArchitectureReport {
  readonly files: number;
  readonly imports: number;
  readonly rooms: number;
  readonly violations: readonly Violation[];
}

type ImportKind = "value" | "type" | "dynamic";

interface ImportRef {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly kind: ImportKind;
  /** The src file it resolves to (relative, `/`), or undefined for a package. */
  readonly target?: string;
  readonly package?: string;
}

const BUILTINS = new Set(builtinModules);
const SOURCE_FILE = /\.(ts|mts|cts|tsx)$/;

/** Checks every TypeScript file under `srcDir` against the rules above. */
export function checkArchitecture(srcDir: string): ArchitectureReport {
  const root = resolve(srcDir);
  const files = listSourceFiles(root);
  const fileSet = new Set(files);
  const violations: Violation[] = [];
  const imports: ImportRef[] = [];

  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    const room = roomOf(file);
    const lines = countLines(text);
    if (lines > MAX_LINES) violations.push({ file, line: MAX_LINES + 1, rule: `over ${MAX_LINES} lines (${lines})`, from: room });
    if (ruleOf(room) === undefined) violations.push({ file, line: 1, rule: "a room missing from the rule table", from: room });
    for (const found of importsOf(file, text)) {
      const ref = classify(found, fileSet, violations);
      if (ref) imports.push(ref);
    }
  }

  for (const ref of imports) checkImport(ref, violations);
  findCycles(imports, violations);
  for (const { entry, packages } of ENTRY_MUST_NOT_LOAD) checkReach(entry, packages, imports, fileSet, violations);

  violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
  return { files: files.length, imports: imports.length, rooms: new Set(files.map(roomOf)).size, violations };
}

export function formatViolation(violation: Violation, displayFile: string = violation.file): string {
  const rooms = violation.to === undefined ? violation.from : `${violation.from} → ${violation.to}`;
  return `${displayFile}:${violation.line}: ${violation.rule} (${rooms})`;
}

/** The room of a file given relative to src/ (`sinks/postgres/x.ts` → `sinks/postgres`). */
export function roomOf(file: string): string {
  const parts = file.split("/");
  if (parts.length === 1) return ENTRY;
  const [top, sub] = parts as [string, string];
  return NESTED_ROOMS.includes(top) && parts.length > 2 ? `${top}/${sub}` : top;
}

function ruleOf(room: string): RoomRule | undefined {
  return ROOMS[room];
}

/** Whether ROOMS lets room `from` import room `to` (rooms missing from the table: no verdict, true). */
function mayImport(from: string, to: string): boolean {
  const rule = ruleOf(from);
  if (rule === undefined || from === to) return true;
  if (to === ENTRY) return from === ENTRY;
  return [...EVERY_ROOM_MAY_IMPORT, ...rule.may].some((pattern) => matches(pattern, to));
}

function matches(pattern: string, room: string): boolean {
  if (pattern === "*") return room !== ENTRY;
  if (pattern.endsWith("/*")) return room.startsWith(pattern.slice(0, -1));
  return pattern === room;
}

function listSourceFiles(root: string, dir = root): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...listSourceFiles(root, path));
    else if (SOURCE_FILE.test(name)) found.push(relative(root, path).split(sep).join("/"));
  }
  return found;
}

function countLines(text: string): number {
  if (text === "") return 0;
  const lines = text.split("\n").length;
  return text.endsWith("\n") ? lines - 1 : lines;
}

/** Every import, re-export and literal `import()` of a file. */
function importsOf(file: string, text: string): { file: string; line: number; specifier: string; kind: ImportKind }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { file: string; line: number; specifier: string; kind: ImportKind }[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, kind: ImportKind): void => {
    if (specifier === undefined || !ts.isStringLiteralLike(specifier)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ file, line, specifier: specifier.text, kind });
  };
  const visit = (node: ts.Node): void => {
    // With verbatimModuleSyntax, only `import type` / `export type` are erased: `import { type A }`
    // still loads the module.
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, node.importClause?.isTypeOnly ? "type" : "value");
    else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, node.isTypeOnly ? "type" : "value");
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly ? "type" : "value");
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], "dynamic");
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, "type");
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function classify(found: { file: string; line: number; specifier: string; kind: ImportKind }, fileSet: ReadonlySet<string>, violations: Violation[]): ImportRef | undefined {
  const { specifier } = found;
  const from = roomOf(found.file);
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) {
    if (specifier.startsWith("node:") || BUILTINS.has(specifier)) return undefined;
    return { ...found, package: packageName(specifier) };
  }
  const base = join(dirname(found.file), specifier).split(sep).join("/");
  if (base.startsWith("../") || base === ".." || specifier.startsWith("/")) {
    violations.push({ file: found.file, line: found.line, rule: "an import from outside src/", from, to: specifier });
    return undefined;
  }
  const stem = base.replace(/\.(js|mjs|cjs|jsx|ts|mts|cts|tsx)$/, "");
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`, `${base}/index.ts`];
  const target = candidates.find((candidate) => fileSet.has(candidate));
  if (target === undefined) {
    violations.push({ file: found.file, line: found.line, rule: `an import that resolves to no file (${specifier})`, from });
    return undefined;
  }
  return { ...found, target };
}

function checkImport(ref: ImportRef, violations: Violation[]): void {
  const from = roomOf(ref.file);
  const rule = ruleOf(from);
  const report = (text: string, to: string): void => {
    violations.push({ file: ref.file, line: ref.line, rule: text, from, to });
  };
  if (ref.package !== undefined) {
    if (rule?.packages && !rule.packages.includes(ref.package)) report(`package not allowed in ${from}`, ref.package);
    for (const packageRule of PACKAGE_RULES) {
      if (!packageRule.packages.includes(ref.package)) continue;
      if (packageRule.inRoom !== undefined && packageRule.inRoom !== from) continue;
      if (packageRule.typeImportsExempt && ref.kind === "type") continue;
      const allowed = packageRule.onlyIn.some((place) => (place.endsWith(".ts") ? place === ref.file : place === from));
      if (!allowed) report(packageRule.rule, ref.package);
    }
    return;
  }
  const to = roomOf(ref.target!);
  if (to === from || rule === undefined) return;
  if (to === ENTRY && from !== ENTRY) report("an import of an entry file (entry files import rooms, never the reverse)", `src/${ref.target}`);
  else if (!mayImport(from, to)) report(`${from} may not import ${to}`, to);
  else if ((rule.throughIndex ?? []).some((pattern) => matches(pattern, to)) && ref.target !== `${to}/index.ts`) {
    report(`${to} only through its index.ts`, ref.target!);
  }
}

/** Reports every import between two rooms of the same strongly connected component. */
function findCycles(imports: readonly ImportRef[], violations: Violation[]): void {
  const counted = imports.filter(
    (ref) => ref.target !== undefined && (ref.kind !== "type" || CYCLES.countTypeImports) && (ref.kind !== "dynamic" || CYCLES.countDynamicImports),
  );
  const edges = new Map<string, Set<string>>();
  for (const ref of counted) {
    const from = roomOf(ref.file);
    const to = roomOf(ref.target!);
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
  }
  const component = stronglyConnected(edges);
  const inCycle = (from: string, to: string): boolean => from !== to && component.get(from) !== undefined && component.get(from) === component.get(to);
  // Components in which ROOMS forbids some import: the cycle is reported at those imports only.
  const withForbidden = new Set<number>();
  for (const [from, targets] of edges) {
    for (const to of targets) if (inCycle(from, to) && !mayImport(from, to)) withForbidden.add(component.get(from)!);
  }
  for (const ref of counted) {
    const from = roomOf(ref.file);
    const to = roomOf(ref.target!);
    if (!inCycle(from, to)) continue;
    if (withForbidden.has(component.get(from)!) && mayImport(from, to)) continue;
    const loop = [from, ...(pathBetween(edges, to, from, component) ?? [])];
    violations.push({ file: ref.file, line: ref.line, rule: `folder-level cycle ${loop.join(" → ")}`, from, to });
  }
}

/** Tarjan: room → component id, for components of more than one room only. */
function stronglyConnected(edges: ReadonlyMap<string, ReadonlySet<string>>): Map<string, number> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result = new Map<string, number>();
  let counter = 0;
  let components = 0;
  const connect = (room: string): void => {
    index.set(room, counter);
    low.set(room, counter);
    counter += 1;
    stack.push(room);
    onStack.add(room);
    for (const next of edges.get(room) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(room, Math.min(low.get(room)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(room, Math.min(low.get(room)!, index.get(next)!));
    }
    if (low.get(room) !== index.get(room)) return;
    const members: string[] = [];
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      members.push(member);
      if (member === room) break;
    }
    if (members.length > 1) for (const member of members) result.set(member, components);
    components += 1;
  };
  for (const room of edges.keys()) if (!index.has(room)) connect(room);
  return result;
}

/** The shortest room path from `start` to `goal` inside one component (both ends included). */
function pathBetween(edges: ReadonlyMap<string, ReadonlySet<string>>, start: string, goal: string, component: ReadonlyMap<string, number>): string[] | undefined {
  const previous = new Map<string, string | undefined>([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const room = queue.shift()!;
    if (room === goal) {
      const path: string[] = [];
      for (let at: string | undefined = room; at !== undefined; at = previous.get(at)) path.unshift(at);
      return path;
    }
    for (const next of edges.get(room) ?? []) {
      if (previous.has(next) || component.get(next) !== component.get(start)) continue;
      previous.set(next, room);
      queue.push(next);
    }
  }
  return undefined;
}

/** Follows static value imports from `entry` and reports where they load a forbidden package. */
function checkReach(entry: string, packages: readonly string[], imports: readonly ImportRef[], fileSet: ReadonlySet<string>, violations: Violation[]): void {
  if (!fileSet.has(entry)) return;
  const byFile = new Map<string, ImportRef[]>();
  for (const ref of imports) {
    if (ref.kind !== "value") continue;
    if (!byFile.has(ref.file)) byFile.set(ref.file, []);
    byFile.get(ref.file)!.push(ref);
  }
  const previous = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const ref of byFile.get(file) ?? []) {
      if (ref.package !== undefined && packages.includes(ref.package)) {
        const chain: string[] = [];
        for (let at: string | undefined = file; at !== undefined; at = previous.get(at)) chain.unshift(at);
        violations.push({
          file: ref.file,
          line: ref.line,
          rule: `src/${entry} loads ${ref.package} statically (${chain.join(" → ")})`,
          from: roomOf(ref.file),
          to: ref.package,
        });
      } else if (ref.target !== undefined && !previous.has(ref.target)) {
        previous.set(ref.target, file);
        queue.push(ref.target);
      }
    }
  }
}

// ─── Command line ─────────────────────────────────────────────────────────────────────────────

function main(): void {
  const srcDir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "src"));
  const report = checkArchitecture(srcDir);
  for (const violation of report.violations) {
    const path = relative(process.cwd(), join(srcDir, violation.file));
    console.log(formatViolation(violation, path.startsWith("..") ? join(srcDir, violation.file) : path));
  }
  const scope = `${report.files} files, ${report.imports} imports, ${report.rooms} rooms`;
  if (report.violations.length > 0) {
    console.log(`architecture: ${report.violations.length} violation(s) in ${scope} (rules: scripts/check-architecture.ts, docs/architecture.md)`);
    process.exitCode = 1;
  } else {
    console.log(`architecture: ${scope}, no violations`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
