import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type {
  OverviewResponse,
  OverviewRow,
} from '@reliability-suite/plugin-reliability-common';
import {
  formatPercent,
  formatTarget,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { DEFAULT_NEW_SLO_TEMPLATE } from '../../paths';
import { errorMessage } from '../../util/errors';
import { FIT_TABLE_SX, fixedPercent } from '../../util/formatting';
import { RegistryImport } from './RegistryImport';
import { MttrCard } from './MttrCard';
import { ScrollRegion } from '../../util/ScrollRegion';
import { saveFile } from '../../util/saveFile';

/** The last 30 days of budget, as a line (0% at the bottom, 100% at the top). */
export function Sparkline({
  points,
  now,
}: {
  points: OverviewRow['sparkline'];
  /** The budget left now: the line's last point, after the daily readings. */
  now?: number | null;
}) {
  const theme = useTheme();
  const values = points.filter(p => p.budgetRemaining !== null);
  const days = values.length;
  if (typeof now === 'number') {
    const lastDay = values.length ? values[values.length - 1].day : 0;
    values.push({ day: lastDay + 1, budgetRemaining: now });
  }
  if (values.length === 0)
    return (
      <Typography variant="caption" color="text.secondary">
        —
      </Typography>
    );
  // from the first reading on: a single reading is a flat line at its level
  if (values.length === 1)
    values.push({ ...values[0], day: values[0].day + 1 });
  const w = 90;
  const h = 24;
  const first = values[0].day;
  const span = Math.max(values[values.length - 1].day - first, 1);
  const y = (v: number) => h - Math.max(0, Math.min(1, v)) * h;
  const path = values
    .map(
      (p, i) =>
        `${i ? 'L' : 'M'}${(((p.day - first) / span) * w).toFixed(1)},${y(
          p.budgetRemaining!,
        ).toFixed(1)}`,
    )
    .join(' ');
  const last = values[values.length - 1].budgetRemaining!;
  return (
    <svg
      width={w}
      height={h}
      role="img"
      aria-label={`budget over ${days} days, now ${formatPercent(last)}`}
      data-testid="sparkline"
    >
      <path
        d={path}
        fill="none"
        strokeWidth={1.5}
        stroke={
          last < 0.25 ? theme.palette.error.main : theme.palette.primary.main
        }
      />
    </svg>
  );
}

const entityLink = (ref: string | null, kind: string) => {
  if (!ref) return '—';
  return (
    <Box
      component="span"
      title={ref}
      sx={{
        display: 'block',
        maxWidth: 180,
        overflow: 'hidden',
        textOverflow: 'ellipsis',
        whiteSpace: 'nowrap',
      }}
    >
      <EntityRefLink entityRef={ref} defaultKind={kind} />
    </Box>
  );
};

/** The readiness score of a row's component, fetched once per component. */
function Readiness({ componentRef }: { componentRef: string }) {
  const api = useApi(reliabilityApiRef);
  const { value, error } = useAsync(
    () => api.getReadiness(componentRef),
    [api, componentRef],
  );
  if (error) return <Typography variant="caption">—</Typography>;
  if (!value) return <CircularProgress size={12} />;
  let color: 'success' | 'warning' | 'default' = 'default';
  if (value.score >= 80) color = 'success';
  else if (value.score >= 50) color = 'warning';
  return (
    <Chip
      size="small"
      label={`${value.score}%`}
      color={color}
      sx={{ fontVariantNumeric: 'tabular-nums' }}
    />
  );
}

/**
 * Every SLO of the organisation ranked by the budget it has left: owner, system and lifecycle (filters), a 30-day
 * sparkline, firing rules, the freeze gate and the readiness of its service; pages of 50, and a CSV export. Below,
 * the time to restore per service and per team.
 * @public
 */
export function OverviewPage({
  newSloTemplate = DEFAULT_NEW_SLO_TEMPLATE,
}: { newSloTemplate?: string } = {}) {
  const api = useApi(reliabilityApiRef);
  const [filters, setFilters] = useState({
    owner: '',
    system: '',
    lifecycle: '',
  });
  const [applied, setApplied] = useState(filters);
  const [pages, setPages] = useState(1);
  const { value, loading, error, retry } =
    useAsyncRetry(async (): Promise<OverviewResponse> => {
      let r = await api.getOverview({ ...applied, limit: 50 });
      const items = [...r.items];
      for (let p = 1; p < pages && r.nextCursor; p++) {
        r = await api.getOverview({
          ...applied,
          limit: 50,
          cursor: r.nextCursor,
        });
        items.push(...r.items);
      }
      return { ...r, items };
    }, [api, applied, pages]);
  const [exportError, setExportError] = useState<string>();
  const download = async () => {
    setExportError(undefined);
    try {
      const csv = await api.exportOverview(applied);
      saveFile(csv, 'reliability-overview.csv', 'text/csv');
    } catch (e) {
      setExportError(errorMessage(e));
    }
  };
  const field = (
    key: keyof typeof filters,
    label: string,
    placeholder: string,
  ) => (
    <TextField
      size="small"
      label={label}
      placeholder={placeholder}
      value={filters[key]}
      onChange={e => setFilters({ ...filters, [key]: e.target.value })}
      inputProps={{ 'data-testid': `overview-filter-${key}` }}
    />
  );
  return (
    <Box data-testid="overview-page">
      <RegistryImport onImported={retry} />
      <Stack
        direction={{ xs: 'column', md: 'row' }}
        spacing={1}
        alignItems="center"
        component="form"
        onSubmit={e => {
          e.preventDefault();
          setPages(1);
          setApplied(filters);
        }}
        sx={{ mb: 2 }}
      >
        {field('owner', 'Owner', 'group:default/payments-sre')}
        {field('system', 'System', 'system:default/shop')}
        {field('lifecycle', 'Lifecycle', 'production')}
        <Button type="submit" variant="contained" size="small">
          Filter
        </Button>
        <Box flex={1} />
        <Button size="small" onClick={download}>
          Export CSV
        </Button>
      </Stack>
      {exportError && (
        <Alert severity="error">Could not export: {exportError}</Alert>
      )}
      {loading && !value && (
        <CircularProgress aria-label="loading the overview" />
      )}
      {error && (
        <Alert
          severity="error"
          action={
            <Button color="inherit" size="small" onClick={retry}>
              Retry
            </Button>
          }
        >
          Could not load the overview: {errorMessage(error)}
        </Alert>
      )}
      {value &&
        value.items.length === 0 &&
        (applied.owner || applied.system || applied.lifecycle ? (
          <Alert severity="info">No SLO matches these filters.</Alert>
        ) : (
          <Alert severity="info" data-testid="overview-empty">
            No SLOs yet. Add a first one with the{' '}
            <Link to={newSloTemplate} underline="always">
              New SLO template
            </Link>
            , write an OpenSLO file into the catalog (kind: SLO), or import an
            SLO registry above; each component&apos;s Reliability tab shows how.
          </Alert>
        ))}
      {value && value.items.length > 0 && (
        <ScrollRegion label="SLO ranking table">
          <Table
            size="small"
            aria-label="SLOs ranked by budget remaining"
            sx={FIT_TABLE_SX}
          >
            <TableHead>
              <TableRow>
                <TableCell>#</TableCell>
                <TableCell>SLO</TableCell>
                <TableCell>Owner</TableCell>
                <TableCell>System</TableCell>
                <TableCell>Lifecycle</TableCell>
                <TableCell align="right">Budget left</TableCell>
                <TableCell>30 days</TableCell>
                <TableCell>Alerts</TableCell>
                <TableCell>Freeze gate</TableCell>
                <TableCell>Readiness</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {value.items.map((r, i) => {
                const c = parseEntityRef(r.componentRef);
                return (
                  <TableRow key={r.ref} data-testid={`overview-row-${r.ref}`}>
                    <TableCell className="num">{i + 1}</TableCell>
                    <TableCell>
                      <Link
                        to={`/catalog/${c.namespace}/${c.kind}/${c.name}/reliability`}
                      >
                        {r.title}
                      </Link>
                      <Typography
                        variant="caption"
                        color="text.secondary"
                        component="div"
                      >
                        {c.name} · {formatTarget(r.objective)}
                      </Typography>
                    </TableCell>
                    <TableCell>{entityLink(r.owner, 'group')}</TableCell>
                    <TableCell>{entityLink(r.system, 'system')}</TableCell>
                    <TableCell className="short">
                      {r.lifecycle ?? '—'}
                    </TableCell>
                    <TableCell align="right" className="num">
                      {fixedPercent(r.budgetRemaining, 1)}
                    </TableCell>
                    <TableCell className="short">
                      <Sparkline points={r.sparkline} now={r.budgetRemaining} />
                    </TableCell>
                    <TableCell>
                      {r.firing.length
                        ? r.firing.map(f => (
                            <Chip
                              key={f}
                              size="small"
                              color="error"
                              label={f}
                              sx={{ mr: 0.5 }}
                            />
                          ))
                        : '—'}
                    </TableCell>
                    <TableCell className="short">
                      {r.frozen ? (
                        <Chip size="small" color="warning" label="frozen" />
                      ) : (
                        'open'
                      )}
                    </TableCell>
                    <TableCell className="short">
                      <Readiness componentRef={r.componentRef} />
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </ScrollRegion>
      )}
      {value?.nextCursor && (
        <Button size="small" sx={{ mt: 1 }} onClick={() => setPages(pages + 1)}>
          Load more
        </Button>
      )}
      <MttrCard />
    </Box>
  );
}
