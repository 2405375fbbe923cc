import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { RunbookMarkdown } from './RunbookMarkdown';
import { sitePathOf } from './sitePaths';

describe('RunbookMarkdown', () => {
  it('makes portal paths written as text links, and leaves code, links and file paths alone', async () => {
    await renderInTestApp(
      <RunbookMarkdown
        markdown={[
          '## Dashboards',
          '- Reliability tab: /catalog/default/component/checkout/reliability.',
          '- Drills: see /catalog/default/component/checkout/reliability/drills, then page.',
          '- Grafana: https://grafana.example.com/d/checkout',
          '- The log: /tmp and `/var/log/checkout/app.log`',
          '',
          '```sh',
          'curl /api/reliability/slos',
          '```',
        ].join('\n')}
      />,
    );
    const tab = screen.getByRole('link', {
      name: '/catalog/default/component/checkout/reliability',
    });
    expect(tab).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/reliability',
    );
    expect(tab).not.toHaveAttribute('target');
    expect(
      screen.getByRole('link', {
        name: '/catalog/default/component/checkout/reliability/drills',
      }),
    ).toBeInTheDocument();
    // the trailing full stop and comma stay text
    expect(screen.getByText(/then page\./)).toBeInTheDocument();
    // an external URL opens in a new tab
    expect(
      screen.getByRole('link', {
        name: 'https://grafana.example.com/d/checkout',
      }),
    ).toHaveAttribute('target', '_blank');
    // one segment, inline code and code blocks are not links
    expect(screen.getAllByRole('link')).toHaveLength(3);
    expect(screen.getByText('/var/log/checkout/app.log').tagName).toBe('CODE');
  });

  it('reads a path token in one pass and refuses what is no portal path', () => {
    expect(sitePathOf('/catalog/default/component/x).')).toEqual({
      path: '/catalog/default/component/x',
      rest: ').',
    });
    expect(sitePathOf('/tmp')).toBeUndefined();
    expect(sitePathOf('//evil.example.com/x')).toBeUndefined();
    expect(sitePathOf('/a/<script>')).toBeUndefined();
    expect(sitePathOf(`/a/${'b'.repeat(5000)}`)).toBeUndefined();
    expect(sitePathOf('catalog/x')).toBeUndefined();
  });
});
