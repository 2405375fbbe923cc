/*
 * The legacy frontend system, as the README's install guide shows it: its snippet (marked
 * `<!-- install: legacy packages/app/src/components/catalog/EntityPage.tsx -->`) imports these exports from the
 * package and mounts the tab as an `EntityLayout` route. The test reads that snippet, checks it is the JSX mounted
 * here, and mounts it on an entity page.
 */
// eslint-disable-next-line no-restricted-imports -- a test of the package's README, read from disk
import { readFileSync } from 'fs';
// eslint-disable-next-line no-restricted-imports -- the same
import path from 'path';
import { screen } from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { catalogPlugin, EntityLayout } from '@backstage/plugin-catalog';
import {
  catalogApiRef,
  EntityProvider,
  entityRouteRef,
  MockStarredEntitiesApi,
  starredEntitiesApiRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { Entity } from '@backstage/catalog-model';
import * as pkg from '.';
import {
  EntityReliabilityContent,
  isReliabilityAvailable,
  reliabilityApiRef,
  rootRouteRef,
} from '.';

/** The fenced block that follows the README's legacy marker. */
function legacySnippet(): string {
  const lines = readFileSync(
    path.resolve(__dirname, '../README.md'),
    'utf8',
  ).split('\n');
  const marker = lines.findIndex(l =>
    /^<!--\s*install:\s*legacy\s+\S+\s*-->$/.test(l.trim()),
  );
  expect(marker).toBeGreaterThanOrEqual(0);
  const open = lines.findIndex((l, i) => i > marker && l.startsWith('```'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
  return lines.slice(open + 1, close).join('\n');
}
const squash = (s: string) => s.replace(/\s+/g, '');

const component: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'shop', namespace: 'default' },
  spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
};
const group: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'guests', namespace: 'default' },
  spec: { type: 'team', children: [] },
};

const api = {
  listSlos: async () => ({ items: [] }),
  listChanges: async () => ({ items: [] }),
  listRemediations: async () => ({ rules: [], items: [], escalations: [] }),
  listIncidents: async () => ({ items: [] }),
  listChaos: async () => ({ items: [] }),
  listChaosFiles: async () => ({
    entityRef: '',
    location: null,
    files: [],
    skipped: [],
  }),
  listDrills: async () => ({
    items: [],
    targets: { rtoSeconds: null, rpoSeconds: null },
    targetProblems: [],
    warnings: [],
    last: null,
  }),
  listCapacityRuns: async () => ({
    items: [],
    targetMs: null,
    peakRps: null,
    warnings: [],
  }),
  listSynthetics: async () => ({
    items: [],
    allowedHosts: [],
    browserEnabled: false,
  }),
  getReadiness: async () => ({
    entityRef: 'component:default/shop',
    score: 0,
    passed: 0,
    applicable: 0,
    items: [],
  }),
  getRunbook: async () => undefined,
};

/** The README's EntityPage: an overview route, and the Reliability route exactly as the snippet writes it. */
const entityPage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      <div>overview</div>
    </EntityLayout.Route>
    <EntityLayout.Route
      path="/reliability"
      title="Reliability"
      if={isReliabilityAvailable}
    >
      <EntityReliabilityContent />
    </EntityLayout.Route>
  </EntityLayout>
);

function renderPage(entity: Entity, at = '/') {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [reliabilityApiRef, api as any],
        [catalogApiRef, catalogApiMock({ entities: [component, group] })],
        [starredEntitiesApiRef, new MockStarredEntitiesApi()],
        [mockApis.permission.factory().api, mockApis.permission()],
      ]}
    >
      <EntityProvider entity={entity}>{entityPage}</EntityProvider>
    </TestApiProvider>,
    {
      routeEntries: [at],
      mountedRoutes: {
        '/catalog': catalogPlugin.routes.catalogIndex,
        '/reliability-page': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

describe("the README's legacy EntityPage snippet", () => {
  it('imports exports the package has, and mounts the route this test mounts', () => {
    const snippet = legacySnippet();
    const imported =
      /import\s*{([^}]*)}\s*from\s*'@reliability-suite\/plugin-reliability';/.exec(
        snippet,
      );
    expect(imported).not.toBeNull();
    const names = imported![1]
      .split(',')
      .map(n => n.trim())
      .filter(Boolean);
    expect(names).toEqual(
      expect.arrayContaining([
        'EntityReliabilityContent',
        'isReliabilityAvailable',
      ]),
    );
    for (const name of names) expect(pkg).toHaveProperty(name);
    expect(squash(snippet)).toContain(
      squash(`<EntityLayout.Route
        path="/reliability"
        title="Reliability"
        if={isReliabilityAvailable}
      >
        <EntityReliabilityContent />
      </EntityLayout.Route>`),
    );
  });

  it("shows the Reliability tab on a component's page, and the tab's content under /reliability", async () => {
    await renderPage(component, '/reliability');
    expect(
      await screen.findByRole('tab', { name: 'Reliability' }),
    ).toBeInTheDocument();
    expect(
      await screen.findByText(
        'No SLOs yet: add a first one',
        {},
        { timeout: 20_000 },
      ),
    ).toBeInTheDocument();
  }, 60_000);

  it('leaves the tab out where isReliabilityAvailable is false (a Group)', async () => {
    await renderPage(group);
    expect(await screen.findByText('overview')).toBeInTheDocument();
    expect(
      screen.queryByRole('tab', { name: 'Reliability' }),
    ).not.toBeInTheDocument();
  }, 60_000);
});
