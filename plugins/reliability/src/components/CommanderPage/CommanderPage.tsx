import { useEffect, useMemo, useRef, useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Link from '@mui/material/Link';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useSignal } from '@backstage/plugin-signals-react';
import { useApi } from '@backstage/core-plugin-api';
import { useReliabilityLinks } from '../../paths';
import {
  CommanderAlert,
  COMMANDER_SIGNAL_CHANNEL,
  formatElapsed,
  MISSING,
  formatPercent,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { AutoRemediated } from './AutoRemediated';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { FIT_TABLE_SX } from '../../util/formatting';
import { DeliveryFailures } from './DeliveryFailures';
import { ScrollRegion } from '../../util/ScrollRegion';
import { legibleText } from '../../util/legibility';

/** The scaffolder's New runbook template (catalog/templates/new-runbook), at its default `/create`. */
export const NEW_RUNBOOK_TEMPLATE = '/create/templates/default/new-runbook';

const SEVERITY_COLOR: Record<string, 'error' | 'warning' | 'info' | 'default'> =
  {
    page: 'error',
    critical: 'error',
    error: 'error',
    ticket: 'warning',
    warning: 'warning',
  };

/** Everything a row can be found by: "which runbook for checkout?" finds checkout's rows. */
const haystack = (a: CommanderAlert) =>
  [
    a.name,
    a.summary,
    a.entityRef,
    a.entityTitle,
    a.owner,
    a.system,
    a.severity,
    a.slo?.title,
    a.runbook?.sectionTitle,
    a.runbook ? 'runbook' : '',
  ]
    .filter(Boolean)
    .join(' ')
    .toLocaleLowerCase('en-US');

const STOP_WORDS = new Set([
  'which',
  'what',
  'the',
  'for',
  'is',
  'a',
  'an',
  'of',
  'to',
  'show',
  'me',
]);

export function matchesSearch(a: CommanderAlert, query: string): boolean {
  const words = query
    .toLocaleLowerCase('en-US')
    .replace(/[?!.,]/g, ' ')
    .split(/\s+/)
    .filter(w => w && !STOP_WORDS.has(w));
  const text = haystack(a);
  return words.every(w => text.includes(w));
}

/** The incident commander's view: what is burning now across the organisation, and the runbook one click away. */
export function CommanderPage() {
  const api = useApi(reliabilityApiRef);
  const links = useReliabilityLinks();
  const navigate = useNavigate();
  const alerts = useAsyncRetry(() => api.getCommanderAlerts(), [api]);
  const incidents = useAsyncRetry(
    () => api.listIncidents({ state: 'active' }),
    [api],
  );
  useInterval(() => {
    alerts.retry();
    incidents.retry();
  }, 30_000);
  // live: the backend signals when an alert fires (the interval stays as the fallback without signals)
  const { lastSignal } = useSignal(COMMANDER_SIGNAL_CHANNEL);
  useEffect(() => {
    if (lastSignal) alerts.retry();
  }, [lastSignal]); // eslint-disable-line react-hooks/exhaustive-deps
  const [query, setQuery] = useState('');
  const [owner, setOwner] = useState('');
  const [severity, setSeverity] = useState('');
  const [system, setSystem] = useState('');
  const [declareError, setDeclareError] = useState<string>();
  const search = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // "/" jumps to the search box, as on GitHub; Escape clears it
    const onKey = (e: KeyboardEvent) => {
      const typing =
        (e.target as HTMLElement)?.tagName === 'INPUT' ||
        (e.target as HTMLElement)?.tagName === 'TEXTAREA';
      if (e.key === '/' && !typing) {
        e.preventDefault();
        search.current?.focus();
      }
      if (e.key === 'Escape' && e.target === search.current) setQuery('');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const items = useMemo(() => alerts.value?.items ?? [], [alerts.value]);
  const options = (pick: (a: CommanderAlert) => string | null) =>
    [...new Set(items.map(pick).filter((v): v is string => Boolean(v)))].sort();
  const shown = useMemo(
    () =>
      items.filter(
        a =>
          (!owner || a.owner === owner) &&
          (!severity || a.severity === severity) &&
          (!system || a.system === system) &&
          matchesSearch(a, query),
      ),
    [items, owner, severity, system, query],
  );

  const declare = async (a: CommanderAlert) => {
    setDeclareError(undefined);
    try {
      const incident = await api.declareIncident({
        entityRef: a.entityRef,
        title: a.summary || `${a.name} on ${a.entityTitle ?? a.entityRef}`,
        severity:
          a.severity === 'page' || a.severity === 'critical' ? 'SEV1' : 'SEV2',
        trigger: `${a.name}: ${a.summary}`.slice(0, 500),
      });
      navigate(links.incident(incident.id));
    } catch (e) {
      setDeclareError(errorMessage(e));
    }
  };

  return (
    <Box p={3} data-testid="commander-page">
      <Typography variant="h4" gutterBottom>
        Incident commander
      </Typography>
      {(incidents.value?.items.length ?? 0) > 0 && (
        <Alert severity="error" sx={{ mb: 2 }} data-testid="active-incidents">
          Active incidents:{' '}
          {incidents.value!.items.map(i => (
            <Link
              key={i.id}
              component={RouterLink}
              to={links.incident(i.id)}
              sx={{ mr: 2 }}
            >
              #{i.id} {i.severity} {i.title} ({i.status},{' '}
              {formatElapsed(Date.now() - Date.parse(i.declaredAt))})
            </Link>
          ))}
        </Alert>
      )}
      <DeliveryFailures />
      <AutoRemediated />
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ mb: 2 }}>
        <TextField
          inputRef={search}
          size="small"
          label="Search (press /)"
          placeholder="which runbook for checkout?"
          value={query}
          onChange={e => setQuery(e.target.value)}
          sx={{ minWidth: 320 }}
          inputProps={{ 'aria-label': 'search alerts' }}
        />
        {(
          [
            ['Owner', owner, setOwner, options(a => a.owner)],
            ['Severity', severity, setSeverity, options(a => a.severity)],
            ['System', system, setSystem, options(a => a.system)],
          ] as const
        ).map(([label, value, set, opts]) => (
          <TextField
            key={label}
            select
            size="small"
            label={label}
            value={value}
            onChange={e => set(e.target.value)}
            sx={{ minWidth: 160 }}
          >
            <MenuItem value="">All</MenuItem>
            {opts.map(o => (
              <MenuItem key={o} value={o}>
                {o}
              </MenuItem>
            ))}
          </TextField>
        ))}
        <Button onClick={alerts.retry}>Refresh</Button>
      </Stack>
      {declareError && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {declareError}
        </Alert>
      )}
      {alerts.loading && !alerts.value && (
        <Box display="flex" gap={2} alignItems="center">
          <CircularProgress size={20} aria-label="loading alerts" />
          <Typography>Loading what burns…</Typography>
        </Box>
      )}
      {alerts.error && (
        <Alert
          severity="error"
          action={<Button onClick={alerts.retry}>Retry</Button>}
        >
          Could not load the alerts: {errorMessage(alerts.error)}
        </Alert>
      )}
      {alerts.value && items.length === 0 && (
        <Alert severity="success" data-testid="commander-quiet">
          Nothing is burning: no firing burn-rate alerts and no firing
          Alertmanager alerts.
        </Alert>
      )}
      {alerts.value && items.length > 0 && (
        <ScrollRegion label="alerts table">
          <Table size="small" aria-label="burning now" sx={FIT_TABLE_SX}>
            <TableHead>
              <TableRow>
                <TableCell>Severity</TableCell>
                <TableCell>Alert</TableCell>
                <TableCell>Entity</TableCell>
                <TableCell>Owner</TableCell>
                <TableCell>SLO</TableCell>
                <TableCell>Since</TableCell>
                <TableCell>Remediation / last change</TableCell>
                <TableCell>Runbook</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {shown.map(a => {
                return (
                  <TableRow key={a.key} data-testid={`commander-row-${a.key}`}>
                    <TableCell>
                      <Chip
                        size="small"
                        color={SEVERITY_COLOR[a.severity] ?? 'default'}
                        label={`${a.severity}${
                          a.state === 'pending' ? ' (pending)' : ''
                        }`}
                      />
                    </TableCell>
                    <TableCell>
                      <Typography variant="subtitle2">{a.name}</Typography>
                      <Typography variant="caption" color="text.secondary">
                        {a.summary} ·{' '}
                        {a.source === 'alertmanager'
                          ? 'Alertmanager'
                          : 'burn-rate alert'}
                      </Typography>
                    </TableCell>
                    <TableCell sx={{ minWidth: 140 }}>
                      {a.entityRef ? (
                        <Link
                          component={RouterLink}
                          to={links.entityReliability(a.entityRef)}
                        >
                          {a.entityTitle ?? a.entityRef}
                        </Link>
                      ) : (
                        '–'
                      )}
                      {a.system && (
                        <Typography
                          variant="caption"
                          display="block"
                          color="text.secondary"
                        >
                          system {a.system}
                        </Typography>
                      )}
                    </TableCell>
                    <TableCell className="short">
                      {a.owner ? (
                        <Box
                          component="span"
                          title={a.owner}
                          sx={{
                            display: 'block',
                            maxWidth: 180,
                            overflow: 'hidden',
                            textOverflow: 'ellipsis',
                          }}
                        >
                          <EntityRefLink
                            entityRef={a.owner}
                            defaultKind="group"
                          />
                        </Box>
                      ) : (
                        '–'
                      )}
                    </TableCell>
                    <TableCell>
                      {a.slo && a.entityRef && (
                        <Link
                          component={RouterLink}
                          to={links.entityReliability(
                            a.entityRef,
                            'slo',
                            a.slo.ref.split('/').pop() ?? a.slo.ref,
                          )}
                          data-testid={`commander-slo-${a.key}`}
                          sx={{ display: 'block' }}
                        >
                          {a.slo.title}
                        </Link>
                      )}
                      {a.slo
                        ? `${a.slo.state ?? '?'}${
                            a.slo.budgetRemaining === null
                              ? ''
                              : `, ${formatPercent(
                                  a.slo.budgetRemaining,
                                  1,
                                )} left`
                          }`
                        : MISSING}
                    </TableCell>
                    <TableCell className="short">
                      {formatElapsed(a.ageMs)}
                    </TableCell>
                    <TableCell>
                      {a.remediation
                        ? `${a.remediation.state.replace('_', ' ')} (${
                            a.remediation.ruleId
                          })`
                        : '–'}
                      {a.lastChange && (
                        <Typography
                          variant="caption"
                          display="block"
                          color={legibleText('warning')}
                          data-testid={`commander-change-${a.key}`}
                        >
                          last change{' '}
                          {formatElapsed(
                            Date.parse(a.startedAt) -
                              Date.parse(a.lastChange.at),
                          )}{' '}
                          before: {a.lastChange.kind}
                          {a.lastChange.version
                            ? ` ${a.lastChange.version}`
                            : ''}
                          {a.lastChange.summary
                            ? ` (${a.lastChange.summary})`
                            : ''}
                          {a.lastChange.author
                            ? ` by ${a.lastChange.author}`
                            : ''}
                        </Typography>
                      )}
                    </TableCell>
                    <TableCell>
                      {a.runbook ? (
                        <Button
                          size="small"
                          variant="outlined"
                          component={RouterLink}
                          to={links.runbook(
                            a.runbook.entityRef,
                            a.runbook.section,
                          )}
                        >
                          {a.runbook.sectionTitle
                            ? `Runbook: ${a.runbook.sectionTitle}`
                            : 'Runbook'}
                        </Button>
                      ) : (
                        <Link
                          component={RouterLink}
                          to={`${NEW_RUNBOOK_TEMPLATE}?${new URLSearchParams({
                            formData: JSON.stringify({
                              component: a.entityRef,
                            }),
                          })}`}
                          variant="caption"
                          sx={{ whiteSpace: 'nowrap' }}
                          data-testid={`commander-no-runbook-${a.key}`}
                        >
                          no runbook: write one
                        </Link>
                      )}
                    </TableCell>
                    <TableCell>
                      {a.entityRef && (
                        <Button
                          size="small"
                          color="error"
                          sx={{ color: legibleText('error') }}
                          onClick={() => declare(a)}
                        >
                          Declare incident
                        </Button>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </ScrollRegion>
      )}
      {alerts.value && items.length > 0 && shown.length === 0 && (
        <Typography sx={{ mt: 2 }}>No alert matches the filters.</Typography>
      )}
    </Box>
  );
}
