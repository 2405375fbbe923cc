import { Entity } from '@backstage/catalog-model';
import { parseOpenSlo } from '@reliability-suite/plugin-reliability-common';
import { SlothEntityProcessor } from './SlothEntityProcessor';

const location = { type: 'file', target: '/repo/catalog/sloth/checkout.yaml' };

const resource = (slos: unknown[]): Entity =>
  ({
    apiVersion: 'sloth.slok.dev/v1',
    kind: 'PrometheusServiceLevel',
    metadata: { name: 'checkout-errors', namespace: 'shop' },
    spec: { service: 'checkout', labels: { tier: 1 }, slos },
  } as Entity);

describe('SlothEntityProcessor', () => {
  it("accepts Sloth's PrometheusServiceLevel as it is and emits each of its SLOs as an OpenSLO SLO entity of the same location", async () => {
    const p = new SlothEntityProcessor();
    const emitted: any[] = [];
    const entity = resource([
      {
        name: 'availability',
        objective: 99.5,
        sli: {
          events: {
            errorQuery: 'sum(rate(x{code=~"5.."}[{{.window}}]))',
            totalQuery: 'sum(rate(x[{{.window}}]))',
          },
        },
      },
      {
        name: 'error-ratio',
        objective: 99,
        sli: {
          raw: { errorRatioQuery: 'avg_over_time(err_ratio[{{.window}}])' },
        },
      },
    ]);
    expect(await p.validateEntityKind(entity)).toBe(true);
    expect(
      await p.preProcessEntity(entity, location, r => emitted.push(r)),
    ).toBe(entity);
    expect(
      emitted.map(e => [
        e.type,
        e.location,
        e.entity.kind,
        e.entity.metadata.name,
        e.entity.metadata.namespace,
      ]),
    ).toEqual([
      ['entity', location, 'SLO', 'checkout-availability', 'shop'],
      ['entity', location, 'SLO', 'checkout-error-ratio', 'shop'],
    ]);
    const defs = emitted.map(e => parseOpenSlo(e.entity));
    expect(
      defs.map(
        d =>
          d.ok && [
            d.value.componentRef,
            d.value.target,
            d.value.indicator.mode,
            d.value.labels,
          ],
      ),
    ).toEqual([
      ['component:shop/checkout', 0.995, 'bad-total', { tier: '1' }],
      ['component:shop/checkout', 0.99, 'raw-failure', { tier: '1' }],
    ]);
  });

  it('leaves other kinds alone, and refuses a resource with a plugin SLI naming the field', async () => {
    const p = new SlothEntityProcessor();
    const component = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'checkout' },
      spec: {},
    } as Entity;
    expect(await p.validateEntityKind(component)).toBe(false);
    expect(await p.preProcessEntity(component, location, () => undefined)).toBe(
      component,
    );
    await expect(
      p.preProcessEntity(
        resource([
          {
            name: 'a',
            objective: 99,
            sli: { plugin: { id: 'sloth-common/availability' } },
          },
        ]),
        location,
        () => undefined,
      ),
    ).rejects.toThrow(
      /^Invalid Sloth PrometheusServiceLevel checkout-errors in file:\/repo\/catalog\/sloth\/checkout.yaml: spec\.slos\.0\.sli\.plugin: SLI plugins are Go code/,
    );
  });
});
