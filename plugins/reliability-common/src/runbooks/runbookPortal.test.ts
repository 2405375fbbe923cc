import {
  lineDiff,
  parseAlertSelector,
  parseRunbookSections,
  runbookSkeleton,
  sectionForAlert,
  STANDARD_FAILURE_MODES,
} from './runbook';
import {
  incidentToMarkdown,
  formatElapsed,
  Incident,
  closeIncidentSchema,
  declareIncidentSchema,
} from '../incidents/incident';
import { formatIssues } from '../openslo/openslo';

describe('runbook sections and alerts', () => {
  const md = [
    '# Checkout runbook',
    '## Symptoms',
    'Alerts: SLOBurnRate{slo="default/checkout-success", severity="page"}, `CheckoutHighErrorRate`',
    '- fast burn',
    '## Checks',
    '```sh',
    'Alerts: not-a-declaration',
    '```',
    '## PSP brownout',
    '- **Alerts:** {service="psp"}',
  ].join('\n');
  const sections = parseRunbookSections(md);

  it('reads the alerts a section answers, outside code fences', () => {
    expect(sections.map(s => [s.id, s.alerts])).toEqual([
      ['checkout-runbook', []],
      [
        'symptoms',
        [
          'SLOBurnRate{slo="default/checkout-success", severity="page"}',
          'CheckoutHighErrorRate',
        ],
      ],
      ['checks', []],
      ['psp-brownout', ['{service="psp"}']],
    ]);
  });

  it('finds the section for an alert, falling back to Symptoms', () => {
    expect(
      sectionForAlert(sections, {
        alertname: 'SLOBurnRate',
        slo: 'default/checkout-success',
        severity: 'page',
      })?.id,
    ).toBe('symptoms');
    expect(
      sectionForAlert(sections, { alertname: 'PSPDown', service: 'psp' })?.id,
    ).toBe('psp-brownout');
    expect(sectionForAlert(sections, { alertname: 'Other' })?.id).toBe(
      'symptoms',
    );
    expect(
      sectionForAlert(parseRunbookSections('# x\n## Checks\n'), {
        alertname: 'Other',
      }),
    ).toBeUndefined();
  });

  it('parses selectors and refuses malformed ones', () => {
    expect(parseAlertSelector('A{b=~"c|d"}')).toEqual({
      ok: true,
      value: [
        { name: 'alertname', op: '=', value: 'A' },
        { name: 'b', op: '=~', value: 'c|d' },
      ],
    });
    expect(parseAlertSelector('not a selector')).toMatchObject({ ok: false });
    expect(parseAlertSelector('A{b=c}')).toMatchObject({ ok: false });
  });

  it("offers the seed's skeleton and ten failure modes", () => {
    const skeleton = parseRunbookSections(
      runbookSkeleton({
        name: 'inventory',
        owner: 'platform-sre',
        slos: ['inventory-availability'],
      }),
    );
    expect(skeleton.map(s => s.title)).toEqual([
      'inventory runbook',
      'Dashboards',
      'SLOs',
      'Dependencies',
      'Guardrails',
      'Symptoms',
      'Checks',
      'Mitigations',
      'Comms',
      'Post-incident',
    ]);
    expect(skeleton[0].body).toContain('Owner: platform-sre');
    expect(skeleton.find(s => s.id === 'symptoms')?.alerts).toEqual([
      'SLOBurnRate',
    ]);
    expect(STANDARD_FAILURE_MODES.map(m => m.mode.split(' ')[0])).toEqual([
      'Dependency',
      'Regional',
      'Thundering',
      'Hot',
      'Noisy',
      'Memory',
      'Clock',
      'Config',
      'Webhook',
      'DNS/PKI',
    ]);
  });
});

describe('lineDiff', () => {
  it('keeps context and marks changed lines', () => {
    const d = lineDiff('a\nb\nc\nd', 'a\nB\nc\nd\ne');
    expect(d.ok && d.value.filter(l => l.op !== ' ')).toEqual([
      { op: '-', text: 'b' },
      { op: '+', text: 'B' },
      { op: '+', text: 'e' },
    ]);
    expect(d.ok && d.value.map(l => l.text)).toEqual([
      'a',
      'b',
      'B',
      'c',
      'd',
      'e',
    ]);
    expect(lineDiff('same', 'same')).toEqual({
      ok: true,
      value: [{ op: ' ', text: 'same' }],
    });
  });
});

describe('incidents', () => {
  const incident: Incident = {
    id: 3,
    entityRef: 'component:default/checkout',
    title: 'Checkout errors',
    severity: 'SEV2',
    state: 'closed',
    status: 'resolved',
    roles: { commander: 'user:default/guest', scribe: 'user:default/ann' },
    declaredBy: 'user:default/guest',
    declaredAt: '2026-11-22T10:00:00.000Z',
    resolvedAt: '2026-11-22T11:05:00.000Z',
    closedAt: '2026-11-22T12:00:00.000Z',
    mttrMs: 65 * 60_000,
    trigger: 'default/checkout-success page 14.4x 1h&5m',
    impact: '3% of checkouts failed for 65 minutes',
    rootCauses: ['PSP brownout', 'retries | without jitter'],
    actionItems: [
      {
        title: 'Add jitter',
        owner: 'group:default/payments-sre',
        due: '2026-12-01',
      },
    ],
    events: [
      {
        id: 1,
        at: '2026-11-22T10:00:00.000Z',
        author: 'user:default/guest',
        kind: 'declared',
        text: 'Declared',
      },
    ],
  };

  it('exports the PIR as Markdown', () => {
    const md = incidentToMarkdown(incident);
    expect(md).toContain('# Checkout errors');
    expect(md).toContain('- **MTTR:** 1h 5m');
    expect(md).toContain('- **Incident Commander:** user:default/guest');
    expect(md).toContain('- **Ops:** —');
    expect(md).toContain('- retries | without jitter');
    expect(md).toContain(
      '| Add jitter | group:default/payments-sre | 2026-12-01 |',
    );
    expect(formatElapsed(45_000)).toBe('45s');
    expect(formatElapsed(3 * 86_400_000 + 2 * 3_600_000 + 60_000)).toBe(
      '3d 2h',
    );
  });

  it('validates declarations and closes naming the field', () => {
    const d = declareIncidentSchema.safeParse({
      entityRef: 'checkout',
      title: '',
      severity: 'P1',
    });
    expect(d.success).toBe(false);
    expect(formatIssues(d.error!)).toMatch(
      /entityRef: must be a full entity ref.*title: must not be empty.*severity: must be SEV1, SEV2 or SEV3/,
    );
    const c = closeIncidentSchema.safeParse({
      impact: 'x',
      rootCauses: [],
      actionItems: [{ title: 'a', owner: 'b', due: 'tomorrow' }],
    });
    expect(c.success).toBe(false);
    expect(formatIssues(c.error!)).toMatch(
      /rootCauses: needs at least one root cause.*actionItems\.0\.due: must be a date like 2026-12-01/,
    );
  });
});
