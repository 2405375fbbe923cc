import { ComponentType, lazy, ReactNode, Suspense } from 'react';
import {
  Link as RouterLink,
  Outlet,
  Route,
  Routes,
  useLocation,
  useOutletContext,
  useParams,
  useResolvedPath,
} from 'react-router-dom';
import { useReusedAsync, ReusedAsyncState } from '../../util/useReusedAsync';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Link } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  RELIABILITY_TAB_ROUTES,
  ReliabilityTabRoute,
  reliabilityTabPath,
  SloSummary,
  SloListResponse,
  STATE_LABEL,
} from '@reliability-suite/plugin-reliability-common';
import { EntityPath, reliabilityApiRef } from '../../api/ReliabilityApi';
import { SloTable } from '../SloTable/SloTable';
import { ReadinessCard } from '../ReadinessCard/ReadinessCard';
import { errorMessage } from '../../util/errors';
import {
  DEFAULT_NEW_SLO_TEMPLATE,
  joinTabPath,
  ReliabilityTabContext,
  useReliabilityTabLink,
} from '../../paths';

// the screens behind the overview load when opened: their code too
const SloCharts = lazy(() =>
  import('../SloCharts/SloCharts').then(m => ({ default: m.SloCharts })),
);
const ChangesPanel = lazy(() =>
  import('../ChangesPanel/ChangesPanel').then(m => ({
    default: m.ChangesPanel,
  })),
);
const EntityRunbookCard = lazy(() =>
  import('../EntityRunbookCard/EntityRunbookCard').then(m => ({
    default: m.EntityRunbookCard,
  })),
);
const RemediationPanel = lazy(() =>
  import('../RemediationPanel/RemediationPanel').then(m => ({
    default: m.RemediationPanel,
  })),
);
const SyntheticsPanel = lazy(() =>
  import('../SyntheticsPanel/SyntheticsPanel').then(m => ({
    default: m.SyntheticsPanel,
  })),
);
const DrillsPanel = lazy(() =>
  import('../DrillsPanel/DrillsPanel').then(m => ({
    default: m.DrillsPanel,
  })),
);
const CapacityPanel = lazy(() =>
  import('../CapacityPanel/CapacityPanel').then(m => ({
    default: m.CapacityPanel,
  })),
);
const ChaosPanel = lazy(() =>
  import('../ChaosPanel/ChaosPanel').then(m => ({ default: m.ChaosPanel })),
);

const exampleFor = (name: string) => `apiVersion: openslo/v1
kind: SLO
metadata:
  name: ${name}-availability
spec:
  service: ${name}
  indicator:
    spec:
      ratioMetric:
        counter: true
        good: { metricSource: { type: Ingest, spec: { endpoint: /api/reliability/sli-events } } }
        total: { metricSource: { type: Ingest, spec: { endpoint: /api/reliability/sli-events } } }
  timeWindow: [{ duration: 30d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ targetPercent: 99.9 }]`;

/**
 * Shown when an entity has no SLOs (an empty portal's first view): how to add a first one, with the "New SLO"
 * template, or by hand with an OpenSLO document. An empty state, not an error.
 */
export function NoSlos({
  name,
  newSloTemplate = DEFAULT_NEW_SLO_TEMPLATE,
}: {
  name: string;
  newSloTemplate?: string;
}) {
  return (
    <Card variant="outlined" data-testid="reliability-empty">
      <CardContent>
        <Typography variant="h6">No SLOs yet: add a first one</Typography>
        <Typography variant="body2" paragraph>
          The quickest way is the <strong>New SLO</strong> template: pick this
          component, what the SLO measures (availability, latency, a synthetic
          journey or PromQL) and its objective; it writes the OpenSLO file and
          its burn-rate alerts, and the SLO shows here within a minute.
        </Typography>
        <Button
          component={Link}
          to={newSloTemplate}
          variant="contained"
          data-testid="reliability-new-slo"
        >
          Create an SLO with the New SLO template
        </Button>
        <Typography variant="body2" paragraph sx={{ mt: 2 }}>
          Or add an OpenSLO document to the catalog yourself (for example next
          to this component&apos;s catalog-info.yaml) with{' '}
          <code>spec.service: {name}</code>. The reliability backend evaluates
          it every minute; send good/total counts to{' '}
          <code>POST /api/reliability/sli-events</code>, or read them from
          Prometheus once <code>reliability.prometheus.instances</code> is set.
        </Typography>
        <Box
          component="pre"
          sx={{
            p: 2,
            bgcolor: 'action.hover',
            borderRadius: 1,
            overflow: 'auto',
            fontSize: 12,
          }}
        >
          {exampleFor(name)}
        </Box>
      </CardContent>
    </Card>
  );
}

