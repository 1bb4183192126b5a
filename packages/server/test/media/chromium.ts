// Debian chromium for the browser tests: installed via apt when missing, never skipped.

import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--autoplay-policy=no-user-gesture-required",
  "--disable-features=WebRtcHideLocalIpsWithMdns",
  "--disable-renderer-backgrounding",
  "--disable-background-timer-throttling",
  "--disable-backgrounding-occluded-windows",
];

/** Returns the chromium path, installing Debian's package if needed; throws loudly otherwise. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  console.error("[media test] chromium missing: apt-get install -y chromium");
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "-q", "chromium"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  if (install().status !== 0) {
    spawnSync("apt-get", ["update", "-q"], { stdio: "inherit" });
    install();
  }
  if (!existsSync(CHROMIUM))
    throw new Error("chromium is required for the media browser test and could not be installed (apt-get install -y chromium)");
  return CHROMIUM;
}
