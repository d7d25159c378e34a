import { z } from "zod";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import { describeIssue } from "../../core/zod-issues.js";
import { collectionNamespaceProblem, databaseNameProblem } from "../../source/mongo-names.js";

const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 10_000;
const WRITE_CONCERN_MESSAGE = 'must be "majority" or a number of members (1 or more)';

const optionsSchema = z
  .object({
    uri: z.string().min(1, "must be a MongoDB connection string").describe("Connection string of the target deployment (a standalone server will do)."),
    database: z
      .string()
      .superRefine((name, context) => {
        const problem = databaseNameProblem(name);
        if (problem) context.addIssue({ code: "custom", message: problem });
      })
      .optional()
      .describe("Put every collection into this database (collection names kept)."),
    namespaces: z
      .record(z.string(), z.string())
      .superRefine((entries, context) => {
        const sources = new Map<string, string>();
        for (const [source, target] of Object.entries(entries)) {
          const problem = collectionNamespaceProblem(source) ?? collectionNamespaceProblem(target);
          if (problem) {
            context.addIssue({ code: "custom", path: [source], message: problem });
            continue;
          }
          const earlier = sources.get(target);
          if (earlier !== undefined) {
            context.addIssue({ code: "custom", path: [source], message: `'${earlier}' is mapped to '${target}' already; each target collection takes one source collection` });
          }
          sources.set(target, source);
        }
      })
      .optional()
      .describe("Source namespace → target namespace ('shop.orders': 'archive.orders'); wins over database."),
    writeConcern: z
      .union([z.literal("majority"), z.number().int(WRITE_CONCERN_MESSAGE).min(1, WRITE_CONCERN_MESSAGE)], { error: WRITE_CONCERN_MESSAGE })
      .default("majority")
      .describe("How many members acknowledge each write before the position moves past it."),
    serverSelectionTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_SERVER_SELECTION_TIMEOUT_MS)
      .describe("How long to look for the target before a write fails (a serverSelectionTimeoutMS in the URI wins)."),
  })
  .strict();

/**
 * The options of the built-in `mongodb` sink, validated.
 * @public
 */
export type MongoSinkOptions = z.infer<typeof optionsSchema>;

/**
 * Validates the `options` of a `mongodb` sink entry. Every problem is named by its config
 * path (`sinks.<sinkName>.options.<field>`), all of them in one error.
 */
export function parseMongoSinkOptions(options: Readonly<Record<string, unknown>>, sinkName: string): MongoSinkOptions {
  const result = optionsSchema.safeParse(options, { reportInput: true });
  if (result.success) return result.data;
  const base = `sinks.${sinkName}.options`;
  const problems = result.error.issues.map((issue) => describeIssue(issue, { unknown: "option", at: (path) => optionPath(base, path), required: true }));
  const first = result.error.issues[0];
  throw new TributaryError(ErrorCode.SinkInvalid, `Invalid options for sink '${sinkName}': ${problems.join("; ")}`, {
    context: { sink: sinkName, configPath: optionPath(base, first?.code === "unrecognized_keys" ? [...first.path, first.keys[0] ?? ""] : (first?.path ?? [])) },
  });
}

/** `sinks.copy.options.uri`; keys below an option (namespaces) in brackets: `namespaces["shop.orders"]`. */
export function optionPath(base: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment, depth) => {
    if (typeof segment === "number") return `${text}[${segment}]`;
    return depth === 0 ? `${text}.${String(segment)}` : `${text}[${JSON.stringify(String(segment))}]`;
  }, base);
}
