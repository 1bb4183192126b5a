// One-time keys in Redis (REDIS_URL): one answer for every instance. A write that Redis does
// not take fails (the caller refuses the request): a nonce must never be accepted twice.
import type { Cluster, Redis } from "ioredis";
import { AppError } from "../domain/errors.ts";
import type { OneTimeKeys } from "./keys.ts";

const unavailable = (e: unknown) =>
  new AppError("unavailable", `the shared store (Redis) did not answer: ${e instanceof Error ? e.message : String(e)}; try again`);

export class RedisKeys implements OneTimeKeys {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  async claim(key: string, value: string, ttlMs: number): Promise<boolean> {
    try {
      return (await this.redis.set(this.prefix + key, value, "PX", Math.max(1, Math.ceil(ttlMs)), "NX")) === "OK";
    } catch (e) {
      throw unavailable(e);
    }
  }

  async get(key: string): Promise<string | null> {
    try {
      return await this.redis.get(this.prefix + key);
    } catch (e) {
      throw unavailable(e);
    }
  }

  async take(key: string): Promise<string | null> {
    try {
      return await this.redis.getdel(this.prefix + key);
    } catch (e) {
      throw unavailable(e);
    }
  }
}
