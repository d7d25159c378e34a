import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../../src/core/redact.js";

describe("redactSecrets", () => {
  it("hides passwords of connection strings wherever they appear", () => {
    expect(redactSecrets("failed: mongodb+srv://app:s3cr%40t@cluster0.example.net/db?retryWrites=true")).toBe(
      "failed: mongodb+srv://app:***@cluster0.example.net/db?retryWrites=true",
    );
    expect(redactSecrets("postgres://u:p@h:5432/db and postgresql://x:y@z/w")).toBe("postgres://u:***@h:5432/db and postgresql://x:***@z/w");
    expect(redactSecrets("postgres://h/db?user=u&password=hunter2&sslmode=require")).toBe("postgres://h/db?user=u&password=***&sslmode=require");
  });

  it("leaves strings without credentials alone", () => {
    expect(redactSecrets("mongodb://localhost:27017/?replicaSet=rs0")).toBe("mongodb://localhost:27017/?replicaSet=rs0");
  });
});
