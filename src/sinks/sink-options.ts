import type { z } from "zod";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { describeIssue } from "../core/zod-issues.js";

/**
 * Validates the `options` of a sink's config entry against `schema`. Every problem is named by
 * its config path (`sinks.audit.options.url: must be an http(s) URL`), all of them in one
 * `TRIB_SINK_INVALID` error.
 * @public
 */
export function parseSinkOptions<Schema extends z.ZodType>(schema: Schema, raw: Readonly<Record<string, unknown>>, kind: string, sinkName: string): z.output<Schema> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const prefix = `sinks.${sinkName}.options`;
  const problems = result.error.issues.map((issue) =>
    describeIssue(issue, {
      unknown: "option",
      unknownList: "each",
      prefix,
      required: true,
      reword: (issue) => (issue.code === "invalid_type" && (issue.expected === "object" || issue.expected === "record") ? "must be a mapping (key: value)" : undefined),
    }),
  );
  const first = result.error.issues[0];
  const field = first?.code === "unrecognized_keys" ? [...first.path, first.keys[0]] : (first?.path ?? []);
  throw new TributaryError(ErrorCode.SinkInvalid, `Invalid options for ${kind} sink '${sinkName}': ${problems.join("; ")}`, {
    context: { sink: sinkName, configPath: [prefix, ...field.map(String)].join(".") },
  });
}
