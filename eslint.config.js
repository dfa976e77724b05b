import tseslint from 'typescript-eslint';

const ldapts = { name: 'ldapts', message: 'Roster speaks LDAP through its own codec in src/ldap; ldapts is no dependency (issue #11).' };
const database = [
  { name: 'kysely', message: 'Only src/store may use the database (type imports are fine).', allowTypeImports: true },
  { name: 'pg', message: 'Only src/store may import pg.' },
  { name: 'better-sqlite3', message: 'Only src/store may import better-sqlite3.' },
  { name: 'pg-copy-streams', message: 'Only src/store may import pg-copy-streams.' },
];

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
  // Imports flow one way (DESIGN §2): only ldap/ talks to ldapts, only store/ to the database drivers.
  { files: ['src/**/*.ts'], ignores: ['src/ldap/**', 'src/store/**'], rules: { 'no-restricted-imports': ['error', { paths: [ldapts, ...database] }] } },
  { files: ['src/ldap/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [ldapts, ...database] }] } },
  { files: ['src/store/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [ldapts] }] } },
);
