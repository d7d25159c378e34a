import { expect, it } from "vitest";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { runCli } from "../../support/run-cli.js";
import { useMongoClient } from "../../support/sync-harness.js";

describeWithMongo("config check --connect's privileges on a real server", () => {
  const mongo = useMongoClient();

  it("checks changeStream and find per included database for a user with read on one database", async () => {
    const admin = mongo.client().db("admin");
    await admin.command({ dropUser: "tributary_reader" }).catch(() => undefined);
    // A user with the built-in read role on one database. Authenticating works whether or not the
    // test server enforces access control, and connectionStatus then lists this user's privileges.
    await admin.command({ createUser: "tributary_reader", pwd: "reader-pw", roles: [{ role: "read", db: "priv_shop" }] });
    const uri = new URL(mongo.uri());
    uri.username = "tributary_reader";
    uri.password = "reader-pw";
    uri.searchParams.set("authSource", "admin");
    const check = (include: string[]) => runCli(["config", "check", "--connect", "--from", uri.toString(), "--to", postgresUrl(), ...include.flatMap((pattern) => ["--include", pattern])]);

    const one = await check(["priv_shop.orders"]);
    expect(one.stderr).toContain("tributary: check: ok   MongoDB: changeStream and find on collection priv_shop.orders\n");
    expect(one.code).toBe(0);

    const two = await check(["priv_shop.orders", "priv_crm.contacts"]);
    expect(two.code).toBe(1);
    expect(two.stderr).toContain("MongoDB: the user lacks changeStream and find on collection priv_crm.contacts (grant read on database priv_crm)");
    expect(two.stderr).toMatch(/MongoDB: the user lacks changeStream and find on every database \(the change stream watches the whole deployment/);
    expect(two.stderr).not.toContain("reader-pw");
    await admin.command({ dropUser: "tributary_reader" });
  });
});
