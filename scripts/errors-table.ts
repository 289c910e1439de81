// `npm run docs:errors`: writes docs/errors.md, the table of every LBA_ERR_* code, from the catalogue.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS_DOC, renderErrorsTable } from '../src/errors/table.js';

const file = fileURLToPath(new URL(`../${ERRORS_DOC}`, import.meta.url));
writeFileSync(file, renderErrorsTable());
console.log(`wrote ${ERRORS_DOC}`);
