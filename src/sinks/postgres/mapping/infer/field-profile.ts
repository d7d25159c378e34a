import type { Document } from "bson";
import { bsonKind, type BsonKind } from "./bson-kind.js";

/**
 * What a sample says about one field: the kinds of value it held, the fields seen inside it
 * when it held documents, and the profile of its elements when it held arrays.
 */
export interface FieldProfile {
  readonly kinds: Set<BsonKind>;
  /** Sub-fields, in the order first seen; present once the field held a document. */
  fields?: Map<string, FieldProfile>;
  /** Elements of all its arrays together; present once the field held an array. */
  elements?: FieldProfile;
}

export function emptyProfile(): FieldProfile {
  return { kinds: new Set() };
}

/** The profile of a set of documents, as the sub-fields of one document-valued field. */
export function profileDocuments(documents: Iterable<Document>): FieldProfile {
  const profile = emptyProfile();
  for (const document of documents) addValue(profile, document);
  return profile;
}

/** Records one value (and everything inside it) in a profile. */
export function addValue(profile: FieldProfile, value: unknown): void {
  const kind = bsonKind(value);
  profile.kinds.add(kind);
  if (kind === "document") {
    const fields = (profile.fields ??= new Map());
    for (const [name, inner] of Object.entries(value as Document)) {
      let field = fields.get(name);
      if (!field) fields.set(name, (field = emptyProfile()));
      addValue(field, inner);
    }
  } else if (kind === "array") {
    const elements = (profile.elements ??= emptyProfile());
    for (const element of value as unknown[]) addValue(elements, element);
  }
}
