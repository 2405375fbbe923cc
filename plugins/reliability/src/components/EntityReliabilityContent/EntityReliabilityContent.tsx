import { ReactElement, useEffect, useState } from 'react';
import { useReusedAsync } from '../../util/useReusedAsync';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Link } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { SloTable } from '../SloTable/SloTable';
import { SloCharts } from '../SloCharts/SloCharts';
import { RemediationPanel } from '../RemediationPanel/RemediationPanel';
import { ChaosPanel } from '../ChaosPanel/ChaosPanel';
import { DrillsPanel } from '../DrillsPanel/DrillsPanel';
import { CapacityPanel } from '../CapacityPanel/CapacityPanel';
import { ChangesPanel } from '../ChangesPanel/ChangesPanel';
import { SyntheticsPanel } from '../SyntheticsPanel/SyntheticsPanel';
import { ReadinessCard } from '../ReadinessCard/ReadinessCard';
import { EntityRunbookCard } from '../EntityRunbookCard/EntityRunbookCard';
import { errorMessage } from '../../util/errors';
import { DEFAULT_NEW_SLO_TEMPLATE } from '../../paths';

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

/**
 * The entity's Reliability tab: its SLOs with status, then the charts of each; without SLOs, how to add a first one.
 * `newSloTemplate` is where the "New SLO" template lives in this app (default `/create/templates/default/new-slo`).
 * @public
 */
export function EntityReliabilityContent(
  props: { newSloTemplate?: string } = {},
) {
  const { entity } = useEntity();
  const api = useApi(reliabilityApiRef);
  const entityRef = stringifyEntityRef(entity);
  const path = {
    kind: entity.kind.toLocaleLowerCase('en-US'),
    namespace: entity.metadata.namespace ?? 'default',
    name: entity.metadata.name,
  };
  const { value, loading, error, retry } = useReusedAsync(
    api,
    () => api.listSlos(entityRef),
    [api, entityRef],
  );
  // the entity's changes of the last 30 days, once: the charts mark them and the changes card lists them
  // (from a whole minute: the same request when the user comes back, which the client may answer from memory)
  const changes = useReusedAsync(
    api,
    () =>
      api.listChanges(entityRef, {
        from: new Date(
          Math.floor(Date.now() / 60_000) * 60_000 - 30 * 86_400_000,
        ).toISOString(),
        limit: 200,
      }),
    [api, entityRef],
  );

  if (loading && !value) {
    return (
      <Box
        display="flex"
        alignItems="center"
        gap={2}
        p={4}
        data-testid="reliability-loading"
      >
        <CircularProgress size={24} aria-label="loading SLOs" />
        <Typography>Loading SLOs…</Typography>
      </Box>
    );
  }
  if (error) {
    return (
      <Alert
        severity="error"
        data-testid="reliability-error"
        action={
          <Button color="inherit" size="small" onClick={retry}>
            Retry
          </Button>
        }
      >
        Could not load the SLOs of {entity.metadata.name}: {errorMessage(error)}
      </Alert>
    );
  }
  if (!value || value.items.length === 0) {
    return (
      <Stack spacing={2}>
        <NoSlos
          name={entity.metadata.name}
          newSloTemplate={props.newSloTemplate}
        />
        <ReadinessCard entityRef={entityRef} />
        <EntityRunbookCard entity={path} slos={[]} />
        <RemediationPanel entityRef={entityRef} />
        <SyntheticsPanel entityRef={entityRef} />
        <DrillsPanel entityRef={entityRef} sloRefs={[]} />
        <CapacityPanel entityRef={entityRef} />
      </Stack>
    );
  }
  // the panels under the charts mount one at a time once the page is idle: the first paint holds the statuses and the
  // charts, and no frame lays out the whole tab at once
  const later = [
    <ChangesPanel
      key="changes"
      value={changes.value}
      loading={changes.loading}
      error={changes.error}
      retry={changes.retry}
    />,
    <RemediationPanel key="remediation" entityRef={entityRef} />,
    <SyntheticsPanel key="synthetics" entityRef={entityRef} />,
    <DrillsPanel
      key="drills"
      entityRef={entityRef}
      sloRefs={value.items.map(s => s.ref)}
    />,
    <CapacityPanel key="capacity" entityRef={entityRef} />,
    <ChaosPanel
      key="chaos"
      entityRef={entityRef}
      sloRefs={value.items.map(s => s.ref)}
    />,
  ];
  return (
    <Stack spacing={2} data-testid="reliability-content">
      <Card variant="outlined">
        <SloTable items={value.items} />
      </Card>
      <EntityRunbookCard entity={path} slos={value.items} />
      <ReadinessCard entityRef={entityRef} />
      {value.items.map(slo => (
        <SloCharts key={slo.ref} slo={slo} changes={changes.value?.items} />
      ))}
      <StagedPanels>{later}</StagedPanels>
    </Stack>
  );
}

/**
 * Mounts its children one at a time, in order, each when the page is idle (at the latest 300 ms after the one before;
 * one per frame where the browser has no requestIdleCallback). Each is drawn only when near the screen
 * (`content-visibility: auto`, with room kept for it): the panels sit below the charts, and the browser lays out and
 * paints them as they scroll in.
 */
function StagedPanels({ children }: { children: ReactElement[] }) {
  const [shown, setShown] = useState(0);
  useEffect(() => {
    if (shown >= children.length) return undefined;
    const next = () => setShown(n => n + 1);
    // when the page is idle (the charts above drawn), at the latest after 300 ms
    if (typeof window.requestIdleCallback === 'function') {
      const idle = window.requestIdleCallback(next, { timeout: 300 });
      return () => window.cancelIdleCallback(idle);
    }
    // elsewhere: after the next paint
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(next, 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      if (timer) clearTimeout(timer);
    };
  }, [shown, children.length]);
  return (
    <>
      {children.slice(0, shown).map(child => (
        <Box
          key={child.key}
          sx={{ contentVisibility: 'auto', containIntrinsicSize: 'auto 400px' }}
        >
          {child}
        </Box>
      ))}
    </>
  );
}
