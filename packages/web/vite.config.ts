// Vite build of the EdgeClass web client: Preact with the automatic JSX runtime (oxc), one HTML
// entry, the teacher console and the admin page split into lazy chunks. Prints the size of what
// each view loads, gzipped, and fails the build if the student view passes its budget.
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import { en } from "./app/messages/en.ts";
import { zhCN } from "./app/messages/zh-CN.ts";

/** Aim from the issue: the student view under 100 KB of JavaScript, gzipped. */
const STUDENT_BUDGET_GZ = 100 * 1024;

type Chunk = {
  type: "chunk";
  fileName: string;
  code: string;
  isEntry: boolean;
  imports: string[];
  dynamicImports: string[];
  facadeModuleId: string | null;
  name: string;
};
type Output = Chunk | { type: "asset"; fileName: string; source: string | Uint8Array };

function bundleReport(): Plugin {
  return {
    name: "edgeclass-bundle-report",
    apply: "build",
    generateBundle(_opts, bundle) {
      const files = bundle as unknown as Record<string, Output>;
      const gz = (f: string) => {
        const o = files[f];
        const body = o.type === "chunk" ? o.code : o.source;
        return gzipSync(typeof body === "string" ? Buffer.from(body) : body, { level: 9 }).byteLength;
      };
      const raw = (f: string) => {
        const o = files[f];
        return o.type === "chunk"
          ? Buffer.byteLength(o.code)
          : typeof o.source === "string"
            ? Buffer.byteLength(o.source)
            : o.source.byteLength;
      };
      // A view = its chunk plus every chunk it imports statically, transitively.
      const closure = (start: string[]) => {
        const seen = new Set<string>();
        const visit = (f: string) => {
          if (seen.has(f) || !files[f] || files[f].type !== "chunk") return;
          seen.add(f);
          for (const i of (files[f] as Chunk).imports) visit(i);
        };
        start.forEach(visit);
        return [...seen];
      };
      const chunks = Object.values(files).filter((o): o is Chunk => o.type === "chunk");
      const entry = chunks.find((c) => c.isEntry);
      if (!entry) return;
      const byName = (n: string) => chunks.find((c) => c.name === n)?.fileName;
      const css = Object.keys(files).filter((f) => f.endsWith(".css"));
      const kb = (n: number) => (n / 1024).toFixed(1).padStart(6) + " KB";
      const views: [string, string[]][] = [
        ["student view (entry)", closure([entry.fileName])],
        ["teacher console", closure([entry.fileName, byName("teacher") ?? ""])],
        ["admin page", closure([entry.fileName, byName("admin") ?? ""])],
      ];
      const lines = ["", "EdgeClass web bundle (JavaScript; gzip -9):"];
      for (const c of chunks) lines.push(`  ${c.fileName.padEnd(40)} ${kb(raw(c.fileName))} raw ${kb(gz(c.fileName))} gz`);
      for (const f of css) lines.push(`  ${f.padEnd(40)} ${kb(raw(f))} raw ${kb(gz(f))} gz`);
      const summary: Record<string, number> = {};
      for (const [name, fs] of views) {
        const total = fs.reduce((s, f) => s + gz(f), 0);
        summary[name] = total;
        lines.push(
          `  ${name.padEnd(40)} ${kb(total)} JS gz` + (name.startsWith("student") ? ` (aim < ${STUDENT_BUDGET_GZ / 1024} KB)` : ""),
        );
      }
      console.log(lines.join("\n") + "\n");
      this.emitFile({
        type: "asset",
        fileName: "bundle-report.json",
        source: JSON.stringify(
          { chunks: chunks.map((c) => ({ file: c.fileName, raw: raw(c.fileName), gzip: gz(c.fileName) })), viewsGzip: summary },
          null,
          2,
        ),
      });
      if (summary["student view (entry)"] > STUDENT_BUDGET_GZ)
        this.error(`student view is ${summary["student view (entry)"]} bytes gzipped, over the ${STUDENT_BUDGET_GZ} budget`);
    },
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const BOOT_KEYS = ["boot.loading", "boot.noscript", "boot.description"] as const;

/**
 * The words index.html shows before any script runs (the loading line, <noscript>, the description) come from the catalogues: index.html
 * gets the English ones, and index.zh-CN.html, the same page in Chinese, is emitted beside it. The server picks one by the language
 * cookie the app's switch sets, else Accept-Language (http/routes/web.ts).
 */
function bootLanguages(): Plugin {
  return {
    name: "edgeclass-boot-languages",
    enforce: "post",
    transformIndexHtml: {
      order: "pre",
      handler: (html) => html.replace(/\{\{(boot\.\w+)\}\}/g, (_m, k: (typeof BOOT_KEYS)[number]) => escapeHtml(en[k])),
    },
    generateBundle(_opts, bundle) {
      const index = bundle["index.html"];
      if (index?.type !== "asset") return;
      let html = String(index.source).replace('<html lang="en">', '<html lang="zh-CN">');
      for (const k of BOOT_KEYS) html = html.replaceAll(escapeHtml(en[k]), escapeHtml(String(zhCN[k])));
      this.emitFile({ type: "asset", fileName: "index.zh-CN.html", source: html });
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  publicDir: "public",
  // @edgeclass/client by tsconfig paths: each worktree and checkout builds its own packages/client.
  resolve: { tsconfigPaths: true },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: {
        chunkFileNames: "assets/[name]-[hash].js",
        entryFileNames: "assets/[name]-[hash].js",
        assetFileNames: "assets/[name]-[hash][extname]",
      },
    },
  },
  server: {
    // `vite packages/web` for development against a running server on :8080.
    proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } },
  },
  plugins: [bundleReport(), bootLanguages()],
});
