import { mockCredentials } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CatalogAccess } from './CatalogAccess';

const component = (name: string) => ({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name, namespace: 'default' }, spec: {} });

describe('CatalogAccess.visibleRecently', () => {
  it('asks the catalog once per caller and ref for 15 s, then again; callers and refs apart', async () => {
    const catalog = catalogServiceMock({ entities: [component('a'), component('b')] });
    const asked = jest.spyOn(catalog, 'getEntitiesByRefs');
    const access = new CatalogAccess(catalog);
    const alice = mockCredentials.user('user:default/alice');
    const bob = mockCredentials.user('user:default/bob');
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      const first = await access.visibleRecently(['component:default/a', 'component:default/x'], alice);
      expect([first('component:default/a'), first('component:default/x')]).toEqual([true, false]);
      expect(asked).toHaveBeenCalledTimes(1);
      // the same refs again: from memory; a new ref: only it is asked about
      now.mockReturnValue(1_014_000);
      const again = await access.visibleRecently(['component:default/a', 'component:default/x', 'component:default/b'], alice);
      expect([again('component:default/a'), again('component:default/x'), again('component:default/b')]).toEqual([true, false, true]);
      expect(asked).toHaveBeenCalledTimes(2);
      expect(asked.mock.calls[1][0].entityRefs).toEqual(['component:default/b']);
      // another caller is asked about on its own
      await access.visibleRecently(['component:default/a'], bob);
      expect(asked).toHaveBeenCalledTimes(3);
      // 15 s on: asked again
      now.mockReturnValue(1_016_000);
      await access.visibleRecently(['component:default/a'], alice);
      expect(asked).toHaveBeenCalledTimes(4);
      // a caller without a name is never remembered
      const none = mockCredentials.none();
      await access.visibleRecently(['component:default/a'], none);
      await access.visibleRecently(['component:default/a'], none);
      expect(asked).toHaveBeenCalledTimes(6);
    } finally {
      now.mockRestore();
    }
  });
});
