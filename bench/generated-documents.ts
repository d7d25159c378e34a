import { BSON, Int32, ObjectId, type Document } from "mongodb";
import { realisticDocument } from "../test/support/realistic-documents.js";

/** The `_id` of document `index`: the index as 24 hex digits, as `realisticDocument` makes it. */
export function objectIdAt(index: number): ObjectId {
  return new ObjectId(index.toString(16).padStart(24, "0"));
}

/** The index an `_id` made by {@link objectIdAt} stands for. */
export function indexOfObjectId(id: ObjectId): number {
  return Number(BigInt(`0x${id.toHexString()}`));
}

/**
 * Realistic documents by index, made when asked for: nothing is held but (with `distinct`) a
 * bounded set of templates. Generating a realistic document costs about as much as writing
 * it, so by default document `i` is template `i % distinct` (itself `realisticDocument`) with
 * its own `_id` and `number`: the content repeats, the shape, types and size do not change, and
 * the measurement is of the writes rather than of the generator. The templates are made when the
 * generator is, before any clock starts: a real source's documents exist before it is read, and
 * making them in the first chunk of a run would charge a one-off cost of about a fifth of a
 * second to whichever scenario reads first, more to one that reads a whole chunk before writing
 * it than to one that writes each document as it is read. With `distinct` 0 every document is
 * `realisticDocument(i)` itself.
 */
export class DocumentGenerator {
  private readonly size: number;
  private readonly distinct: number;
  private readonly templates: readonly Document[];

  constructor(size: number, distinct: number) {
    this.size = size;
    this.distinct = distinct;
    this.templates = Array.from({ length: distinct }, (_, slot) => realisticDocument(slot, size));
  }

  document(index: number): Document {
    if (this.distinct === 0) return realisticDocument(index, this.size);
    const template = this.templates[index % this.distinct] as Document;
    return { ...template, _id: objectIdAt(index), number: new Int32(index) };
  }

  /** Documents `from` .. `to - 1`, one at a time. */
  *documents(from: number, to: number): Generator<Document> {
    for (let index = from; index < to; index += 1) yield this.document(index);
  }

  /** The BSON bytes of documents 0 .. `count - 1` (with templates, without generating them all). */
  totalBytes(count: number): number {
    if (this.distinct === 0) {
      let bytes = 0;
      for (const doc of this.documents(0, count)) bytes += BSON.calculateObjectSize(doc);
      return bytes;
    }
    // Every document of a slot has the size of its template: an ObjectId and an Int32 are fixed-size.
    let bytes = 0;
    for (let slot = 0; slot < Math.min(this.distinct, count); slot += 1) {
      const copies = Math.floor(count / this.distinct) + (slot < count % this.distinct ? 1 : 0);
      bytes += copies * BSON.calculateObjectSize(this.document(slot));
    }
    return bytes;
  }
}
