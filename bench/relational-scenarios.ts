// The relational snapshot's baselines on generated documents, into the tables of the bench's
// mapping file: the bare COPY of pre-encoded rows, and the peer's row-at-a-time dump.

import { peerDump } from "./peer-baseline.js";
import { DocumentGenerator } from "./generated-documents.js";
import { benchMapping, copyPreEncoded, tableOf } from "./relational-tables.js";
import type { GeneratedSet } from "./scenario.js";
import { GENERATED_NAMESPACE, type Measured } from "./snapshot-scenarios.js";

function generatedTable(set: GeneratedSet): { generator: DocumentGenerator; table: ReturnType<typeof tableOf> } {
  const generator = new DocumentGenerator(set.size, set.distinct);
  return { generator, table: tableOf(benchMapping(GENERATED_NAMESPACE, generator.documents(0, set.docs)), GENERATED_NAMESPACE) };
}

const clusterSeconds = (): number => Math.floor(Date.now() / 1000);

export function copyRelationalGenerated(url: string, set: GeneratedSet): Promise<Measured> {
  const { generator, table } = generatedTable(set);
  return copyPreEncoded(url, table, generator.documents(0, set.docs), clusterSeconds());
}

export function peerDumpGenerated(url: string, set: GeneratedSet): Promise<Measured> {
  const { generator, table } = generatedTable(set);
  return peerDump(url, table, generator.documents(0, set.docs), clusterSeconds());
}
