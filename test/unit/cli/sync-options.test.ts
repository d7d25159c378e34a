import { describe, expect, it } from "vitest";
import { configFromFlags, sinkOfFlag } from "../../../src/cli/sync-options.js";

describe("--sink", () => {
  it("names a sink after what it uses", () => {
    expect(["jsonl", "./sinks/audit-sink.js", "/opt/sinks/search/", "tributary-sink-kafka", "@acme/tributary-sink-s3"].map(sinkOfFlag)).toEqual([
      { name: "jsonl", use: "jsonl" },
      { name: "audit-sink", use: "./sinks/audit-sink.js" },
      { name: "search", use: "/opt/sinks/search/" },
      { name: "kafka", use: "tributary-sink-kafka" },
      { name: "s3", use: "@acme/tributary-sink-s3" },
    ]);
  });

  it("adds sinks without a PostgreSQL target", async () => {
    const config = await configFromFlags({ from: "mongodb://h/?replicaSet=rs0", sink: ["jsonl"] });
    expect(config.target).toBeUndefined();
    expect(config.sinks).toEqual([{ name: "jsonl", use: "jsonl", options: {} }]);
  });
});
