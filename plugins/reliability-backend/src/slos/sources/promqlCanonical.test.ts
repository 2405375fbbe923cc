import { canonicalPromQL } from './promqlCanonical';
import { ConfigReader } from '@backstage/config';
import { readPrometheusInstances } from '../../config/readReliabilityConfig';

describe('canonicalPromQL', () => {
  it("gives Prometheus's printed form of a rule and the exported text the same form", () => {
    // as written in the rule file, and as /api/v1/rules answers it (matchers sorted, spacing and line breaks its own)
    const ours =
      '(sum(rate(http_requests_total{job="shop",code=~"(5..|429)"}[5m])))\n/\n(sum(rate(http_requests_total{job="shop"}[5m])))';
    const printed =
      '(sum(rate(http_requests_total{code=~"(5..|429)",job="shop"}[5m]))) / (sum(rate(http_requests_total{job="shop"}[5m])))';
    expect(canonicalPromQL(ours)).toBeDefined();
    expect(canonicalPromQL(ours)).toBe(canonicalPromQL(printed));
  });

  it.each([
    ['numbers in any notation', 'x * 0.00001', 'x * 1e-05'],
    [
      'durations in any unit',
      'avg_over_time(x[2591999s:1m])',
      'avg_over_time(x[29d23h59m59s:60s])',
    ],
    ['grouping labels in any order', 'sum by (a, b) (x)', 'sum by (b,a) (x)'],
    ['quotes of either kind', `x{a='it'}`, 'x{a="it"}'],
  ])('treats %s as the same', (_, a, b) => {
    expect(canonicalPromQL(a)).toBe(canonicalPromQL(b));
  });

  it.each([
    ['another metric', 'sum(rate(x[5m]))', 'sum(rate(y[5m]))'],
    ['another label value', 'x{a="1"}', 'x{a="2"}'],
    ['another matcher', 'x{a="1"}', 'x{a=~"1"}'],
    ['another window', 'rate(x[5m])', 'rate(x[1h])'],
    ['another operator', 'a / b', 'a * b'],
    ['operands swapped', 'a / b', 'b / a'],
    ['another number', 'x > 0.5', 'x > 0.05'],
    ['a label value with its spaces', 'x{a="p q"}', 'x{a="pq"}'],
  ])('tells %s apart', (_, a, b) => {
    expect(canonicalPromQL(a)).toBeDefined();
    expect(canonicalPromQL(a)).not.toBe(canonicalPromQL(b));
  });

  it('gives nested and chained expressions a form, and none to nesting deeper than 256 brackets', () => {
    const nested = (k: number, open = '(', close = ')') =>
      `${open.repeat(k)}x${close.repeat(k)}`;
    expect(canonicalPromQL(nested(256))).toBeDefined();
    expect(canonicalPromQL(nested(256, '( ', ' )'))).toBe(
      canonicalPromQL(nested(256)),
    );
    expect(canonicalPromQL(nested(255))).not.toBe(canonicalPromQL(nested(256)));
    // deeper: not compared (the grammar's error recovery on 9,999 levels took 130 ms), so its SLO reads raw queries
    expect(canonicalPromQL(nested(257))).toBeUndefined();
    expect(canonicalPromQL(nested(9_999))).toBeUndefined();
    const chain = Array.from({ length: 100 }, (_, i) => `m${i}`).join(' or ');
    expect(canonicalPromQL(chain)).toBeDefined();
    expect(canonicalPromQL(chain.replaceAll(' or ', '\nor\n'))).toBe(
      canonicalPromQL(chain),
    );
    expect(canonicalPromQL(chain.replace('m99', 'm100'))).not.toBe(
      canonicalPromQL(chain),
    );
  });

  it('has no form for text that does not parse, or is too long to compare', () => {
    expect(canonicalPromQL('sum(rate(x[5m])')).toBeUndefined();
    expect(canonicalPromQL('x{a=}')).toBeUndefined();
    expect(
      canonicalPromQL(`${'('.repeat(15_000)}x${')'.repeat(15_000)}`),
    ).toBeUndefined();
  });
});

describe('reliability.prometheus.instances[].recordedRules', () => {
  it('defaults to detect and names the field and the rule when it is something else', () => {
    const instances = (recordedRules?: string) =>
      readPrometheusInstances(
        new ConfigReader({
          reliability: {
            prometheus: {
              instances: [
                {
                  name: 'main',
                  url: 'http://127.0.0.1:9090',
                  ...(recordedRules ? { recordedRules } : {}),
                },
              ],
            },
          },
        }),
      );
    expect(instances()[0].recordedRules).toBe('detect');
    expect(instances('declared')[0].recordedRules).toBe('declared');
    expect(() => instances('always')).toThrow(
      'reliability.prometheus.instances[0].recordedRules: must be one of detect, declared, off',
    );
  });
});
