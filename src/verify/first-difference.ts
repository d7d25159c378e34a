/**
 * The first field path (dotted, array elements by index) at which two canonical JSON texts
 * differ, walking fields in sorted order; type wrappers of the lossless encoding (`$numberLong`,
 * `$date`, …) are not path segments. `""` when the documents differ at the top.
 */
export function firstDifference(expected: string, held: string): string {
  return pathOf(JSON.parse(expected) as unknown, JSON.parse(held) as unknown, []) ?? "";
}

function pathOf(a: unknown, b: unknown, path: readonly string[]): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
      if (index >= a.length || index >= b.length) return join([...path, String(index)]);
      const found = pathOf(a[index], b[index], [...path, String(index)]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      if (!(key in a) || !(key in b)) return join([...path, key]);
      const found = pathOf(a[key], b[key], [...path, key]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : join(path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function join(path: readonly string[]): string {
  return path.filter((segment) => !segment.startsWith("$")).join(".");
}
