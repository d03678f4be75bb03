// The Postgres the test command starts (RELAY_TEST_POSTGRES_URL), for the suites that
// need one: SQL through psql, and a fresh database per test, dropped when the suite ends.
import { after } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const PG = process.env.RELAY_TEST_POSTGRES_URL;

/** Runs `sql` on `url`; its output, trimmed (one value per line, columns by `|`). */
export async function psql(url, sql) {
  const { stdout } = await execFileP('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  return stdout.trim();
}

const databases = [];
after(async () => {
  for (const db of databases) await psql(PG, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
});

/** A new empty database on the test Postgres; its URL. `prefix` names the suite. With
 * `utf8`, the database is UTF8 whatever the cluster's initdb locale made the default
 * (a SQL_ASCII default leaves search without accent folding). */
export async function freshDatabase(prefix, { utf8 = false } = {}) {
  const name = `relay_${prefix}_${process.pid}_${databases.length}`;
  await psql(PG, `CREATE DATABASE ${name}${utf8 ? " ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" : ''}`);
  databases.push(name);
  return PG.slice(0, PG.lastIndexOf('/') + 1) + name;
}
