import { expect, it } from "vitest";
import { runCli } from "../../support/run-cli.js";

// Usage errors are found before anything is connected to: these URLs point nowhere.
const WHERE = ["--from", "mongodb://127.0.0.1:1/?replicaSet=rs0", "--to", "postgres://u:secret@127.0.0.1:1/db"];

it("refuses --full with --sample, with exit code 2", async () => {
  const result = await runCli(["verify", ...WHERE, "--full", "--sample", "2"]);
  expect(result.stderr).toMatch(/option '--full' cannot be used with option '--sample <n>'/);
  expect(result.code).toBe(2);
});

it("refuses a --sample that is not a positive whole number, with exit code 2", async () => {
  const result = await runCli(["verify", ...WHERE, "--sample", "0"]);
  expect(result.stderr).toMatch(/--sample/);
  expect(result.code).toBe(2);
});

it("asks for the MongoDB connection string, with exit code 2 and no secret in the message", async () => {
  const result = await runCli(["verify", "--to", "postgres://u:secret@127.0.0.1:1/db"]);
  expect(result.stderr).toMatch(/source\.uri is required/);
  expect(result.stderr).not.toContain("secret");
  expect(result.code).toBe(2);
});
