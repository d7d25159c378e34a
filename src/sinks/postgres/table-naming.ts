import { createHash } from "node:crypto";

const MAX_IDENTIFIER_LENGTH = 63;

/**
 * The default table of a collection: `<db>_<collection>`, lower-cased, with every character
 * other than letters, digits and `_` replaced by `_`, so it can be typed without quotes. Names
 * longer than PostgreSQL's 63 bytes keep a short hash of the full name to stay distinct.
 * Raw mode names a collection's table so unless `tables` names it.
 * @public
 */
export function defaultTableName(db: string, coll: string): string {
  let name = `${db}_${coll}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (/^[0-9]/.test(name)) name = `_${name}`;
  if (name.length <= MAX_IDENTIFIER_LENGTH) return name;
  const hash = createHash("sha1").update(`${db}.${coll}`).digest("hex").slice(0, 8);
  return `${name.slice(0, MAX_IDENTIFIER_LENGTH - hash.length - 1)}_${hash}`;
}
