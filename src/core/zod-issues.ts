import type { z } from "zod";

/** How {@link describeIssue} words a zod issue. */
export interface IssueFormat {
  /** What an unknown key is called: `unknown option x`, `unknown settings a, b`, `unknown key "k"`. */
  readonly unknown: "option" | "setting" | "key";
  /**
   * How unknown keys are listed: `paths` (default) one list of their full paths
   * (`unknown options a.x, a.y`); `each` one `unknown option a.x` per key; `quoted` the
   * keys in quotes after the location of the object that has them (`shop.orders unknown key "x"`).
   */
  readonly unknownList?: "paths" | "each" | "quoted";
  /** Written before every path: `sinks.audit.options`. */
  readonly prefix?: string;
  /** Renders a path instead of joining `prefix` and the segments with ".". */
  readonly at?: (path: readonly PropertyKey[]) => string;
  /** Names the location of an issue about the whole input (an empty path): `(root)`, `(options)`. */
  readonly root?: string;
  /** A missing value reads `<path> is required` (zod reports the input only with `reportInput`). */
  readonly required?: boolean;
  /** Between the location and the problem; `": "` unless given. */
  readonly separator?: string;
  /** The problem in other words for some issues (`must be a mapping`); `undefined` keeps zod's message. */
  readonly reword?: (issue: z.core.$ZodIssue) => string | undefined;
}

/** One zod issue as one line for a person: where it is and what is wrong. */
export function describeIssue(issue: z.core.$ZodIssue, format: IssueFormat): string {
  const at = format.at ?? ((path: readonly PropertyKey[]) => [...(format.prefix === undefined ? [] : [format.prefix]), ...path.map(String)].join("."));
  const location = issue.path.length === 0 && format.root !== undefined ? format.root : at(issue.path);
  const separator = format.separator ?? ": ";
  if (issue.code === "unrecognized_keys") {
    const noun = `unknown ${format.unknown}`;
    const plural = issue.keys.length > 1 ? "s" : "";
    switch (format.unknownList ?? "paths") {
      case "each":
        return issue.keys.map((key) => `${noun} ${at([...issue.path, key])}`).join(", ");
      case "quoted":
        return `${location}${separator}${noun}${plural} ${issue.keys.map((key) => JSON.stringify(key)).join(", ")}`;
      case "paths":
        return `${noun}${plural} ${issue.keys.map((key) => at([...issue.path, key])).join(", ")}`;
    }
  }
  if (format.required === true && issue.code === "invalid_type" && issue.input === undefined) return `${location} is required`;
  return `${location}${separator}${format.reword?.(issue) ?? issue.message}`;
}
