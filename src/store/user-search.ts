/**
 * The text a user search looks in (users.search_text, migration 0017): the user name key, the full name and every
 * address, lower-cased with JavaScript's toLowerCase (as userNameKey is), one per line. A search is a substring
 * test on this one column (user-pages.ts); a query never holds a line break, so a match never spans two fields.
 *
 * Why a column and not an index: measured on 100,000 users, searching the three source columns (lower() of the
 * full name and of the JSON address list) took 90-230 ms per request on both databases; the one narrow column
 * takes a fraction of that. A trigram GIN index (pg_trgm) answered in 1-4 ms but made inserting 100,000 users
 * take 2.9 s instead of 0.35 s, which a first sync would pay (and it needs an extension and serves no query
 * under three characters); SQLite's FTS5 trigram tables have the same trade. Inserts compute the text in
 * userRow(); every statement that changes a name, a full name or addresses calls refreshSearchText() after it.
 */
import { sql } from 'kysely';
import type { Executor } from './users.js';

export function searchTextOf(userNameKey: string, fullName: string, emailAddresses: readonly string[]): string {
  let text = userNameKey + '\n' + fullName.toLowerCase();
  for (const address of emailAddresses) text += '\n' + address.toLowerCase();
  return text;
}

/** Rows per statement: far below SQLite's limit of bound values. */
const CHUNK = 500;

/** Recomputes the search text of the users with these keys (or row ids) from their stored fields. */
export async function refreshSearchText(db: Executor, keys: ReadonlyArray<string | number>, by: 'user_name_key' | 'id' = 'user_name_key'): Promise<void> {
  for (let start = 0; start < keys.length; start += CHUNK) {
    const chunk = keys.slice(start, start + CHUNK);
    const rows = await db.selectFrom('users').select(['id', 'user_name_key', 'full_name', 'email_addresses']).where(by, 'in', chunk).execute();
    if (rows.length === 0) continue;
    const cases = sql.join(
      rows.map((row) => sql`when ${row.id} then ${searchTextOf(row.user_name_key, row.full_name, JSON.parse(row.email_addresses) as string[])}`),
      sql` `,
    );
    await sql`update users set search_text = case id ${cases} end where id in (${sql.join(rows.map((row) => row.id))})`.execute(db);
  }
}
