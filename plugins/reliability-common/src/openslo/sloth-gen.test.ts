import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { slothToOpenSlo } from './sloth';
import { parseSlo } from './parse';
import { alertPolicyOf } from './definition';
import {
  prometheusRuleGroups,
  PrometheusRuleGroup,
} from '../alerts/prometheusRules';

/**
 * Sloth's own examples (slok/sloth `examples/*.yml`, vendored byte for byte under test/upstream/slok-sloth), each
 * imported, exported as Prometheus rules as the backend exports them (the SLO's alert policy's rules) and compared
 * with the rule file Sloth generated from it and committed beside it (`examples/_gen/`): every group, rule name,
 * expression (byte for byte), label and annotation. Only the labels that describe Sloth itself (`sloth_mode`,
 * `sloth_spec`, `sloth_version` on `sloth_slo_info`) and the `cmd` label Sloth's examples generator adds on the
 * command line are left out of the comparison.
 */
const ROOT = join(__dirname, '../../../../test/upstream/slok-sloth/examples');
const IGNORED_LABELS = ['sloth_mode', 'sloth_spec', 'sloth_version', 'cmd'];

/** The groups of a `_gen` file: a rule file's `groups`, or those of each Prometheus Operator PrometheusRule in it. */
function genGroups(text: string): PrometheusRuleGroup[] {
  return parseAllDocuments(text)
    .map(d => d.toJS())
    .filter(Boolean)
    .flatMap((d: any) => d.groups ?? d.spec?.groups ?? []);
}

const strip = (groups: PrometheusRuleGroup[]) =>
  groups.map(g => ({
    name: g.name,
    rules: g.rules.map(r => ({
      ...r,
      ...(r.labels
        ? {
            labels: Object.fromEntries(
              Object.entries(r.labels).filter(
                ([k]) => !IGNORED_LABELS.includes(k),
              ),
            ),
          }
        : {}),
    })),
  }));

function ours(text: string): PrometheusRuleGroup[] | string {
  const docs = slothToOpenSlo(text);
  if (!docs.ok) return docs.error;
  const groups: PrometheusRuleGroup[] = [];
  for (const doc of docs.value) {
    const defs = parseSlo(doc);
    if (!defs.ok) return defs.error;
    for (const def of defs.value) {
      const g = prometheusRuleGroups(def, { rules: alertPolicyOf(def).rules });
      if (!g.ok) return g.error;
      groups.push(...g.value);
    }
  }
  return groups;
}

const examples = readdirSync(ROOT).filter(f => /\.ya?ml$/.test(f));

/** What the importer refuses, and why: Go code that Sloth compiles into its binary. */
const REFUSED: Record<string, RegExp> = {
  'plugin-getting-started.yml': /sli\.plugin: SLI plugins are Go code/,
  'plugin-k8s-getting-started.yml': /sli\.plugin: SLI plugins are Go code/,
  'contrib-slo-plugins.yml':
    /sloth\.dev\/contrib\/info_labels\/v1: SLO plugins/,
  'contrib-denominator-corrected.yaml':
    /sloth\.dev\/contrib\/denominator_corrected_rules\/v1: SLO plugins/,
};

describe("Sloth's examples against Sloth's own _gen output", () => {
  it('has every example and its _gen file', () => {
    expect(examples.length).toBe(18);
    for (const f of examples)
      expect(readdirSync(join(ROOT, '_gen'))).toContain(f);
  });

  it.each(examples.filter(f => !REFUSED[f]))('%s: identical rules', file => {
    const got = ours(readFileSync(join(ROOT, file), 'utf8'));
    const want = genGroups(readFileSync(join(ROOT, '_gen', file), 'utf8'));
    expect(typeof got === 'string' ? got : strip(got)).toEqual(strip(want));
  });

  it.each(examples.filter(f => REFUSED[f]))(
    '%s: refused, naming the field',
    file => {
      expect(ours(readFileSync(join(ROOT, file), 'utf8'))).toMatch(
        REFUSED[file],
      );
    },
  );

  it("honours alerting.*.disable in the suite's own alerting too", () => {
    const defs = (text: string) => {
      const docs = slothToOpenSlo(text);
      if (!docs.ok) throw new Error(docs.error);
      return docs.value.map(d => {
        const p = parseSlo(d);
        if (!p.ok) throw new Error(p.error);
        return p.value[0];
      });
    };
    const quiet = defs(readFileSync(join(ROOT, 'no-alerts.yml'), 'utf8'))[0];
    expect(alertPolicyOf(quiet).rules).toEqual([]);
    const spec = `
version: prometheus/v1
service: s
slos:
  - name: a
    objective: 99.9
    sli: { raw: { error_ratio_query: 'x{w="{{.window}}"}' } }
    alerting: { name: A, page_alert: { disable: true } }
`;
    const ticketOnly = defs(spec)[0];
    expect(alertPolicyOf(ticketOnly).rules.map(r => r.severity)).toEqual([
      'ticket',
      'ticket',
    ]);
    // even when the export is asked for every row, the disabled page is not written
    const g = prometheusRuleGroups(ticketOnly);
    if (!g.ok) throw new Error(g.error);
    expect(g.value[2].rules.map(r => r.labels?.sloth_severity)).toEqual([
      'ticket',
    ]);
    const both = defs(spec.replace('page_alert', 'ticket_alert'))[0];
    expect(alertPolicyOf(both).rules.map(r => r.severity)).toEqual([
      'page',
      'page',
    ]);
  });

  it("writes the suite's own SLOs' budget record as the number its alerts compare with", () => {
    const doc = {
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: { name: 'own' },
      spec: {
        service: 'svc',
        indicator: {
          metadata: { name: 'i' },
          spec: {
            ratioMetric: {
              counter: true,
              good: {
                metricSource: {
                  type: 'Prometheus',
                  spec: { query: 'ok_total' },
                },
              },
              total: {
                metricSource: {
                  type: 'Prometheus',
                  spec: { query: 'all_total' },
                },
              },
            },
          },
        },
        timeWindow: [{ duration: '30d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ target: 0.999 }],
      },
    };
    const def = parseSlo(doc);
    if (!def.ok) throw new Error(def.error);
    const g = prometheusRuleGroups(def.value[0]);
    if (!g.ok) throw new Error(g.error);
    const [, meta, alerts] = g.value;
    expect(meta.rules[0].expr).toBe('vector(0.9990000000000001)');
    expect(meta.rules[1].expr).toBe('vector(0.0009999999999999432)');
    expect(alerts.rules[0].expr).toContain('> (14.4 * 0.0009999999999999432))');
  });

  it('fails when one expression differs by a byte', () => {
    const want = genGroups(
      readFileSync(join(ROOT, '_gen', 'getting-started.yml'), 'utf8'),
    );
    const got = ours(readFileSync(join(ROOT, 'getting-started.yml'), 'utf8'));
    if (typeof got === 'string') throw new Error(got);
    got[2].rules[0].expr = got[2].rules[0].expr.replace(
      '0.0009999999999999432',
      '0.001',
    );
    expect(strip(got)).not.toEqual(strip(want));
  });
});
