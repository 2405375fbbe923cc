import { useEffect, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { useApi } from '@backstage/core-plugin-api';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  Tooltip as ChartTooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type {
  SyntheticJourneyRecord,
  SyntheticRun,
  SyntheticSeriesResponse,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { CsvUpload } from '../CsvUpload/CsvUpload';
import { dateFormat } from '../../util/dates';
import { ChartBox } from '../../util/ChartBox';
import { legibleText } from '../../util/legibility';
import { saveFile } from '../../util/saveFile';

type Range = '24h' | '7d' | '30d';
const hourUtc = dateFormat({
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});
const dayUtc = dateFormat({ month: 'short', day: 'numeric', timeZone: 'UTC' });
const time = (t: number, range: Range) =>
  (range === '24h' ? hourUtc : dayUtc)(t);
const ms = (v: number) =>
  v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;

/** A chip per region: the latest run there. */
function RegionStatus({ journey }: { journey: SyntheticJourneyRecord }) {
  if (journey.steps.length === 0) {
    return (
      <Chip
        size="small"
        label="no steps yet: not run"
        variant="outlined"
        data-testid={`synthetic-nosteps-${journey.name}`}
      />
    );
  }
  return (
    <Stack direction="row" spacing={0.5} useFlexGap flexWrap="wrap">
      {journey.regions.map(region => {
        const l = journey.latest[region];
        let label = `${region}: not run yet`;
        let color: 'default' | 'success' | 'error' | 'warning' = 'default';
        if (l) {
          label = `${region}: ${l.success ? 'passing' : 'failing'} · ${ms(
            l.durationMs,
          )}`;
          if (!l.success) color = 'error';
          else color = l.warnings.length ? 'warning' : 'success';
        }
        // no live runner serves the region: its last result is old news, and the chip says so first
        const unmonitored = journey.monitoring?.[region];
        const off = unmonitored?.status === 'unmonitored';
        if (off) {
          label = `${region}: unmonitored`;
          color = 'warning';
        }
        let title = l
          ? `${new Date(l.startedAt).toUTCString()}${
              l.error ? ` — ${l.error}` : ''
            }${l.warnings.length ? ` — ${l.warnings.join('; ')}` : ''}`
          : 'The runner has not run it in this region yet';
        if (off)
          title = `${unmonitored?.reason ?? 'No runner serves this region'}${
            l ? ` — last run ${new Date(l.startedAt).toUTCString()}` : ''
          }`;
        return (
          <Tooltip key={region} title={title}>
            <Chip
              size="small"
              color={color}
              variant={off ? 'outlined' : 'filled'}
              label={label}
              data-testid={`synthetic-status-${journey.name}-${region}`}
            />
          </Tooltip>
        );
      })}
    </Stack>
  );
}

/** Success rate and p95 duration per region over the range, the deadline marked. */
function JourneyCharts({
  series,
  range,
}: {
  series: SyntheticSeriesResponse;
  range: Range;
}) {
  const theme = useTheme();
  const regions = [...new Set(series.points.map(p => p.region))];
  const byT = new Map<number, Record<string, number>>();
  for (const p of series.points) {
    const row = byT.get(p.t) ?? { t: p.t };
    row[`ok:${p.region}`] = Number((p.successRate * 100).toFixed(2));
    row[`p95:${p.region}`] = Math.round(p.p95Ms);
    byT.set(p.t, row);
  }
  const data = [...byT.values()].sort((a, b) => a.t - b.t);
  const colors = [
    theme.palette.primary.main,
    theme.palette.secondary.main,
    theme.palette.success.main,
    theme.palette.warning.main,
    theme.palette.info.main,
  ];
  if (!data.length)
    return (
      <Typography variant="body2" color="text.secondary">
        No runs in the last {range}.
      </Typography>
    );
  const axis = (
    <XAxis
      dataKey="t"
      type="number"
      scale="time"
      domain={['dataMin', 'dataMax']}
      tickFormatter={t => time(Number(t), range)}
    />
  );
  return (
    <Stack
      direction={{ xs: 'column', md: 'row' }}
      spacing={2}
      data-testid="synthetic-charts"
    >
      <Box flex={1}>
        <Typography variant="subtitle2">Success rate per region</Typography>
        <ChartBox height={200}>
          <LineChart
            data={data}
            margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" />
            {axis}
            <YAxis domain={[0, 100]} unit="%" width={48} />
            <ChartTooltip labelFormatter={t => time(Number(t), range)} />
            <Legend />
            {regions.map((r, i) => (
              <Line
                key={r}
                dataKey={`ok:${r}`}
                name={r}
                stroke={colors[i % colors.length]}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ChartBox>
      </Box>
      <Box flex={1}>
        <Typography variant="subtitle2">
          p95 duration per region, against the deadline
        </Typography>
        <ChartBox height={200}>
          <LineChart
            data={data}
            margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" />
            {axis}
            <YAxis
              width={64}
              tickFormatter={v => ms(Number(v))}
              domain={[
                0,
                (max: number) =>
                  Math.ceil((Math.max(max, series.deadlineMs) * 1.1) / 500) *
                  500,
              ]}
            />
            <ChartTooltip labelFormatter={t => time(Number(t), range)} />
            <Legend />
            <ReferenceLine
              y={series.deadlineMs}
              stroke={theme.palette.error.main}
              strokeDasharray="6 3"
              label={{
                value: `deadline ${ms(series.deadlineMs)}`,
                position: 'insideTopRight',
                fontSize: 10,
              }}
            />
            {regions.map((r, i) => (
              <Line
                key={r}
                dataKey={`p95:${r}`}
                name={r}
                stroke={colors[i % colors.length]}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ChartBox>
      </Box>
    </Stack>
  );
}

/** A run's steps as a waterfall: each bar starts when the step started and is as long as it took. */
export function Waterfall({ run }: { run: SyntheticRun }) {
  const theme = useTheme();
  const steps = run.steps ?? [];
  const total = Math.max(
    run.durationMs,
    ...steps.map(s => s.startMs + s.durationMs),
    1,
  );
  return (
    <Box data-testid={`synthetic-waterfall-${run.id}`} sx={{ mt: 1 }}>
      {steps.map((s, i) => (
        <Box
          key={i}
          sx={{
            display: 'grid',
            gridTemplateColumns: '180px 1fr 90px',
            alignItems: 'center',
            gap: 1,
            mb: 0.5,
          }}
        >
          <Typography variant="caption" noWrap title={s.name}>
            {s.ok ? '✓' : '✗'} {s.name}
            {s.status ? ` · ${s.status}` : ''}
          </Typography>
          <Box
            sx={{
              position: 'relative',
              height: 12,
              background: theme.palette.action.hover,
            }}
          >
            <Box
              sx={{
                position: 'absolute',
                left: `${(s.startMs / total) * 100}%`,
                width: `${Math.max((s.durationMs / total) * 100, 0.5)}%`,
                height: '100%',
                background: s.ok
                  ? theme.palette.success.main
                  : theme.palette.error.main,
              }}
            />
          </Box>
          <Typography variant="caption" align="right">
            {ms(s.durationMs)}
          </Typography>
          {(s.error || s.warning || s.excerpt) && (
            <Box sx={{ gridColumn: '1 / span 3', pl: 2 }}>
              {s.error && (
                <Typography
                  variant="caption"
                  color={legibleText('error')}
                  component="div"
                >
                  {s.error}
                </Typography>
              )}
              {s.warning && (
                <Typography
                  variant="caption"
                  color={legibleText('warning')}
                  component="div"
                >
                  {s.warning}
                </Typography>
              )}
              {s.excerpt && (
                <Typography
                  variant="caption"
                  component="pre"
                  sx={{
                    whiteSpace: 'pre-wrap',
                    wordBreak: 'break-all',
                    m: 0,
                    color: 'text.secondary',
                  }}
                >
                  {s.excerpt}
                </Typography>
              )}
            </Box>
          )}
        </Box>
      ))}
      {run.steps === null && (
        <Typography variant="caption" color="text.secondary">
          The evidence of this run was pruned; only its outcome is kept.
        </Typography>
      )}
    </Box>
  );
}

/** The screenshot of a browser step, fetched with the user's token (an <img> could not send it). */
function Screenshot({
  entityRef,
  run,
}: {
  entityRef: string;
  run: SyntheticRun;
}) {
  const api = useApi(reliabilityApiRef);
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let created: string | undefined;
    api.getSyntheticEvidence(entityRef, run.id, 'screenshot').then(
      blob => setUrl((created = URL.createObjectURL(blob))),
      e => setError(errorMessage(e)),
    );
    return () => {
      if (created) URL.revokeObjectURL(created);
    };
  }, [api, entityRef, run.id]);
  if (error)
    return (
      <Typography variant="caption" color={legibleText('error')}>
        Screenshot: {error}
      </Typography>
    );
  return url ? (
    <Box
      component="img"
      src={url}
      alt={`screenshot of run ${run.id}`}
      sx={{ maxWidth: '100%', border: 1, borderColor: 'divider', mt: 1 }}
    />
  ) : null;
}

function LastFailures({
  entityRef,
  journey,
}: {
  entityRef: string;
  journey: string;
}) {
  const api = useApi(reliabilityApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listSyntheticRuns(entityRef, { journey, failed: true, limit: 5 }),
    [api, entityRef, journey],
  );
  const [open, setOpen] = useState<number>();
  const har = async (run: SyntheticRun) => {
    const blob = await api.getSyntheticEvidence(entityRef, run.id, 'har');
    saveFile(blob, `${journey}-run-${run.id}.har`);
  };
  if (loading && !value)
    return <CircularProgress size={16} aria-label="loading failures" />;
  if (error) {
    return (
      <Alert
        severity="error"
        action={
          <Button color="inherit" size="small" onClick={retry}>
            Retry
          </Button>
        }
      >
        Could not load the failures: {errorMessage(error)}
      </Alert>
    );
  }
  if (!value?.items.length)
    return (
      <Typography variant="body2" color="text.secondary">
        No failed runs kept.
      </Typography>
    );
  return (
    <Box data-testid="synthetic-failures">
      {value.items.map(run => (
        <Box
          key={run.id}
          sx={{ borderTop: 1, borderColor: 'divider', py: 0.5 }}
        >
          <Stack direction="row" spacing={1} alignItems="center">
            <Chip size="small" color="error" label={run.region} />
            <Typography variant="body2" sx={{ flex: 1 }}>
              {new Date(run.startedAt).toUTCString()} · {ms(run.durationMs)} ·{' '}
              {run.error}
            </Typography>
            {run.har && (
              <Button size="small" onClick={() => har(run)}>
                HAR
              </Button>
            )}
            <Button
              size="small"
              onClick={() => setOpen(open === run.id ? undefined : run.id)}
              aria-expanded={open === run.id}
            >
              {open === run.id ? 'Hide steps' : 'Steps'}
            </Button>
          </Stack>
          {open === run.id && (
            <>
              <Waterfall run={run} />
              {run.screenshot && <Screenshot entityRef={entityRef} run={run} />}
            </>
          )}
        </Box>
      ))}
    </Box>
  );
}

function RegistryUpload({
  entityRef,
  onImported,
}: {
  entityRef: string;
  onImported: (message: string) => void;
}) {
  const api = useApi(reliabilityApiRef);
  return (
    <CsvUpload
      label="Upload registry CSV"
      maxBytes={1024 * 1024}
      inputTestId="synthetic-upload-input"
      errorTestId="synthetic-import-error"
      onUpload={async (name, text) => {
        const r = await api.importSyntheticRegistry(entityRef, text);
        const pending = r.withoutSteps.length
          ? ` Define the steps of ${r.withoutSteps.join(
              ', ',
            )} (PUT /synthetics/journeys) before they run.`
          : '';
        onImported(
          `Imported ${name}: ${r.added} new journey${
            r.added === 1 ? '' : 's'
          }, ${r.updated} updated.${pending}`,
        );
      }}
    />
  );
}

/**
 * Synthetic journeys on the entity's Reliability tab: status per region, success-rate and p95 charts, and the last
 * failures with their step-by-step waterfall (and the screenshot of browser steps).
 * @public
 */
export function SyntheticsPanel({ entityRef }: { entityRef: string }) {
  const api = useApi(reliabilityApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listSynthetics(entityRef),
    [api, entityRef],
  );
  const [selected, setSelected] = useState<string>();
  const [range, setRange] = useState<Range>('24h');
  const [notice, setNotice] = useState<string>();
  const journeys = value?.items ?? [];
  const current =
    journeys.find(j => j.name === selected) ??
    journeys.find(j => j.steps.length > 0) ??
    journeys[0];
  const series = useAsyncRetry(
    async () =>
      current
        ? api.getSyntheticSeries(entityRef, current.name, range)
        : undefined,
    [api, entityRef, current?.name, range],
  );
  return (
    <Card
      variant="outlined"
      data-testid="synthetics-panel"
      id="synthetics-panel"
    >
      <CardHeader
        title="Synthetic journeys"
        subheader={
          value
            ? `Runs every journey in each of its regions; hosts allowed: ${
                value.allowedHosts.length
                  ? value.allowedHosts.join(', ')
                  : 'none (reliability.synthetics.allowedHosts)'
              }`
            : undefined
        }
        action={
          <RegistryUpload
            entityRef={entityRef}
            onImported={m => {
              setNotice(m);
              retry();
            }}
          />
        }
      />
      <CardContent>
        {loading && !value && (
          <CircularProgress size={20} aria-label="loading journeys" />
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
            Could not load the journeys: {errorMessage(error)}
          </Alert>
        )}
        {notice && (
          <Alert
            severity="success"
            sx={{ mb: 1 }}
            onClose={() => setNotice(undefined)}
            data-testid="synthetic-notice"
          >
            {notice}
          </Alert>
        )}
        {value && journeys.length === 0 && (
          <Alert severity="info" data-testid="synthetic-empty">
            No synthetic journeys yet. Upload the registry CSV
            (journey,region,frequency,deadline_ms), then give each journey its
            steps with PUT /api/reliability/synthetics/journeys; the runner
            starts at once.
          </Alert>
        )}
        {journeys.map(j => (
          <Box
            key={j.name}
            onClick={() => setSelected(j.name)}
            sx={{
              py: 1,
              borderBottom: 1,
              borderColor: 'divider',
              cursor: 'pointer',
              background:
                current?.name === j.name ? 'action.selected' : undefined,
            }}
            data-testid={`synthetic-journey-${j.name}`}
          >
            <Typography variant="subtitle2">
              {j.name}{' '}
              <Typography
                component="span"
                variant="caption"
                color="text.secondary"
              >
                every {j.frequency} · deadline {ms(j.deadlineMs)} ·{' '}
                {j.steps.length} step{j.steps.length === 1 ? '' : 's'}
              </Typography>
            </Typography>
            <RegionStatus journey={j} />
          </Box>
        ))}
        {current && current.steps.length > 0 && (
          <Box sx={{ mt: 2 }}>
            <Stack
              direction="row"
              alignItems="center"
              justifyContent="space-between"
            >
              <Typography variant="subtitle1">{current.name}</Typography>
              <ToggleButtonGroup
                size="small"
                exclusive
                value={range}
                onChange={(_e, v) => v && setRange(v)}
                aria-label="range"
              >
                <ToggleButton value="24h">24h</ToggleButton>
                <ToggleButton value="7d">7d</ToggleButton>
                <ToggleButton value="30d">30d</ToggleButton>
              </ToggleButtonGroup>
            </Stack>
            {series.loading && !series.value && (
              <CircularProgress size={16} aria-label="loading charts" />
            )}
            {series.error && (
              <Alert severity="error">
                Could not load the charts: {errorMessage(series.error)}
              </Alert>
            )}
            {series.value && (
              <JourneyCharts series={series.value} range={range} />
            )}
            <Typography variant="subtitle2" sx={{ mt: 2 }}>
              Last failures
            </Typography>
            <LastFailures entityRef={entityRef} journey={current.name} />
          </Box>
        )}
      </CardContent>
    </Card>
  );
}