/** The screens of the tab, in the order of its navigation bar: each answers one question. */
const SCREENS: { route: ReliabilityTabRoute; label: string }[] = [
  { route: 'overview', label: 'Overview' },
  { route: 'runbook', label: 'Runbook & incidents' },
  { route: 'selfHealing', label: 'Self-healing' },
  { route: 'synthetics', label: 'Synthetics' },
  { route: 'drills', label: 'Drills' },
  { route: 'capacity', label: 'Capacity' },
  { route: 'chaos', label: 'Chaos' },
];

/** What the tab's layout hands its screens: the entity, and its SLOs (loaded once for all of them). */
interface TabState {
  entityRef: string;
  path: EntityPath;
  name: string;
  slos: ReusedAsyncState<SloListResponse>;
  newSloTemplate?: string;
}

const useTab = () => useOutletContext<TabState>();

/** Which screen the URL shows, from the path under the tab: the SLO pages belong to the overview. */
function selectedScreen(
  pathname: string,
  base: string,
): ReliabilityTabRoute | false {
  const root = base.replace(/\/+$/, '');
  if (pathname !== root && !pathname.startsWith(`${root}/`)) return false;
  const first = pathname.slice(root.length).replace(/^\/+/, '').split('/')[0];
  if (first === '' || first === RELIABILITY_TAB_ROUTES.slo) return 'overview';
  const hit = SCREENS.find(s => RELIABILITY_TAB_ROUTES[s.route] === first);
  return hit ? hit.route : false;
}

function Loading({ what }: { what: string }) {
  return (
    <Box
      display="flex"
      alignItems="center"
      gap={2}
      p={4}
      data-testid="reliability-loading"
    >
      <CircularProgress size={24} aria-label={`loading ${what}`} />
      <Typography>Loading {what}…</Typography>
    </Box>
  );
}

function SlosError({ tab }: { tab: TabState }) {
  return (
    <Alert
      severity="error"
      data-testid="reliability-error"
      action={
        <Button color="inherit" size="small" onClick={tab.slos.retry}>
          Retry
        </Button>
      }
    >
      Could not load the SLOs of {tab.name}: {errorMessage(tab.slos.error)}
    </Alert>
  );
}

/** Draws its children once the SLOs are loaded; the loading and error states until then. */
function WithSlos({
  children,
}: {
  children: (items: SloSummary[]) => ReactNode;
}) {
  const tab = useTab();
  if (tab.slos.loading && !tab.slos.value) return <Loading what="SLOs" />;
  if (tab.slos.error) return <SlosError tab={tab} />;
  return <>{children(tab.slos.value?.items ?? [])}</>;
}

/** The navigation bar and the screen the URL names. */
function TabLayout(props: { newSloTemplate?: string }) {
  const { entity } = useEntity();
  const api = useApi(reliabilityApiRef);
  const entityRef = stringifyEntityRef(entity);
  // the tab's own path: this layout route has no path of its own, so '.' is where the tab is mounted
  const base = useResolvedPath('.').pathname;
  const { pathname } = useLocation();
  const slos = useReusedAsync(api, () => api.listSlos(entityRef), [
    api,
    entityRef,
  ]);
  const state: TabState = {
    entityRef,
    name: entity.metadata.name,
    path: {
      kind: entity.kind.toLocaleLowerCase('en-US'),
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    },
    slos,
    newSloTemplate: props.newSloTemplate,
  };
  const selected = selectedScreen(pathname, base);
  return (
    <ReliabilityTabContext.Provider value={base}>
      <Stack spacing={2}>
        <Box
          component="nav"
          aria-label="Reliability screens"
          sx={{ borderBottom: 1, borderColor: 'divider' }}
        >
          <Tabs
            value={selected}
            variant="scrollable"
            scrollButtons="auto"
            aria-label="Reliability screens"
            data-testid="reliability-nav"
          >
            {SCREENS.map(s => (
              <Tab
                key={s.route}
                value={s.route}
                label={s.label}
                component={RouterLink}
                to={joinTabPath(base, reliabilityTabPath(s.route))}
                data-testid={`reliability-nav-${
                  RELIABILITY_TAB_ROUTES[s.route] || 'overview'
                }`}
              />
            ))}
          </Tabs>
        </Box>
        <Suspense fallback={<Loading what="the panel" />}>
          <Outlet context={state} />
        </Suspense>
      </Stack>
    </ReliabilityTabContext.Provider>
  );
}

