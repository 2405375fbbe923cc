import { useEffect, useState } from 'react';
import { Link as RouterLink, useLocation, useParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useAsync from 'react-use/esm/useAsync';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Link from '@mui/material/Link';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import {
  runbookSkeleton,
  STANDARD_FAILURE_MODES,
  SloSummary,
  formatPercent,
} from '@reliability-suite/plugin-reliability-common';
import { EntityPath, reliabilityApiRef } from '../../api/ReliabilityApi';
import { RunbookMarkdown } from './RunbookMarkdown';
import { RunbookEditor } from './RunbookEditor';
import { RunbookHistory } from './RunbookHistory';
import { errorMessage, errorStatus } from '../../util/errors';

const STATE_COLOR = {
  healthy: 'success',
  burning: 'warning',
  exhausted: 'error',
  no_data: 'default',
} as const;

/** The entity's live SLO status, on top of its runbook. */
function LiveStatus({ slos }: { slos: SloSummary[] }) {
  if (!slos.length) return null;
  return (
    <Stack
      direction="row"
      spacing={1}
      flexWrap="wrap"
      useFlexGap
      data-testid="runbook-live-status"
    >
      {slos.map(s => (
        <Chip
          key={s.ref}
          color={s.status ? STATE_COLOR[s.status.state] : 'default'}
          label={`${s.title}: ${
            s.status
              ? `${s.status.state.replace('_', ' ')} · budget ${formatPercent(
                  s.status.budgetRemaining,
                  1,
                )}${
                  s.status.firing.length
                    ? ` · ${s.status.firing.map(f => f.id).join(', ')}`
                    : ''
                }`
              : 'not evaluated'
          }`}
        />
      ))}
    </Stack>
  );
}

/** A runbook page for 3 a.m.: live SLO status, table of contents, anchored sections with copy buttons, failure modes. */
export function RunbookPage() {
  const { kind = '', namespace = '', name = '' } = useParams();
  const entity: EntityPath = { kind, namespace, name };
  const entityRef = `${kind}:${namespace}/${name}`.toLocaleLowerCase('en-US');
  const api = useApi(reliabilityApiRef);
  const catalogApi = useApi(catalogApiRef);
  const location = useLocation();
  const [mode, setMode] = useState<'read' | 'edit' | 'history'>('read');
  const runbook = useAsyncRetry(() => api.getRunbook(entity), [api, entityRef]);
  const slos = useAsync(
    () => api.listSlos(entityRef).then(r => r.items),
    [api, entityRef],
  );
  const catalogEntity = useAsync(
    () => catalogApi.getEntityByRef(entityRef),
    [catalogApi, entityRef],
  );

  useEffect(() => {
    const id = decodeURIComponent(location.hash.replace(/^#/, ''));
    if (id && runbook.value)
      document.getElementById(id)?.scrollIntoView({ block: 'start' });
  }, [location.hash, runbook.value]);

  const header = (
    <Stack spacing={1} sx={{ mb: 2 }}>
      <Typography variant="h4">
        Runbook: {catalogEntity.value?.metadata.title ?? name}
      </Typography>
      <Typography variant="body2" color="text.secondary">
        <Link
          component={RouterLink}
          underline="always"
          to={`/catalog/${namespace}/${kind}/${name}`}
        >
          {entityRef}
        </Link>
        {runbook.value &&
          ` · ${
            runbook.value.source.type === 'portal'
              ? `written in the portal, v${runbook.value.source.version} by ${runbook.value.source.author}`
              : `from ${runbook.value.source.location}`
          }`}
      </Typography>
      <LiveStatus slos={slos.value ?? []} />
    </Stack>
  );

  if (runbook.loading && !runbook.value) {
    return (
      <Box p={4} display="flex" gap={2} alignItems="center">
        <CircularProgress size={24} aria-label="loading runbook" />
        <Typography>Loading the runbook…</Typography>
      </Box>
    );
  }
  const notYet =
    errorStatus(runbook.error) === 404 &&
    /no runbook yet/.test(errorMessage(runbook.error));
  if (notYet) {
    const owner =
      (catalogEntity.value?.spec?.owner as string | undefined) ?? undefined;
    return (
      <Box p={3}>
        {header}
        {mode === 'edit' ? (
          <RunbookEditor
            entity={entity}
            baseVersion={0}
            markdown={runbookSkeleton({
              name,
              owner,
              slos: (slos.value ?? []).map(
                (s: SloSummary) =>
                  `${s.name}: ${(s.objective * 100)
                    .toFixed(2)
                    .replace(/\.?0+$/, '')}% over ${s.windowLabel}`,
              ),
            })}
            failureModes={[...STANDARD_FAILURE_MODES]}
            onSaved={() => {
              setMode('read');
              runbook.retry();
            }}
            onCancel={() => setMode('read')}
          />
        ) : (
          <Card variant="outlined" data-testid="runbook-empty">
            <CardContent>
              <Typography variant="h6">No runbook yet</Typography>
              <Typography variant="body2" paragraph>
                Start from the standard runbook skeleton (Service, Owner, Pager,
                Dashboards, SLOs, Dependencies, Guardrails, Symptoms, Checks,
                Mitigations, Comms, Post-incident) and its ten failure modes, or
                point the annotation <code>reliability.io/runbook</code> at a
                Markdown file in the service&apos;s repository.
              </Typography>
              <Button variant="contained" onClick={() => setMode('edit')}>
                Start from the skeleton
              </Button>
            </CardContent>
          </Card>
        )}
      </Box>
    );
  }
  if (runbook.error || !runbook.value) {
    return (
      <Box p={3}>
        {header}
        <Alert
          severity="warning"
          data-testid="runbook-error"
          action={<Button onClick={runbook.retry}>Retry</Button>}
        >
          {runbook.error ? errorMessage(runbook.error) : 'No runbook'}
        </Alert>
      </Box>
    );
  }
  const rb = runbook.value;
  return (
    <Box p={3} data-testid="runbook-page">
      {header}
      <Stack direction="row" spacing={1} sx={{ mb: 2 }}>
        <Button
          variant={mode === 'read' ? 'contained' : 'outlined'}
          size="small"
          onClick={() => setMode('read')}
        >
          Read
        </Button>
        {rb.canEdit && (
          <Button
            variant={mode === 'edit' ? 'contained' : 'outlined'}
            size="small"
            onClick={() => setMode('edit')}
          >
            {rb.editableMarkdown ? 'Edit' : 'Edit failure modes'}
          </Button>
        )}
        {rb.version > 0 && (
          <Button
            variant={mode === 'history' ? 'contained' : 'outlined'}
            size="small"
            onClick={() => setMode('history')}
          >
            History
          </Button>
        )}
      </Stack>
      {mode === 'edit' && (
        <RunbookEditor
          entity={entity}
          baseVersion={rb.version}
          markdown={rb.editableMarkdown ? rb.markdown : undefined}
          failureModes={rb.failureModes}
          onSaved={() => {
            setMode('read');
            runbook.retry();
          }}
          onCancel={() => setMode('read')}
        />
      )}
      {mode === 'history' && <RunbookHistory entity={entity} />}
      {mode === 'read' && (
        <Stack
          direction={{ xs: 'column', md: 'row' }}
          spacing={3}
          alignItems="flex-start"
        >
          <Box
            component="nav"
            aria-label="table of contents"
            sx={{ minWidth: 220, position: { md: 'sticky' }, top: 16 }}
            data-testid="runbook-toc"
          >
            <Typography variant="overline">Contents</Typography>
            {rb.sections.map(s => (
              <Box key={s.id} sx={{ pl: (s.level - 1) * 1.5 }}>
                <Link component={RouterLink} to={`#${s.id}`} underline="hover">
                  {s.title}
                </Link>
              </Box>
            ))}
            <Box>
              <Link href="#failure-modes" underline="hover">
                Failure modes
              </Link>
            </Box>
          </Box>
          <Box flex={1} minWidth={0}>
            {rb.sections.map(s => (
              <Box
                key={s.id}
                id={s.id}
                component="section"
                data-testid={`runbook-section-${s.id}`}
                sx={{
                  scrollMarginTop: 16,
                  mb: 2,
                  p: 1,
                  borderRadius: 1,
                  ...(location.hash === `#${s.id}`
                    ? { outline: 2, outlineColor: 'warning.main' }
                    : {}),
                }}
              >
                <Typography variant={s.level <= 1 ? 'h5' : 'h6'}>
                  {s.title}
                </Typography>
                {s.alerts.length > 0 && (
                  <Stack direction="row" spacing={0.5} sx={{ my: 0.5 }}>
                    {s.alerts.map(a => (
                      <Chip
                        key={a}
                        size="small"
                        variant="outlined"
                        label={`answers ${a}`}
                      />
                    ))}
                  </Stack>
                )}
                <RunbookMarkdown markdown={s.body} />
              </Box>
            ))}
            <Box
              id="failure-modes"
              component="section"
              sx={{ scrollMarginTop: 16 }}
              data-testid="runbook-failure-modes"
            >
              <Typography variant="h6">
                Failure modes
                {rb.failureModesTemplate
                  ? ' (the standard failure-mode template: edit it to make it this service’s)'
                  : ''}
              </Typography>
              <Table size="small">
                <TableHead>
                  <TableRow>
                    <TableCell>Mode</TableCell>
                    <TableCell>Detection</TableCell>
                    <TableCell>Mitigation</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {rb.failureModes.map(m => (
                    <TableRow key={m.mode}>
                      <TableCell>{m.mode}</TableCell>
                      <TableCell>{m.detection}</TableCell>
                      <TableCell>{m.mitigation}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </Box>
          </Box>
        </Stack>
      )}
    </Box>
  );
}
