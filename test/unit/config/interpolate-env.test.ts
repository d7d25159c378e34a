import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { interpolateEnv } from "../../../src/config/interpolate-env.js";
import { filterWarnings } from "../../../src/config/filter-warnings.js";

describe("interpolateEnv", () => {
  it("fills ${NAME} and ${NAME:-default} in every string, keeps $${ literal, and leaves other values alone", () => {
    const raw = { source: { uri: "mongodb://${HOST:-localhost}:${PORT}/", include: ["${DB}.*"] }, batch: { maxSize: 5 }, note: "$${NOT_A_VAR}" };
    expect(interpolateEnv(raw, { PORT: "27018", DB: "shop", HOST: "" }, "t.yml")).toEqual({
      source: { uri: "mongodb://localhost:27018/", include: ["shop.*"] },
      batch: { maxSize: 5 },
      note: "${NOT_A_VAR}",
    });
  });

  it("reads NAME_FILE when NAME is not set, without the final line break", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "trib-env-")), "secret");
    await writeFile(file, "pa ss\n");
    expect(interpolateEnv({ url: "postgres://app:${PW}@h/db" }, { PW_FILE: file }, "t.yml")).toEqual({ url: "postgres://app:pa ss@h/db" });
    expect(() => interpolateEnv({ url: "${PW}" }, { PW_FILE: `${file}.missing` }, "t.yml")).toThrow(`Cannot read PW_FILE ${file}.missing (for url in t.yml): file not found`);
  });

  it("names the setting and the variable that is not set", () => {
    expect(() => interpolateEnv({ sinks: [{ options: { secret: "${HOOK_SECRET}" } }] }, {}, "t.yml")).toThrow(
      "Invalid configuration in t.yml: sinks.0.options.secret uses ${HOOK_SECRET}, but neither HOOK_SECRET nor HOOK_SECRET_FILE is set in the environment",
    );
  });
});

describe("filterWarnings", () => {
  it("warns about filters that can match nothing", () => {
    expect(filterWarnings(["shop.orders", "local.oplog.rs", "shop.system.views"], ["shop.*"])).toEqual([
      "source.include 'local.oplog.rs' names a system namespace, which is never synced",
      "source.include 'shop.system.views' names a system namespace, which is never synced",
      "source.include 'shop.orders' is left out again by source.exclude: it will not be synced",
    ]);
    expect(filterWarnings([], ["*.*"])).toEqual(["source.exclude '*.*' leaves out every namespace: nothing will be synced"]);
    expect(filterWarnings(["shop.{a,b"], [])).toEqual(["source.include 'shop.{a,b' has an unbalanced '{'; it is read as a literal name and probably matches nothing"]);
  });

  it("has nothing to say about ordinary filters", () => {
    expect(filterWarnings(["shop.*", "crm.users"], ["shop.tmp_*"])).toEqual([]);
  });
});
