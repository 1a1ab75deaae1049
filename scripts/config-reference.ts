/** Regenerates the configuration table in README.md from the config schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../shared/config/reference.ts';

const file = new URL('../README.md', import.meta.url);
writeFileSync(file, withConfigReference(readFileSync(file, 'utf8')));
console.log('README.md configuration table regenerated');
