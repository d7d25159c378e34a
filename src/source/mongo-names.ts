/** Characters MongoDB refuses in a database name (on any platform), and NUL. */
const DATABASE_FORBIDDEN = /[/\\. "$*<>:|?\0]/;
const DATABASE_MAX_BYTES = 63;

/**
 * Why `name` cannot be a MongoDB database name, or `undefined` when it can. Checked before
 * anything connects, so a typo is reported with the option that holds it.
 */
export function databaseNameProblem(name: string): string | undefined {
  if (name === "" || DATABASE_FORBIDDEN.test(name) || Buffer.byteLength(name, "utf8") > DATABASE_MAX_BYTES) {
    return `'${name}' is not a database name (it may not be empty, contain /\\. "$*<>:|?, a space or NUL, or be over ${DATABASE_MAX_BYTES} bytes)`;
  }
  return undefined;
}

/**
 * Why `namespace` is not a collection namespace (`database.collection`) a sink or a command
 * may write to, or `undefined` when it is. The collection name is everything after the first
 * dot, as in MongoDB itself (collection names may contain dots).
 */
export function collectionNamespaceProblem(namespace: string): string | undefined {
  const dot = namespace.indexOf(".");
  if (dot <= 0 || dot === namespace.length - 1) return `'${namespace}' is not database.collection`;
  const databaseProblem = databaseNameProblem(namespace.slice(0, dot));
  if (databaseProblem) return `in '${namespace}', ${databaseProblem}`;
  const collection = namespace.slice(dot + 1);
  if (/[$\0]/.test(collection) || collection.startsWith("system.")) {
    return `in '${namespace}', '${collection}' is not a collection name (it may not contain $ or NUL, or start with 'system.')`;
  }
  return undefined;
}
