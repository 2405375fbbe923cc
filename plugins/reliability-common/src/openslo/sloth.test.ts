import { readFileSync } from 'fs';
import path from 'path';
import { slothToOpenSlo } from './sloth';
import { parseOpenSlo } from './definition';
import { prometheusRuleGroups } from '../alerts/prometheusRules';

describe('slothToOpenSlo on a spec file', () => {
  const text = readFileSync(path.join(__dirname, '__fixtures__/sloth-myservice.yaml'), 'utf8');

  it('turns every SLO of the file into a valid OpenSLO document that exports rules again', () => {
    const r = slothToOpenSlo(text, { namespace: 'shop' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map(d => d.metadata.name)).toEqual(['myservice-requests-availability', 'myservice-requests-latency']);
    expect(r.value[0].metadata.labels).toEqual({ owner: 'myteam', repo: 'myorg/myservice', tier: '2', category: 'availability' });
    const defs = r.value.map(d => parseOpenSlo(d));
    expect(defs.map(d => d.ok && [d.value.ref, d.value.target, d.value.componentRef, d.value.indicator.mode])).toEqual([
      ['shop/myservice-requests-availability', 0.999, 'component:shop/myservice', 'bad-total'],
      ['shop/myservice-requests-latency', 0.99, 'component:shop/myservice', 'bad-total'],
    ]);
    const rules = defs[1].ok ? prometheusRuleGroups(defs[1].value) : undefined;
    expect(rules?.ok && rules.value[0].rules[0].expr).toContain('sum(rate(http_request_duration_seconds_bucket{job="myservice",le="0.3"}[5m]))');
  });
});
