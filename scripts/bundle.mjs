#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/index.js) into dist/bundle/. Loading ~400 separate ES modules (Kysely alone
// has 279 files) took a quarter of a second at every start, about as long as a sync's planning; the bundle loads
// in a fraction of that (docs/design-notes.md). Code only the server needs stays in a chunk loaded by `serve`.
// dist/bundle is two levels below the project root, like dist/cli, so paths built from import.meta.url still
// resolve (package.json, web/static, node_modules).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: without this, chunks of earlier builds would pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { roster: 'dist/cli/index.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // Native addons, and pg's optional native binding, are loaded from node_modules as they are.
  external: ['better-sqlite3', 'better-sqlite3-napi', '@node-rs/argon2', 'pg-native'],
  // Bundled CommonJS packages call require() for Node's own modules.
  banner: { js: "import { createRequire as __rosterRequire } from 'node:module'; const require = __rosterRequire(import.meta.url);" },
  logLevel: 'warning',
});
