import { Double, Int32, Long, ObjectId, type Document } from "mongodb";

/** A small deterministic pseudo-random generator, so every run loads the same documents. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const CITIES = ["Paris", "Oslo", "Lagos", "Lima", "Osaka", "Perth", "Quito", "Tunis"];
const STATUSES = ["new", "paid", "shipped", "delivered", "returned"];
const TAGS = ["gift", "express", "fragile", "bulk", "promo", "vip", "eco"];
const WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do"];

/**
 * `count` realistic order documents of about 1 KB: nested documents, arrays of documents and of
 * scalars, dates, and several numeric types (Int32, Double, Long).
 */
export function sampleOrders(count: number, seed = 42): Document[] {
  const random = generator(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const text = (words: number): string => Array.from({ length: words }, () => pick(WORDS)).join(" ");
  const base = Date.UTC(2024, 0, 1);
  return Array.from({ length: count }, (_, n) => {
    const items = Array.from({ length: 2 + Math.floor(random() * 4) }, (_, i) => ({
      sku: `SKU-${Math.floor(random() * 100_000)}`,
      qty: new Int32(1 + Math.floor(random() * 5)),
      price: new Double(Math.round(random() * 10_000) / 100),
      options: { color: pick(["red", "green", "blue"]), size: pick(["S", "M", "L"]) },
      line: new Int32(i),
    }));
    return {
      _id: new ObjectId(n.toString(16).padStart(24, "0")),
      customer: {
        name: `Customer ${n}`,
        email: `customer${n}@example.com`,
        address: { street: `${n} ${text(2)} street`, city: pick(CITIES), zip: String(10_000 + (n % 89_999)), geo: { lat: new Double(random() * 180 - 90), lng: new Double(random() * 360 - 180) } },
      },
      status: pick(STATUSES),
      total: new Double(items.reduce((sum, item) => sum + item.price.value * item.qty.value, 0)),
      createdAt: new Date(base + Math.floor(random() * 300 * 86_400_000)),
      tags: [pick(TAGS), pick(TAGS)],
      items,
      notes: text(40),
      flags: { gift: random() < 0.2, priority: random() < 0.1 },
      version: Long.fromNumber(n),
    };
  });
}
