import { parseRunbookRef, parseRunbookSections, slugify } from './runbook';

describe('parseRunbookRef', () => {
  it.each([
    [
      'https://runbooks.example/checkout.md',
      { type: 'url', url: 'https://runbooks.example/checkout.md' },
    ],
    ['./docs/runbook.md', { type: 'relative', path: './docs/runbook.md' }],
    ['link://runbooks/Checkout', { type: 'link', name: 'checkout' }],
  ])('reads %p', (value, expected) => {
    expect(parseRunbookRef(value)).toEqual({ ok: true, value: expected });
  });
  it.each([
    ['runbook.md', './runbook.md'],
    ['docs/runbook.md', './docs/runbook.md'],
    ['runbooks.example.com/checkout', './runbooks.example.com/checkout'],
  ])('refuses the bare path %p and says to write %p', (value, fix) => {
    const r = parseRunbookRef(value);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(`write ${fix} for a file`);
    expect(!r.ok && r.error).toContain(`or https://${value} for a URL`);
  });
  it.each([
    ['docs/runbook.md'],
    ['/etc/runbook.md'],
    ['ftp://x/y'],
    ['link://dashboards/x'],
    ['https://'],
  ])('refuses %p naming the annotation', value => {
    expect(parseRunbookRef(value)).toEqual({
      ok: false,
      error: expect.stringMatching(/^reliability\.io\/runbook: /),
    });
  });
});

describe('parseRunbookSections', () => {
  it('splits at headings outside code fences, with unique anchors', () => {
    const md = [
      'Service: checkout',
      '',
      '# Symptoms',
      'Burn rate over 14.4x.',
      '## Checks',
      '```sh',
      '# not a heading',
      'kubectl get pods',
      '```',
      '## Checks',
      'again',
      '### Mitigations ###',
      'roll back',
    ].join('\n');
    expect(parseRunbookSections(md).map(s => [s.id, s.title, s.level])).toEqual(
      [
        ['overview', 'Overview', 1],
        ['symptoms', 'Symptoms', 1],
        ['checks', 'Checks', 2],
        ['checks-2', 'Checks', 2],
        ['mitigations', 'Mitigations', 3],
      ],
    );
    expect(parseRunbookSections(md)[2].body).toBe(
      '```sh\n# not a heading\nkubectl get pods\n```',
    );
    expect(slugify('Post-incident (PIR)')).toBe('post-incident-pir');
  });
});
