/**
 * PostgreSQL with an introspector that looks at the current schema only. Kysely's Migrator asks whether its own
 * tables exist by listing the tables of every schema, calling pg_get_serial_sequence on each column by schema
 * name; when another session drops a schema during that query, it fails with "schema … does not exist" (3F000)
 * and the instance dies at start-up. Seen once in 20 runs of the three-instance test while other tests in the
 * same database created and dropped schemas; reproduced in 9 of 30 migrations with three sessions doing so
 * (test/integration/instances.test.ts). Roster keeps its tables, the migration tables included, in the current
 * schema (db.ts names it to the Migrator), so that is the only one asked about.
 */
import { PostgresDialect, sql, type DatabaseIntrospector, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string | null }>`select current_schema() as name`.execute(this.db);
    return rows.flatMap((row) => (row.name ? [{ name: row.name }] : []));
  }

  /** Names only: the Migrator needs nothing more, and Roster uses no other introspection. */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; type: string }>`
      select table_name as name, table_schema as schema, table_type as type
      from information_schema.tables where table_schema = current_schema()`.execute(this.db);
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.type === 'VIEW', columns: [] }));
  }

  async getMetadata(): Promise<{ tables: TableMetadata[] }> {
    return { tables: await this.getTables() };
  }
}

export class CurrentSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}
