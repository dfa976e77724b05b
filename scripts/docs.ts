// Writes the generated documentation: docs/settings.md (from the zod schema) and docs/errors.md (from the error codes).
import { writeFileSync } from 'node:fs';
import { settingsDocument } from '../src/config/docs.js';
import { errorsDocument } from '../src/errors-doc.js';

writeFileSync(new URL('../docs/settings.md', import.meta.url), settingsDocument());
writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsDocument());