/** One line that answers "is this service OK, and if not what do I do", above the table. */
export function StatusLine({ items }: { items: SloSummary[] }) {
  const tab = useReliabilityTabLink();
  const attention = items.filter(
    s => s.status?.state === 'burning' || s.status?.state === 'exhausted',
  );
  const quiet = items.filter(s => !s.status || s.status.state === 'no_data');
  if (attention.length === 0) {
    const healthy = items.length - quiet.length;
    return (
      <Alert
        severity={quiet.length ? 'info' : 'success'}
        data-testid="reliability-status"
      >
        {healthy === items.length
          ? `All ${items.length === 1 ? 'of its' : items.length} SLO${
              items.length === 1 ? '' : 's'
            } within budget.`
          : `${healthy} of ${items.length} SLOs within budget; ${
              quiet.length
            } ${quiet.length === 1 ? 'has' : 'have'} no data yet.`}
      </Alert>
    );
  }
  const paging = attention.some(
    s =>
      s.status!.state === 'exhausted' ||
      s.status!.firing.some(f => f.severity === 'page'),
  );
  return (
    <Alert
      severity={paging ? 'error' : 'warning'}
      data-testid="reliability-status"
    >
      <Typography variant="body2" fontWeight={600}>
        {attention.length} of {items.length} SLO
        {items.length === 1 ? '' : 's'}{' '}
        {attention.length === 1 ? 'needs' : 'need'} attention:{' '}
        {attention
          .map(
            s =>
              `${s.title} ${STATE_LABEL[s.status!.state].toLocaleLowerCase(
                'en-US',
              )}${
                s.status!.firing.length
                  ? ` (${s.status!.firing.map(f => f.id).join(', ')})`
                  : ''
              }`,
          )
          .join('; ')}
        .
      </Typography>
      {tab && (
        <Typography variant="body2">
          What to do:{' '}
          <Link to={tab('runbook')} data-testid="reliability-status-runbook">
            open the runbook and the incidents
          </Link>
          {' · '}
          {attention.map((s, i) => (
            <span key={s.ref}>
              {i > 0 && ', '}
              <Link to={tab('slo', s.name)}>{s.title}: charts and changes</Link>
            </span>
          ))}
        </Typography>
      )}
    </Alert>
  );
}

/** ``: the SLO table and the readiness summary; without SLOs, how to add a first one. */
function OverviewScreen() {
  const tab = useTab();
  const link = useReliabilityTabLink();
  return (
    <WithSlos>
      {items =>
        items.length === 0 ? (
          <Stack spacing={2}>
            <NoSlos name={tab.name} newSloTemplate={tab.newSloTemplate} />
            <ReadinessCard entityRef={tab.entityRef} />
          </Stack>
        ) : (
          <Stack spacing={2} data-testid="reliability-content">
            <StatusLine items={items} />
            <Card variant="outlined">
              <SloTable
                items={items}
                sloLink={link ? s => link('slo', s.name) : undefined}
              />
            </Card>
            <ReadinessCard entityRef={tab.entityRef} />
          </Stack>
        )
      }
    </WithSlos>
  );
}

/** What an unknown address under the tab shows: what is missing, and the way back. */
function NotFound({ children }: { children: ReactNode }) {
  const link = useReliabilityTabLink();
  return (
    <Alert severity="warning" data-testid="reliability-not-found">
      {children}{' '}
      <Link to={link ? link('overview') : '.'}>
        Back to the reliability overview
      </Link>
    </Alert>
  );
}

