import { z } from "zod";

/** How values are converted for a column: `strict` (the default) or `lenient` (mongo-connector-postgresql's conversions, lenient-cast.ts). */
export const CastSchema = z.enum(["strict", "lenient"]);

/** A field entry: `"address.city": { "dest": "city", "type": "TEXT" }`. */
export const FieldEntrySchema = z
  .object({
    dest: z.string().min(1),
    type: z.string().min(1),
    fk: z.string().min(1).optional(),
    default: z.unknown().optional(),
    /** mongo-connector-postgresql's per-field index (`idx_<table>_<dest>`): made whatever the value, except `false`. */
    index: z.unknown().optional(),
    cast: CastSchema.optional(),
  })
  .strict();

/**
 * A collection entry of mongo-connector-postgresql's `mappings.json` (`pk`, `indices`, then
 * field paths), plus Tributary's extensions, which start with `$` so they cannot clash with a
 * field name: `$table`, `$schema`, `$extra` (the catch-all jsonb column, or `false`), `$cast` (of
 * its fields; a field's `cast` wins over it, and it over the file's top-level `"$cast"`).
 */
export const CollectionEntrySchema = z
  .object({
    pk: z.string().min(1).optional(),
    indices: z.array(z.string().min(1)).optional(),
    $table: z.string().min(1).optional(),
    $schema: z.string().min(1).optional(),
    $extra: z.union([z.string().min(1), z.literal(false)]).optional(),
    $cast: CastSchema.optional(),
  })
  .catchall(FieldEntrySchema);

/** `database → collection → entry`. */
export const MappingFileSchema = z.record(z.string().min(1), z.record(z.string().min(1), CollectionEntrySchema));

/** How one field of a collection is written: its column (`dest`) and type. @public */
export type FieldEntry = z.infer<typeof FieldEntrySchema>;
/** One collection (or child table) of a mapping file: `pk`, its fields, `$table`, `$schema`, `$extra`, `indices`. @public */
export type CollectionEntry = z.infer<typeof CollectionEntrySchema>;
/** A mapping file as parsed: `database → collection → entry`. @public */
export type MappingFile = z.infer<typeof MappingFileSchema>;

/** Keys of a collection entry that are not field paths. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(["pk", "indices", "$table", "$schema", "$extra", "$cast"]);
