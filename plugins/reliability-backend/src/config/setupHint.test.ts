import { setupHint } from './setupHint';

describe('setupHint', () => {
  it('names what to configure when there is no config and no SLO', async () => {
    const hint = await setupHint({ raw: undefined }, async () => 0);
    expect(hint).toContain('no SLOs yet and no reliability config');
    expect(hint).toContain('kind: SLO');
    expect(hint).toContain('"New SLO" template');
    expect(hint).toContain('reliability.prometheus.instances');
  });

  it('says nothing once an SLO is registered', async () => {
    expect(await setupHint({ raw: undefined }, async () => 3)).toBeUndefined();
  });

  it('says nothing, and does not count SLOs, once reliability is configured', async () => {
    const count = jest.fn(async () => 0);
    expect(await setupHint({ raw: { gate: {} } }, count)).toBeUndefined();
    expect(count).not.toHaveBeenCalled();
  });
});
