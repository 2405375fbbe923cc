import { readFileSync } from 'fs';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import {
  ANNOTATION_RESILIENCE,
  checkResilience,
  parseResilienceFile,
} from '@reliability-suite/plugin-reliability-common';

const catalog = path.resolve(__dirname, '../../../../catalog');

describe("the demo's resilience file", () => {
  it('is where checkout points, parses, and every dependency fits timeout < retry budget < deadline', () => {
    const checkout = parseAllDocuments(
      readFileSync(path.join(catalog, 'components.yaml'), 'utf8'),
    )
      .map(d => d.toJS())
      .find(e => e?.kind === 'Component' && e.metadata.name === 'checkout');
    const where = checkout.metadata.annotations[ANNOTATION_RESILIENCE];
    expect(where).toBe('./resilience/checkout.yaml');
    const parsed = parseResilienceFile(
      readFileSync(path.join(catalog, where), 'utf8'),
    );
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const checks = checkResilience(parsed.value);
    expect(checks.map(c => [c.name, c.retryBudgetMs, c.problems])).toEqual([
      ['payments', 2000, []],
      ['inventory', 500, []],
      ['login-otp', 150, []],
    ]);
  });
});
