import tseslint from 'typescript-eslint';

const ldapts = { name: 'ldapts', message: 'Roster speaks LDAP through its own codec in src/ldap; ldapts is no dependency (issue #11).' };
const database = [
  { name: 'kysely', message: 'Only src/store may use the database (type imports are fine).', allowTypeImports: true },
  { name: 'pg', message: 'Only src/store may import pg.' },
  { name: 'better-sqlite3', message: 'Only src/store may import better-sqlite3.' },
  { name: 'better-sqlite3-napi', message: 'Only src/store may import better-sqlite3.' },
  { name: 'pg-copy-streams', message: 'Only src/store may import pg-copy-streams.' },
];

const INTERNAL_ABOVE_CONFIG = ['ldap', 'store', 'directory', 'sync', 'auth', 'admin', 'cli', 'api', 'web'];

/** Import patterns naming the given folders (or app.ts) of src/, from a file `prefix` away from src/. */
function folderPatterns(folders, prefix) {
  return folders.map((folder) => ({
    group: folder === 'app' ? [`${prefix}app.js`] : [`${prefix}${folder}/*`],
    message: `Imports flow one way (DESIGN §2: config → ldap / store → directory → sync / auth → cli / api / web): this layer may not import ${folder}/.`,
  }));
}

/** Route modules and console pages call use cases: value imports from the store are refused (sessions excepted). */
function useCasesOnly(prefix) {
  return { group: [`${prefix}store/*`, `!${prefix}store/sessions.js`], allowTypeImports: true, message: 'Routes and pages call use cases (src/admin), not the store.' };
}

/** The rule for one folder of src/ (files directly in it and in subfolders up to two levels down). */
function layer(folder, { paths, above }) {
  return [
    { files: [`${folder}/*.ts`], rules: { 'no-restricted-imports': ['error', { paths, patterns: folderPatterns(above, '../') }] } },
    { files: [`${folder}/*/*.ts`], rules: { 'no-restricted-imports': ['error', { paths, patterns: folderPatterns(above, '../../') }] } },
  ];
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'scratch/', 'bench/tmp/', 'web/static/vendor/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  // Imports flow one way (DESIGN §2): nothing imports ldapts (Roster's own codec), only store/ the database drivers, and each
  // folder imports only from the layers below it (config → ldap / store → directory → sync / auth → cli / api / web).
  ...layer('src/rfc', { paths: [ldapts, ...database], above: ['config', ...INTERNAL_ABOVE_CONFIG, 'app'] }),
  ...layer('src/config', { paths: [ldapts, ...database], above: [...INTERNAL_ABOVE_CONFIG, 'app'] }),
  ...layer('src/ldap', { paths: [ldapts, ...database], above: ['store', 'directory', 'sync', 'auth', 'admin', 'cli', 'api', 'web', 'app'] }),
  ...layer('src/store', { paths: [ldapts], above: ['ldap', 'directory', 'sync', 'auth', 'admin', 'cli', 'api', 'web', 'app'] }),
  ...layer('src/directory', { paths: [ldapts, ...database], above: ['store', 'sync', 'auth', 'admin', 'cli', 'api', 'web', 'app'] }),
  ...layer('src/sync', { paths: [ldapts, ...database], above: ['auth', 'admin', 'cli', 'api', 'web', 'app'] }),
  ...layer('src/auth', { paths: [ldapts, ...database], above: ['sync', 'admin', 'cli', 'api', 'web', 'app'] }),
  ...layer('src/admin', { paths: [ldapts, ...database], above: ['cli', 'api', 'web', 'app'] }),
  ...layer('src/cli', { paths: [ldapts, ...database], above: ['api', 'web'] }),
  // api/server.ts mounts the console and web/routes.ts reuses the API's session and settings helpers: the two
  // interfaces still share those modules (see docs/design-notes.md); neither may reach the CLI.
  ...layer('src/api', { paths: [ldapts, ...database], above: ['cli'] }),
  ...layer('src/web', { paths: [ldapts, ...database], above: ['cli'] }),
  // The shared modules at the top of src/ (model, snapshot, digest, errors, log, ...) sit beside config/; app.ts is
  // the composition root and may import anything, and so may metrics.ts, which app.ts alone uses to render the
  // cluster's state (admin/cluster.ts).
  {
    files: ['src/*.ts'],
    ignores: ['src/app.ts', 'src/metrics.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [ldapts, ...database], patterns: folderPatterns(INTERNAL_ABOVE_CONFIG.concat('app'), './') }] },
  },
  { files: ['src/app.ts', 'src/metrics.ts'], rules: { 'no-restricted-imports': ['error', { paths: [ldapts, ...database] }] } },
  // One use-case layer (src/admin, sync, auth) under the API and the console (issue #13): route modules and pages
  // do not reach into the store (type imports are fine; sessions stay with the HTTP layer's authentication), and the
  // console never imports the API's route modules. These replace the api/web layer rules for those files, so they
  // repeat them.
  {
    files: ['src/api/routes/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [ldapts, ...database], patterns: [...folderPatterns(['cli'], '../../'), useCasesOnly('../../')] }] },
  },
  {
    files: ['src/web/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ldapts, ...database],
          patterns: [
            ...folderPatterns(['cli'], '../'),
            useCasesOnly('../'),
            { group: ['../api/routes/*'], message: 'The console calls use cases (src/admin), not API route modules.' },
          ],
        },
      ],
    },
  },
);
