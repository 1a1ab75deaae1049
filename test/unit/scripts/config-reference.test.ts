import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configDocMarkdown } from '../../../scripts/config-reference.ts';
import { ENV_VARS } from '../../../shared/config/env-vars.ts';

describe('docs/config.md', () => {
  it('is the one generated from the schema (run `npm run docs:config` after changing it)', () => {
    const doc = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');
    expect(doc).toBe(configDocMarkdown());
  });

  it('lists every variable of the schema exactly once', () => {
    const doc = configDocMarkdown();
    for (const v of ENV_VARS) expect(doc.split(`| \`${v.name}\` |`).length - 1, v.name).toBe(1);
  });

  it('puts a variable no section claims under "Other" rather than dropping it', () => {
    const doc = configDocMarkdown([
      ...ENV_VARS,
      { name: 'SOMETHING_NEW', default: '1', description: 'A new setting | with a pipe.' },
    ]);
    expect(doc).toContain('## Other\n\n| variable | default | meaning |');
    expect(doc).toContain('| `SOMETHING_NEW` | `1` | A new setting \\| with a pipe. |');
  });
});
