/**
 * Whether `value` is a plain object: a literal, a parsed JSON/YAML mapping or a BSON document
 * (`{…}` or `Object.create(null)`, also from another realm), not an array, a `Date`, an
 * `ObjectId` or any other class instance.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}
