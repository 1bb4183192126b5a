// The centre's alerts pass promtool (check and unit tests that fire each one), and the metrics
// the central service and a city export (records and catalogue) pass promtool check metrics.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { CentralConsumer } from "../../src/central/consumer.ts";
import { CityCatalogueFeed } from "../../src/central/catalogue-feed.ts";
import { CataloguePublisher } from "../../src/central/catalogue-publisher.ts";
import { CentralCatalogue } from "../../src/central/catalogue-store.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { CentralStore } from "../../src/central/pg-store.ts";
import { CityPublisher } from "../../src/central/publisher.ts";
import { Registry } from "../../src/obs/prom.ts";
import { openDatabase } from "../../src/store/sqlite/database.ts";
import { quietLogger } from "./support.ts";

const PROM = join(import.meta.dir, "../../../../deploy/prometheus");
const promtool = (args: string[], input?: string) => spawnSync("promtool", args, { input, encoding: "utf8" });

test("promtool check rules and promtool test rules: each central alert fires in its unit test", () => {
  const check = promtool(["check", "rules", join(PROM, "rules/central.rules.yaml")]);
  expect(check.stdout + check.stderr).toContain("SUCCESS: 6 rules found");
  const unit = promtool(["test", "rules", join(PROM, "tests/central.test.yaml")]);
  expect(unit.stdout + unit.stderr).not.toContain("FAILED");
  expect(unit.status).toBe(0);
});

test("the central and city metrics pass promtool check metrics", () => {
  const registry = new Registry();
  const store = new CentralStore("postgres://postgres@127.0.0.1:5432/postgres"); // not connected: only metrics are read
  new CentralConsumer({ url: "nats://127.0.0.1:1", cities: ["north"] }, store, registry, quietLogger());
  const city = new SqliteStore(openDatabase(":memory:"), { centralCity: "north" });
  new CityPublisher({ url: "nats://127.0.0.1:1", city: "north" }, city.central!, registry, quietLogger());
  new CityCatalogueFeed({ url: "nats://127.0.0.1:1", city: "north" }, city.catalogue!, registry, quietLogger());
  new CataloguePublisher({ url: "nats://127.0.0.1:1" }, new CentralCatalogue(store.sql), registry, quietLogger());
  const r = promtool(["check", "metrics"], registry.expose());
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
  void store.close();
});
