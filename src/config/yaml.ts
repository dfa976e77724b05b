/**
 * The YAML parser, behind a module of its own so that it is imported only when settings are read or shown as YAML
 * (most commands never need its 150 KB). A static import here keeps the package's CommonJS interop to the bundler.
 */
export { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
