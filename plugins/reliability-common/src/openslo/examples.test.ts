import { parse } from 'yaml';
import { parseOpenSlo, parseOpenSloObjectives } from './parse';
import { okValue } from '../__testUtils__/okValue';

/**
 * OpenSLO's v1 examples (OpenSLO/OpenSLO, `examples/`), one document of ours per example with the same features (not
 * a copy), and the verdict OpenSLO's reference validator (go-sdk, pkg/openslo/v1) gives that example:
 * - budgeting-method/occurences-slo.yaml: a thresholdMetric (`op: lt`, `value: 500`) with Occurrences over a rolling
 *   2w window, and `alertPolicies:` left empty. Its metricSource.spec holds only comments (null): the go-sdk requires
 *   a spec, and refuses it. With a spec, it accepts it.
 * - budgeting-method/ratio-timeslices.yaml: RatioTimeslices over a ratio, `op: gt` on the objective, 1m slices, 2w.
 * - budgeting-method/timeslices-slo.yaml: Timeslices with timeSliceTarget, a calendar window of `1m` (one minute: `m`
 *   is minutes) in America/New_York, and two objectives (an internal one and the contract's), each evaluated on its
 *   own.
 * - treat-low-traffic-as-equally-important/timeslices-slo.yaml: Timeslices at 99.95% with slices good at 95%, over a
 *   calendar week.
 */
const doc = (text: string) => parse(text);

describe("OpenSLO's v1 examples, with the reference validator's verdicts", () => {
  it('budgeting-method/occurences-slo: a threshold with Occurrences is accepted with a metric spec, refused without one', () => {
    const text = `
apiVersion: openslo/v1
kind: SLO
metadata: { name: catalog-search, displayName: Catalog search time }
spec:
  description: however many searches run at once, each answers within 400 ms
  service: shop-search
  indicator:
    metadata: { name: catalog-search-latency, displayName: Search latency }
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec: { query: 'histogram_quantile(0.99, sum by (le) (rate(search_seconds_bucket[{{.window}}])))' }
  timeWindow:
    - { duration: 2w, isRolling: true }
  budgetingMethod: Occurrences
  objectives:
    - { displayName: Fast enough, op: lt, value: 0.4, target: 0.98 }
  alertPolicies:
`;
    const ok = okValue(parseOpenSlo(doc(text)));
    expect(ok.indicator.mode).toBe('threshold');
    expect(ok.threshold).toEqual({ op: 'lt', value: 0.4 });
    expect(ok.budgeting).toBeUndefined();
    expect(ok.window).toEqual({
      kind: 'rolling',
      duration: { amount: 2, unit: 'w' },
    });
    expect(ok.alertPolicy).toBeUndefined();
    // the example's metric spec: nothing but comments
    const refused = parseOpenSlo(
      doc(
        text.replace(
          /spec: \{ query: .*\}/,
          'spec: # fields to query the source',
        ),
      ),
    );
    expect(refused).toEqual({
      ok: false,
      error: expect.stringMatching(
        /^spec\.indicator\.spec\.thresholdMetric\.metricSource\.spec: /,
      ),
    });
  });

  it('budgeting-method/ratio-timeslices: RatioTimeslices with op on a ratio objective is accepted', () => {
    const r = parseOpenSlo(
      doc(`
apiVersion: openslo/v1
kind: SLO
metadata: { name: home-page, displayName: Home page answers }
spec:
  description: the home page answers 2xx
  service: storefront
  indicator:
    metadata: { name: home-page-codes }
    spec:
      ratioMetric:
        good: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(http_requests_total{page="home",code=~"2.."}[{{.window}}]))' } } }
        total: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(http_requests_total{page="home"}[{{.window}}]))' } } }
  timeWindow:
    - duration: 2w
      isRolling: true
  budgetingMethod: RatioTimeslices
  objectives:
    - { displayName: Answers, op: gt, timeSliceWindow: 1m, target: 0.98 }
`),
    );
    const v = okValue(r);
    expect(v.budgeting).toEqual({ method: 'RatioTimeslices', sliceMs: 60_000 });
    expect(v.threshold).toBeUndefined();
    expect(v.target).toBe(0.98);
  });

  it('treat-low-traffic-as-equally-important: Timeslices at 99.95% with slices good at 95%, over a calendar week', () => {
    const r = parseOpenSlo(
      doc(`
apiVersion: openslo/v1
kind: SLO
metadata: { name: emergency-line, displayName: Emergency line answers }
spec:
  service: emergency-line
  indicator:
    metadata: { name: emergency-line-answers }
    spec:
      ratioMetric:
        good: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(calls_answered_total[{{.window}}]))' } } }
        total: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(calls_total[{{.window}}]))' } } }
  timeWindow:
    - duration: 1w
      isRolling: false
      calendar: { startTime: '2024-03-04 08:00:00', timeZone: Europe/Paris }
  budgetingMethod: Timeslices
  objectives:
    - { displayName: Answered, op: gt, target: 0.9995, timeSliceTarget: 0.95, timeSliceWindow: 1m }
`),
    );
    const v = okValue(r);
    expect(v.budgeting).toEqual({
      method: 'Timeslices',
      sliceMs: 60_000,
      timeSliceTarget: 0.95,
    });
    expect(v.window).toEqual({
      kind: 'calendar',
      duration: { amount: 1, unit: 'w' },
      timeZone: 'Europe/Paris',
      startTime: '2024-03-04 08:00:00',
    });
  });

  it('budgeting-method/timeslices-slo: two objectives over one indicator, each its own SLO with its own target', () => {
    const text = `
apiVersion: openslo/v1
kind: SLO
metadata: { name: uplink-availability, displayName: Uplink available as the contract says }
spec:
  description: warn before the contract is broken
  service: uplink
  indicator:
    metadata: { name: uplink-up }
    spec:
      ratioMetric:
        good: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(uplink_probe_success_total[{{.window}}]))' } } }
        total: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(uplink_probe_total[{{.window}}]))' } } }
  timeWindow:
    - duration: 1m
      isRolling: false
      calendar: { startTime: '2024-01-01 12:00:00', timeZone: America/New_York }
  budgetingMethod: Timeslices
  objectives:
    - { displayName: Internal, op: gt, target: 0.997, timeSliceTarget: 0.99, timeSliceWindow: 1m }
    - { displayName: Contract, target: 0.99, timeSliceTarget: 0.99, timeSliceWindow: 1m }
  alertPolicies:
`;
    expect(
      okValue(parseOpenSloObjectives(doc(text))).map(d => [
        d.ref,
        d.title,
        d.target,
        d.budgeting?.timeSliceTarget,
      ]),
    ).toEqual([
      [
        'default/uplink-availability',
        'Uplink available as the contract says: Internal',
        0.997,
        0.99,
      ],
      [
        'default/uplink-availability.contract',
        'Uplink available as the contract says: Contract',
        0.99,
        0.99,
      ],
    ]);
    // with one objective it is accepted: `1m` is a one-minute calendar window (m is minutes, M months)
    const one = parseOpenSlo(
      doc(text.replace(/\n {4}- \{ displayName: Contract.*\}/, '')),
    );
    expect(okValue(one).window.duration).toEqual({ amount: 1, unit: 'm' });
  });
});
