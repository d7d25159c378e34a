import { describe, expect, it } from "vitest";
import { runCli } from "../../support/run-cli.js";

// No server is reached: config check builds every sink without opening it, and sync refuses
// bad options before it connects (the MongoDB address is a closed port).
const FROM = "mongodb://127.0.0.1:1/?replicaSet=rs0";

describe("--sink <use>:key=value,…", () => {
  it("hands the options to the sink, secrets shown as ***", async () => {
    const result = await runCli(["config", "check", "--from", FROM, "--sink", 'webhook:url=https://hooks.example.com/x,secret="s3cr3t,value",timeoutMs=5000']);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(["  - name: webhook", "    use: webhook", "    options:", "      url: https://hooks.example.com/x", '      secret: "***"', "      timeoutMs: 5000"].join("\n"));
    expect(result.stdout).not.toContain("s3cr3t");
  });

  it("refuses an option the sink does not know, naming the sink and the key, with exit code 2", async () => {
    const result = await runCli(["sync", "--from", FROM, "--sink", "jsonl:bogus=1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tributary: error: Invalid options for jsonl sink 'jsonl': unknown option sinks.jsonl.options.bogus [TRIB_SINK_INVALID]\n");
  });

  it("refuses options it cannot read without printing their values", async () => {
    const result = await runCli(["sync", "--from", FROM, "--sink", 'webhook:url=https://hooks.example.com/x,secret="s3cr3t']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'tributary: error: --sink webhook: option "secret": its quote is not closed. Write options as --sink webhook:key=value,key2=value2, quoting a value that holds a comma: key="a,b" [TRIB_CONFIG_INVALID]\n',
    );
  });

  it("configures a DocManager from the command line", async () => {
    const result = await runCli(["config", "check", "--from", FROM, "--sink", "./examples/docmanager-sink:dir=./out,values=plain,largeLongs=string,chunkSize=100"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(["  - name: docmanager-sink", "    use: ./examples/docmanager-sink", "    options:", "      dir: ./out", "      values: plain", "      largeLongs: string", "      chunkSize: 100"].join("\n"));
    const wrong = await runCli(["config", "check", "--from", FROM, "--sink", "./examples/docmanager-sink:dir=./out,values=json"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("sinks.docmanager-sink.options.values");
  });
});
