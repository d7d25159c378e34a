/** PostgreSQL's longest identifier, in bytes; names here are ASCII. */
const MAX_IDENTIFIER = 63;

/**
 * A field or collection name as a PostgreSQL identifier that needs no quoting: snake_case,
 * lower case, letters, digits and `_` (`firstName` → `first_name`, `HTTPStatus` →
 * `http_status`, `e-mail` → `e_mail`, `2fa` → `_2fa`). Leading underscores are kept (`_id`).
 */
export function snakeCase(name: string): string {
  const leading = /^_*/.exec(name)?.[0] ?? "";
  const words = name
    .slice(leading.length)
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const joined = `${leading}${words}`;
  if (joined === "" || joined === leading) return leading === "" ? "field" : leading;
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/**
 * Hands out identifiers unique within one scope (the columns of a table, the tables of a
 * schema): a wanted name already taken gets `_2`, `_3`, …; long names are cut to fit.
 */
export class NameAllocator {
  private readonly taken: Set<string>;

  constructor(taken: Iterable<string> = []) {
    this.taken = new Set(taken);
  }

  has(name: string): boolean {
    return this.taken.has(name);
  }

  take(wanted: string): string {
    const base = wanted.slice(0, MAX_IDENTIFIER);
    let name = base;
    for (let n = 2; this.taken.has(name); n += 1) {
      const suffix = `_${n}`;
      name = `${base.slice(0, MAX_IDENTIFIER - suffix.length)}${suffix}`;
    }
    this.taken.add(name);
    return name;
  }
}