/** `slo/:name`: one SLO's status, charts and corrections, and the entity's changes around them. */
function SloScreen() {
  const tab = useTab();
  const api = useApi(reliabilityApiRef);
  const { name } = useParams();
  // the entity's changes of the last 30 days, once: the charts mark them and the changes card lists them
  // (from a whole minute: the same request when the user comes back, which the client may answer from memory)
  const changes = useReusedAsync(
    api,
    () =>
      api.listChanges(tab.entityRef, {
        from: new Date(
          Math.floor(Date.now() / 60_000) * 60_000 - 30 * 86_400_000,
        ).toISOString(),
        limit: 200,
      }),
    [api, tab.entityRef],
  );
  return (
    <WithSlos>
      {items => {
        const slo = items.find(s => s.name === name);
        if (!slo) {
          return (
            <NotFound>
              {tab.name} has no SLO named &quot;{name}&quot;.
            </NotFound>
          );
        }
        return (
          <Stack spacing={2} data-testid={`reliability-slo-${slo.name}`}>
            <Card variant="outlined">
              <SloTable items={[slo]} />
            </Card>
            <SloCharts slo={slo} changes={changes.value?.items} />
            <ChangesPanel
              value={changes.value}
              loading={changes.loading}
              error={changes.error}
              retry={changes.retry}
            />
          </Stack>
        );
      }}
    </WithSlos>
  );
}

function RunbookScreen() {
  const tab = useTab();
  return (
    <EntityRunbookCard entity={tab.path} slos={tab.slos.value?.items ?? []} />
  );
}

function DrillsScreen() {
  const tab = useTab();
  return (
    <WithSlos>
      {items => (
        <DrillsPanel
          entityRef={tab.entityRef}
          sloRefs={items.map(s => s.ref)}
        />
      )}
    </WithSlos>
  );
}

function ChaosScreen() {
  const tab = useTab();
  return (
    <WithSlos>
      {items => (
        <ChaosPanel entityRef={tab.entityRef} sloRefs={items.map(s => s.ref)} />
      )}
    </WithSlos>
  );
}

function EntityScreen({
  panel: Panel,
}: {
  panel: ComponentType<{ entityRef: string }>;
}) {
  const tab = useTab();
  return <Panel entityRef={tab.entityRef} />;
}

/**
 * The entity's Reliability tab, one screen per question, each at its own address under the tab: the overview (the
 * SLOs' status and the readiness summary), `slo/:name` (one SLO's charts, corrections and changes), `runbook`,
 * `self-healing`, `synthetics`, `drills`, `capacity` and `chaos`, with a navigation bar above them. Without SLOs the
 * overview says how to add a first one. Mount it at a path that ends in `/*` (both frontend systems do so for entity
 * tabs). `newSloTemplate` is where the "New SLO" template lives in this app (default
 * `/create/templates/default/new-slo`).
 * @public
 */
export function EntityReliabilityContent(
  props: { newSloTemplate?: string } = {},
) {
  const r = RELIABILITY_TAB_ROUTES;
  return (
    <Routes>
      <Route element={<TabLayout newSloTemplate={props.newSloTemplate} />}>
        <Route index element={<OverviewScreen />} />
        <Route path={`${r.slo}/:name`} element={<SloScreen />} />
        <Route path={r.runbook} element={<RunbookScreen />} />
        <Route
          path={r.selfHealing}
          element={<EntityScreen panel={RemediationPanel} />}
        />
        <Route
          path={r.synthetics}
          element={<EntityScreen panel={SyntheticsPanel} />}
        />
        <Route path={r.drills} element={<DrillsScreen />} />
        <Route
          path={r.capacity}
          element={<EntityScreen panel={CapacityPanel} />}
        />
        <Route path={r.chaos} element={<ChaosScreen />} />
        <Route
          path="*"
          element={
            <NotFound>
              This page of the Reliability tab does not exist.
            </NotFound>
          }
        />
      </Route>
    </Routes>
  );
}
