/**
 * Which better-sqlite3 build this runtime loads.
 *
 * better-sqlite3 12 wraps its objects in node::ObjectWrap. From Node 24 on, ObjectWrap registers an environment
 * cleanup hook per object and removes it in its destructor; when V8 collects a Database or Statement while no
 * context is entered (a collection run from a platform task, or at process exit), the removal asserts
 * `(env) != nullptr` and the process aborts (measured here: every integration test file on Node 24.21 died in
 * `Database::~Database`). Kysely prepares statements per query, so a server would abort too, not only tests.
 * better-sqlite3 13 uses node-addon-api (Node-API 10, no ObjectWrap hooks) and ships prebuilt binaries, but
 * Node-API 10 needs Node 22: on Node 20 (Node-API 9) it crashes on the first query. Node 20 keeps 12, compiled for
 * it at install; 22 and later load 13 (the `better-sqlite3-napi` alias). Drop 12 with Node 20.
 */
import { createRequire } from 'node:module';
import type SqliteDatabase from 'better-sqlite3';

export type SqliteConstructor = typeof SqliteDatabase;

export function sqliteModuleFor(nodeVersion: string): 'better-sqlite3' | 'better-sqlite3-napi' {
  return Number(nodeVersion.split('.')[0]) >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';
}

export function loadSqlite(): SqliteConstructor {
  const require = createRequire(import.meta.url);
  return require(sqliteModuleFor(process.versions.node)) as SqliteConstructor;
}
