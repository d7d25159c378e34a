import { describe, expect, it } from "vitest";
import { redactSecrets, redactValue } from "../../../src/core/redact.js";

/** [what, input, expected]: every connection-string form both drivers accept, and the secret-bearing options. */
const CASES: ReadonlyArray<readonly [string, string, string]> = [
  ["mongodb+srv, escaped password", "failed: mongodb+srv://app:s3cr%40t@cluster0.example.net/db?retryWrites=true", "failed: mongodb+srv://app:***@cluster0.example.net/db?retryWrites=true"],
  ["unescaped / in the password", "at mongodb://alice:pa/ss99@db1:27017/shop", "at mongodb://alice:***@db1:27017/shop"],
  ["unescaped @ in the password", "mongodb://alice:p@ss@db1:27017/", "mongodb://alice:***@db1:27017/"],
  ["unescaped blank in the password", "mongodb://alice:pa ss@db1/", "mongodb://alice:***@db1/"],
  ["unescaped : in the password", "mongodb://alice:pa:ss@db1/", "mongodb://alice:***@db1/"],
  ["an empty user name", "mongodb://:pw@db1:27017/", "mongodb://:***@db1:27017/"],
  ["seed list", "mongodb://u:p@a:1,b:2,c:3/?replicaSet=rs0", "mongodb://u:***@a:1,b:2,c:3/?replicaSet=rs0"],
  ["AWS session token", "mongodb://AKIA:sk@h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:FQoGZXIvYXdz%2Fabc,SERVICE_NAME:x", "mongodb://AKIA:***@h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:***,SERVICE_NAME:x"],
  ["AWS session token as an option", '{ AWS_SESSION_TOKEN: "FQoGZXIvYXdz" }', '{ AWS_SESSION_TOKEN: "***" }'],
  ["TLS key password", "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=k3y&appName=x", "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=***&appName=x"],
  ["proxy password", "mongodb://h/?proxyHost=p&proxyUsername=u&proxyPassword=pp", "mongodb://h/?proxyHost=p&proxyUsername=u&proxyPassword=***"],
  ["two URLs on one line", "postgres://u:p@h:5432/db and postgresql://x:y@z/w", "postgres://u:***@h:5432/db and postgresql://x:***@z/w"],
  ["postgres password with /", "postgres://app:pa/ss@pg:5432/analytics", "postgres://app:***@pg:5432/analytics"],
  ["postgres password with @", "postgres://app:p@ss@pg/analytics", "postgres://app:***@pg/analytics"],
  ["postgres password with a blank", "postgresql://app:pa ss@pg/analytics", "postgresql://app:***@pg/analytics"],
  ["postgres password in the query", "postgres://h/db?user=u&password=hunter2&sslmode=require", "postgres://h/db?user=u&password=***&sslmode=require"],
  ["postgres ssl key password", "postgres://h/db?sslpassword=k&sslmode=verify-full", "postgres://h/db?sslpassword=***&sslmode=verify-full"],
  ["libpq keyword/value", "host=db port=5432 user=app password=hunter2 dbname=x", "host=db port=5432 user=app password=*** dbname=x"],
  ["libpq quoted value", "host=db password='hun ter\\'2' dbname=x", "host=db password=*** dbname=x"],
  ["libpq blanks around =", "host=db password = hunter2", "host=db password = ***"],
  ["libpq inside a message", "cannot connect (host=db sslpassword=abc dbname=x)", "cannot connect (host=db sslpassword=*** dbname=x)"],
  ["libpq password first", "password=hunter2 host=db", "password=*** host=db"],
  ["libpq escaped blank in a bare value", "host=db password=hun\\ ter2 dbname=x", "host=db password=*** dbname=x"],
  ["libpq empty quoted value", "password='' host=db", "password=*** host=db"],
  ["libpq unterminated quote", "host=db password='hun ter2 dbname=x", "host=db password=***"],
  // libpq's blanks are ASCII ones (isspace): a no-break space is part of the value, as libpq reads it.
  ["libpq bare value starting with &", "host=db password=&secret dbname=x", "host=db password=*** dbname=x"],
  ["libpq no-break space in a bare value", "host=db password=hun\u00a0ter2 dbname=x", "host=db password=*** dbname=x"],
  ["webhook token in the query", "POST https://hooks.example.com/in?token=abc123&x=1", "POST https://hooks.example.com/in?token=***&x=1"],
  ["webhook credentials", "https://user:pw@hooks.example.com/in", "https://user:***@hooks.example.com/in"],
  ["a token as the user", "https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/x", "https://***@github.com/x"],
  ["an authorization header", "headers: { Authorization: Bearer eyJhbGciOi.x.y }", "headers: { Authorization: Bearer *** }"],
];

const UNTOUCHED: readonly string[] = [
  "mongodb://localhost:27017/?replicaSet=rs0",
  "mongodb://db1:27017,db2:27017/shop?replicaSet=rs0&readPreference=secondary",
  "postgres://localhost:5432/analytics",
  "postgres://app@localhost/analytics",
  'password authentication failed for user "postgres"',
  "headers has an Authorization header too; keep one",
  "connect ECONNREFUSED 127.0.0.1:5432",
];

describe("redactSecrets", () => {
  it.each(CASES)("hides %s", (_what, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it.each(UNTOUCHED)("leaves %s alone", (text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  it("is idempotent", () => {
    for (const [, input] of CASES) expect(redactSecrets(redactSecrets(input))).toBe(redactSecrets(input));
  });
});

describe("redactValue", () => {
  it("redacts strings everywhere, secret keys whatever their value, and errors with their causes", () => {
    const cause = new Error("connect to postgres://u:hunter2@h/db failed");
    const error = Object.assign(new Error("sync failed at mongodb://a:b@h/", { cause }), { code: "TRIB_X" });
    const value = redactValue({ url: "mongodb://a:sw0rdfish@h/", options: { secret: "s", headers: { authorization: "Basic xyz" } }, list: ["password=1"], err: error, n: 1 });
    const text = JSON.stringify(value);
    for (const secret of ["sw0rdfish", '"s"', "xyz", "hunter2", "a:b@"]) expect(text).not.toContain(secret);
    expect(value).toMatchObject({ url: "mongodb://a:***@h/", options: { secret: "***", headers: { authorization: "***" } }, list: ["password=***"], err: { type: "Error", code: "TRIB_X", message: "sync failed at mongodb://a:***@h/" }, n: 1 });
  });

  it("masks options whose name ends in a secret's name (a plugin's clientSecret, authToken, dbPassword, stripeApiKey)", () => {
    const options = { clientSecret: "hunter2", authToken: "t0k", dbPassword: "pw", stripe_api_key: "sk", stripeApiKey: "sk2", tokenizer: "words", maxTokens: 5 };
    expect(redactValue(options)).toEqual({ clientSecret: "***", authToken: "***", dbPassword: "***", stripe_api_key: "***", stripeApiKey: "***", tokenizer: "words", maxTokens: 5 });
  });

  it("survives cycles and leaves non-plain objects alone", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const date = new Date(0);
    expect(redactValue({ cyclic, date })).toEqual({ cyclic: { a: 1, self: "[…]" }, date });
  });
});
