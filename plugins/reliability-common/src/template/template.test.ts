import {
  parseTemplate,
  renderJsonTemplate,
  renderTemplate,
  templateNames,
} from './template';

describe('templates', () => {
  it('renders lock keys and reports missing names', () => {
    expect(renderTemplate('rollback:{{env}}', { env: 'prod' })).toEqual({
      text: 'rollback:prod',
      missing: [],
    });
    expect(
      renderTemplate('rollback:{{ labels.env }}', { labels: { env: 'eu' } }),
    ).toEqual({ text: 'rollback:eu', missing: [] });
    expect(renderTemplate('rollback:{{env}}', {})).toEqual({
      text: 'rollback:',
      missing: ['env'],
    });
  });

  it('renders JSON bodies keeping whole-value types', () => {
    const missing: string[] = [];
    expect(
      renderJsonTemplate(
        { text: 'SLO {{slo}} burns', labels: '{{labels}}', n: 3 },
        { slo: 'default/x', labels: { a: '1' } },
        missing,
      ),
    ).toEqual({
      text: 'SLO default/x burns',
      labels: { a: '1' },
      n: 3,
    });
    expect(missing).toEqual([]);
  });
});

describe('one engine', () => {
  it('reads references the way remediation and journeys both need', () => {
    expect(
      parseTemplate('https://shop/{{ cartId }}/{{secrets.TOKEN}}'),
    ).toEqual([
      { text: 'https://shop/' },
      { ref: 'cartId' },
      { text: '/' },
      { ref: 'secrets.TOKEN' },
    ]);
    expect(parseTemplate('open {{ only')).toEqual([{ text: 'open {{ only' }]);
    expect(templateNames('{{{a}} {{b c}} {{d.e}}')).toEqual(['a', 'd.e']);
    expect(renderTemplate('{{{a}}', { a: 'A' })).toEqual({
      text: '{A',
      missing: [],
    });
  });
});
