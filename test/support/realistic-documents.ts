import { Decimal128, Double, Int32, Long, ObjectId, type Document } from "mongodb";

/** A small seeded PRNG (mulberry32): the same seed gives the same values on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WORDS = ["river", "delta", "stream", "basin", "source", "mouth", "bank", "flow", "current", "rapids", "shoal", "eddy", "ford", "weir"];
const BASE_TIME = Date.UTC(2024, 0, 1);

/**
 * Document number `index` of a realistic collection, about `size` bytes as BSON: an ObjectId
 * `_id` derived from the index, nested documents, arrays of documents and of scalars, dates,
 * Int32, Long, Double, Decimal128, booleans, nulls, and a free-text field that pads it to size.
 * The same index always gives the same document.
 */
export function realisticDocument(index: number, size = 1_024): Document {
  const next = seededRandom(index + 1);
  const word = (): string => WORDS[Math.floor(next() * WORDS.length)] ?? "river";
  const items = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, line) => ({
    line: new Int32(line + 1),
    sku: `${word()}-${Math.floor(next() * 10_000)}`,
    quantity: new Int32(1 + Math.floor(next() * 9)),
    price: new Decimal128(`${Math.floor(next() * 10_000)}.${Math.floor(next() * 100).toString().padStart(2, "0")}`),
  }));
  const doc: Document = {
    _id: new ObjectId(index.toString(16).padStart(24, "0")),
    number: new Int32(index),
    customer: { name: `${word()} ${word()}`, email: `customer${index}@example.com`, address: { city: word(), zip: String(10_000 + (index % 89_999)), geo: [new Double(next() * 180 - 90), new Double(next() * 360 - 180)] } },
    items,
    tags: Array.from({ length: Math.floor(next() * 5) }, word),
    total: new Double(Math.round(next() * 1_000_000) / 100),
    views: Long.fromNumber(Math.floor(next() * 1e12)),
    paid: next() < 0.7,
    coupon: next() < 0.2 ? word() : null,
    createdAt: new Date(BASE_TIME + index * 1_000),
    updatedAt: new Date(BASE_TIME + index * 1_000 + Math.floor(next() * 86_400_000)),
    status: ["new", "paid", "shipped", "delivered", "returned"][index % 5],
  };
  // Pad with text to reach about `size` bytes (the fields above take roughly 370 bytes).
  doc.notes = Array.from({ length: Math.max(0, Math.floor(size / 4)) }, word).join(" ").slice(0, Math.max(0, size - 370));
  return doc;
}

/** Documents `from` .. `from + count - 1`. */
export function realisticDocuments(count: number, size?: number, from = 0): Document[] {
  return Array.from({ length: count }, (_, offset) => realisticDocument(from + offset, size));
}
