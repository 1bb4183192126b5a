// Settings of a fleet city (NATS_URL, CITY) and of the central service: bad values stop with a
// message naming the setting; unset NATS_URL leaves the embedded defaults as they were.
import { expect, test } from "bun:test";
import { centralSettings } from "../../src/central/settings.ts";
import { parseConfig } from "../../src/config/config.ts";

test("a city needs a valid CITY with NATS_URL; without NATS_URL nothing changes", () => {
  expect(parseConfig({}).central).toBeUndefined();
  expect(parseConfig({ NATS_URL: "nats://127.0.0.1:4222", CITY: "north", NATS_USER: "u", NATS_PASSWORD: "p" }).central).toEqual({
    natsUrl: "nats://127.0.0.1:4222",
    city: "north",
    user: "u",
    password: "p",
  });
  expect(() => parseConfig({ NATS_URL: "nats://127.0.0.1:4222" })).toThrow(/CITY/);
  expect(() => parseConfig({ NATS_URL: "nats://127.0.0.1:4222", CITY: "North.*" })).toThrow(/CITY/);
  expect(() => parseConfig({ NATS_URL: "http://x", CITY: "north" })).toThrow(/NATS_URL/);
});

test("the central service needs its cities and takes only safe city names", () => {
  expect(() => centralSettings({})).toThrow(/CENTRAL_CITIES/);
  expect(() => centralSettings({ CENTRAL_CITIES: "north,>" })).toThrow(/CENTRAL_CITIES/);
  expect(() => centralSettings({ CENTRAL_CITIES: "north", DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
  expect(centralSettings({ CENTRAL_CITIES: " north , south " })).toMatchObject({
    cities: ["north", "south"],
    natsUrl: "nats://127.0.0.1:4222",
    port: 8090,
  });
});
