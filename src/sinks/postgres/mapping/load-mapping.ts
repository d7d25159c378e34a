import type { z } from "zod";
import { readStructuredFile } from "../../../core/structured-file.js";
import { ErrorCode } from "../../../core/error-codes.js";
import { TributaryError } from "../../../core/tributary-error.js";
import { describeIssue } from "../../../core/zod-issues.js";
import { compileMapping, type CompileOptions } from "./compile-mapping.js";
import { CastSchema, MappingFileSchema, RESERVED_KEYS } from "./mapping-file-schema.js";
import { isPlainObject } from "../../../core/plain-object.js";
import type { RelationalMapping } from "./table-mapping.js";

/**
 * Reads and checks a mapping file (mongo-connector-postgresql's `mappings.json` format, JSON or
 * YAML, with Tributary's extensions). Every problem is reported at once, naming the file, the
 * collection and the field, before any data moves.
 * @public
 */
export async function loadMapping(path: string, options: CompileOptions): Promise<RelationalMapping> {
  const raw = await readStructuredFile(path, "mapping file");
  return parseMapping(path, raw, options);
}

/** Checks and compiles an already-read mapping; `file` names it in errors. @public */
export function parseMapping(file: string, raw: unknown, options: CompileOptions): RelationalMapping {
  // The top-level "$cast" is the file's; every other top-level key is a database.
  const { $cast: fileCast, ...databases } = isPlainObject(raw) ? raw : { $cast: undefined };
  const cast = CastSchema.optional().safeParse(fileCast);
  if (!cast.success) throw invalid(file, [`"$cast" must be "strict" or "lenient", not ${JSON.stringify(fileCast)}`]);
  const parsed = MappingFileSchema.safeParse(isPlainObject(raw) ? databases : raw, { reportInput: true });
  if (!parsed.success) throw invalid(file, parsed.error.issues.map(describeMappingIssue));
  const { mapping, problems } = compileMapping(file, parsed.data, cast.data === undefined ? options : { ...options, cast: cast.data });
  if (problems.length > 0) throw invalid(file, problems);
  return mapping;
}

function invalid(file: string, problems: readonly string[]): TributaryError {
  return new TributaryError(ErrorCode.MappingInvalid, `Invalid mapping in ${file}: ${problems.join("; ")}`, { context: { configPath: file } });
}

/** `db.coll field "x" …` from a schema issue at `[db, coll, field, key]`. */
function describeMappingIssue(issue: z.core.$ZodIssue): string {
  return describeIssue(issue, {
    unknown: "key",
    unknownList: "quoted",
    at: mappingLocation,
    separator: " ",
    required: true,
    reword: (issue) => (issue.code === "invalid_type" ? `must be ${issue.expected === "object" ? "an object like {\"dest\": …, \"type\": …}" : `a ${issue.expected}`}` : undefined),
  });
}

/** `db.coll field "x" "type"` for the path `[db, coll, field, key]`. */
function mappingLocation(path: readonly PropertyKey[]): string {
  const [db, coll, field, key] = path.map(String);
  const collection = db && coll ? `${db}.${coll}` : (db ?? "(top level)");
  const subject = field === undefined ? "" : RESERVED_KEYS.has(field) ? ` ${JSON.stringify(field)}` : ` field ${JSON.stringify(field)}`;
  const setting = key === undefined ? "" : ` ${JSON.stringify(key)}`;
  return `${collection}${subject}${setting}`;
}
