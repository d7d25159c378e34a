import { describe, expect, it } from "vitest";
import { postgresUrlProblem } from "../../../src/config/connection-strings.js";
import { isKeywordValue, parseKeywordValue } from "../../../src/core/libpq-keyword-value.js";
import { connectionSettings } from "../../../src/sinks/postgres/connection-config.js";

function settingsOf(text: string): Readonly<Record<string, string>> {
  const parsed = parseKeywordValue(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.settings;
}

function problemOf(text: string): string {
  const parsed = parseKeywordValue(text);
  if (parsed.ok) throw new Error(`expected ${text} to be refused`);
  return parsed.problem;
}

describe("libpq keyword/value connection strings", () => {
  it("tell themselves from URLs", () => {
    expect(isKeywordValue("host=db dbname=x")).toBe(true);
    expect(isKeywordValue("  port = 5433")).toBe(true);
    expect(isKeywordValue("postgres://u:p@h/db?sslmode=require")).toBe(false);
  });

  it("are read by libpq's rules: blanks around =, quoted values, backslash escapes", () => {
    expect(settingsOf("host=db.example port = 5433\tdbname='my db' user=app password='it\\'s a \\\\ secret'")).toEqual({
      host: "db.example",
      port: "5433",
      dbname: "my db",
      user: "app",
      password: "it's a \\ secret",
    });
    expect(settingsOf("password=a\\ b options='-c search_path=x' application_name=''")).toEqual({ password: "a b", options: "-c search_path=x", application_name: "" });
    expect(settingsOf("   ")).toEqual({});
    // libpq's isspace: only ASCII blanks separate settings; a no-break space is part of a value.
    expect(settingsOf("host=db password=hun\u00a0ter2\tdbname=x")).toEqual({ host: "db", password: "hun\u00a0ter2", dbname: "x" });
  });

  it("are refused with what is wrong, never showing the password", () => {
    expect(problemOf("host=db hots=x")).toBe('unknown setting "hots" (supported: host, port, dbname, user, password, connect_timeout, client_encoding, options, application_name, fallback_application_name, keepalives, keepalives_idle, sslmode, sslcert, sslkey, sslrootcert)');
    expect(problemOf("host=db service=prod")).toMatch(/^"service" is a libpq setting that Tributary's PostgreSQL driver cannot honour; leave it out/);
    expect(problemOf("host=db port=99999")).toBe('port "99999" is not a port: a whole number between 1 and 65535 (one host, one port)');
    expect(problemOf("host=a,b port=5432")).toMatch(/^host "a,b" lists several hosts/);
    expect(problemOf("host=db connect_timeout=soon")).toBe('connect_timeout "soon" is not a whole number of seconds');
    expect(problemOf("host=db sslmode=always")).toBe('sslmode "always" is not one of disable, allow, prefer, require, verify-ca, verify-full');
    expect(problemOf("host=db host=other")).toBe('"host" is given twice');
    expect(problemOf("host=db password='hunter2")).toBe('an unterminated quoted string in the value of "password"');
    expect(problemOf("host=db dbname")).toBe('missing "=" after "dbname"');
    expect(problemOf("host=db =x")).toBe("expected a keyword at character 9");
  });

  it("refused after an unquoted password holding a blank, never show what follows it (the password's tail)", () => {
    for (const text of ["host=db password=my secret", "host=db password=hunter2 hunter3 dbname=x", "password=ab 'cd' host=db"]) {
      const problem = problemOf(text);
      expect(problem).toBe(`the value of "password" is followed by text that is not a setting: a value holding blanks must be quoted (password='…') or its blanks escaped (\\ )`);
    }
    expect(postgresUrlProblem("host=db password=hunter2 hunter3 dbname=x")).toBe(
      `a keyword/value connection string with a password is not valid: the value of "password" is followed by text that is not a setting: a value holding blanks must be quoted (password='…') or its blanks escaped (\\ )`,
    );
    expect(postgresUrlProblem("host=db user=app password=pw dbnmae=x")).toContain('host=db user=app password=*** dbnmae=x is not a valid keyword/value connection string: unknown setting "dbnmae"');
  });
});

describe("connectionSettings", () => {
  it("hands a URL to pg as it is, over the defaults", () => {
    expect(connectionSettings("postgres://u:p@h/db", { application_name: "tributary" })).toEqual({ application_name: "tributary", connectionString: "postgres://u:p@h/db" });
  });

  it("turns keyword/value settings into pg's, those of the string winning over the defaults", () => {
    expect(
      connectionSettings("host=db port=5433 dbname=shop user=app password=pw connect_timeout=7 application_name=etl keepalives=0 keepalives_idle=30 options='-c x=1'", {
        application_name: "tributary",
        keepAlive: true,
        query_timeout: 5,
      }),
    ).toEqual({ host: "db", port: 5433, database: "shop", user: "app", password: "pw", connectionTimeoutMillis: 7000, application_name: "etl", keepAlive: false, keepAliveInitialDelayMillis: 30_000, options: "-c x=1", query_timeout: 5 });
  });

  it("reads sslmode as pg reads it in a URL", () => {
    expect(connectionSettings("host=db sslmode=disable", {})).toEqual({ host: "db", ssl: false });
    expect(connectionSettings("host=db sslmode=verify-full", {})).toEqual({ host: "db", ssl: {} });
  });
});
