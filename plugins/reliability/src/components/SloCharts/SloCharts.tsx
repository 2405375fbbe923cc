import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import CircularProgress from '@mui/material/CircularProgress';
import Grid from '@mui/material/Grid';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { useApi } from '@backstage/core-plugin-api';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  Area,
  AreaChart,
} from 'recharts';
import Button from '@mui/material/Button';
import { CorrectionsPanel } from './CorrectionsPanel';
import {
  BURN_RATE_WINDOWS,
  BurnRateWindow,
  ChangeEvent,
  HistoryResponse,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import {
  formatBurn,
  formatPercent,
} from '@reliability-suite/plugin-reliability-common';
import { DownloadRulesButton } from './DownloadRulesButton';
import { errorMessage } from '../../util/errors';
import { useReusedAsync } from '../../util/useReusedAsync';
import { dateFormat, timeTicks } from '../../util/dates';

const tick = dateFormat({ month: 'short', day: 'numeric' });
const stamp = dateFormat({
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/**
 * Why a window can be empty: the reason the evaluation gave, when it gave one (an SLO on a source the suite cannot
 * read: "no data: the suite reads Prometheus, synthetics and the built-in ingest; this SLO reads CloudWatch"), else
 * by where the SLO's counts come from.
 */
function noDataHint(slo: SloSummary): string {
  const reason = slo.status?.state === 'no_data' ? slo.status.reason : '';
  if (reason) return `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`;
  switch ((slo.sourceType ?? '').toLowerCase()) {
    case 'synthetic':
      return 'No data in this window yet: the runs of its synthetic journey feed it, each counted once its minute closes.';
    case 'prometheus':
      return 'No data in this window yet: Prometheus has no samples for its queries here.';
    default:
      return 'No data in this window yet: push SLI counts to POST /api/reliability/sli-events.';
  }
}

/** Each change inside the chart's range, as a dashed vertical line labelled with its kind. */
function changeLines(
  changes: readonly ChangeEvent[],
  history: HistoryResponse,
  color: string,
) {
  const from = history.points[0]?.t ?? 0;
  const to = history.points[history.points.length - 1]?.t ?? 0;
  return changes
    .map(c => ({ c, t: Date.parse(c.at) }))
    .filter(({ t }) => t >= from && t <= to)
    .map(({ c, t }) => (
      <ReferenceLine
        key={`change-${c.id}`}
        x={t}
        stroke={color}
        strokeDasharray="2 2"
        className="change-marker"
        label={{
          value: c.kind,
          position: 'insideTopLeft',
          fontSize: 9,
          fill: color,
        }}
      />
    ));
}

/** Budget corrections over the chart's range, shaded and labelled with their reason. */
function exclusionAreas(history: HistoryResponse, color: string) {
  const from = history.points[0]?.t ?? 0;
  const to = history.points[history.points.length - 1]?.t ?? 0;
  return (history.exclusions ?? [])
    .map((x, i) => ({
      x,
      i,
      a: Math.max(from, Date.parse(x.from)),
      b: Math.min(to, Date.parse(x.to)),
    }))
    .filter(({ a, b }) => b > a)
    .map(({ x, i, a, b }) => (
      <ReferenceArea
        key={`excluded-${i}`}
        x1={a}
        x2={b}
        fill={color}
        fillOpacity={0.15}
        className="excluded-range"
        label={{
          value: `excluded: ${x.reason}`,
          position: 'insideTop',
          fontSize: 9,
        }}
      />
    ));
}

function BudgetChart({
  history,
  changes,
}: {
  history: HistoryResponse;
  changes: readonly ChangeEvent[];
}) {
  const theme = useTheme();
  const data = history.points.map(p => ({
    t: p.t,
    budget: p.budgetRemaining === null ? null : p.budgetRemaining * 100,
  }));
  const last = history.points[history.points.length - 1];
  return (
    <Box data-testid="budget-chart">
      <Typography variant="subtitle2">Error budget remaining</Typography>
      <Typography variant="caption" color="text.secondary">
        now {formatPercent(last?.budgetRemaining, 1)}
      </Typography>
      <ResponsiveContainer width="100%" height={220}>
        <AreaChart
          data={data}
          margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            ticks={timeTicks(data)}
            tickFormatter={tick}
          />
          <YAxis
            unit="%"
            domain={[(min: number) => Math.min(0, Math.floor(min)), 100]}
            width={48}
          />
          <Tooltip
            labelFormatter={v => stamp(Number(v))}
            formatter={(v: any) => [
              `${Number(v).toFixed(2)}%`,
              'budget remaining',
            ]}
          />
          <ReferenceLine
            y={0}
            stroke={theme.palette.error.main}
            strokeDasharray="4 2"
          />
          {exclusionAreas(history, theme.palette.grey[500])}
          {changeLines(changes, history, theme.palette.info.main)}
          <Area
            type="monotone"
            dataKey="budget"
            stroke={theme.palette.primary.main}
            fill={theme.palette.primary.light}
            fillOpacity={0.25}
            isAnimationActive={false}
            connectNulls={false}
          />
        </AreaChart>
      </ResponsiveContainer>
    </Box>
  );
}

const THRESHOLD_COLORS = ['#d32f2f', '#ef6c00', '#f9a825', '#7cb342'];

function BurnChart({
  history,
  changes,
}: {
  history: HistoryResponse;
  changes: readonly ChangeEvent[];
}) {
  const theme = useTheme();
  const data = history.points.map(p => ({ t: p.t, burn: p.burnRate }));
  const peak = history.points.reduce((m, p) => Math.max(m, p.burnRate ?? 0), 0);
  return (
    <Box data-testid="burn-chart">
      <Typography variant="subtitle2">
        Burn rate over {history.burnRateWindow}
      </Typography>
      <Typography variant="caption" color="text.secondary">
        peak {formatBurn(peak)}; lines at{' '}
        {history.thresholds.map(t => `${t.burnRate}x`).join(' / ')}
      </Typography>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart
          data={data}
          margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            ticks={timeTicks(data)}
            tickFormatter={tick}
          />
          <YAxis
            domain={[0, (max: number) => Math.max(16, Math.ceil(max))]}
            width={40}
            tickFormatter={v => `${v}x`}
          />
          <Tooltip
            labelFormatter={v => stamp(Number(v))}
            formatter={(v: any) => [formatBurn(Number(v)), 'burn rate']}
          />
          {history.thresholds.map((t, i) => (
            <ReferenceLine
              key={t.label}
              y={t.burnRate}
              stroke={THRESHOLD_COLORS[i % THRESHOLD_COLORS.length]}
              strokeDasharray="6 3"
              label={{
                value: `${t.burnRate}x ${t.severity}`,
                position: 'insideTopRight',
                fontSize: 10,
              }}
            />
          ))}
          {exclusionAreas(history, theme.palette.grey[500])}
          {changeLines(changes, history, theme.palette.info.main)}
          <Line
            type="linear"
            dataKey="burn"
            stroke={theme.palette.secondary.main}
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </Box>
  );
}

/** Budget burn-down and burn rate charts of one SLO, with a lookback selector for the burn rate and the entity's changes marked. */
export function SloCharts({
  slo,
  changes = [],
}: {
  slo: SloSummary;
  changes?: readonly ChangeEvent[];
}) {
  const api = useApi(reliabilityApiRef);
  const [window, setWindow] = useState<BurnRateWindow>('1h');
  const [showCorrections, setShowCorrections] = useState(false);
  const [version, setVersion] = useState(0);
  const { value, loading, error } = useReusedAsync(
    api,
    () => api.getHistory(slo.ref, { window, points: 500 }),
    [api, slo.ref, window, version],
  );
  return (
    <Card variant="outlined" data-testid={`slo-charts-${slo.name}`}>
      <CardHeader
        title={slo.title}
        subheader={`${slo.windowLabel} · objective ${formatPercent(
          slo.objective,
          3,
        )}${
          slo.alertPolicy?.targets?.length
            ? ` · alerts go to ${slo.alertPolicy.targets
                .map(t => `${t.name} (${t.target})`)
                .join(', ')}`
            : ''
        }`}
        action={
          <Box display="flex" alignItems="center">
            {slo.sourceType?.toLocaleLowerCase('en-US') === 'prometheus' && (
              <DownloadRulesButton slo={slo} />
            )}
            <ToggleButtonGroup
              size="small"
              exclusive
              value={window}
              onChange={(_e, v) => v && setWindow(v)}
              aria-label="burn rate window"
            >
              {BURN_RATE_WINDOWS.map(w => (
                <ToggleButton
                  key={w}
                  value={w}
                  aria-label={`burn rate over ${w}`}
                  sx={{ textTransform: 'none' }}
                >
                  {w}
                </ToggleButton>
              ))}
            </ToggleButtonGroup>
          </Box>
        }
      />
      <CardContent>
        {loading && (
          <Box display="flex" justifyContent="center" p={4}>
            <CircularProgress aria-label="loading history" />
          </Box>
        )}
        {error && (
          <Alert severity="error">
            Could not load the history of {slo.title}: {errorMessage(error)}
          </Alert>
        )}
        {value && value.points.length === 0 && (
          <Alert severity="info">{noDataHint(slo)}</Alert>
        )}
        {value && value.points.length > 0 && (
          <Grid container spacing={2}>
            <Grid item xs={12} md={6}>
              <BudgetChart history={value} changes={changes} />
            </Grid>
            <Grid item xs={12} md={6}>
              <BurnChart history={value} changes={changes} />
            </Grid>
          </Grid>
        )}
        {value?.exclusions?.length ? (
          <Typography
            variant="caption"
            color="text.secondary"
            component="p"
            data-testid="exclusions-note"
          >
            Shaded: {value.exclusions.length} excluded range
            {value.exclusions.length === 1 ? '' : 's'} (
            {[...new Set(value.exclusions.map(x => x.reason))].join('; ')}),
            left out of the budget.
          </Typography>
        ) : null}
        <Button
          size="small"
          onClick={() => setShowCorrections(v => !v)}
          aria-expanded={showCorrections}
        >
          {showCorrections ? 'Hide budget corrections' : 'Budget corrections'}
        </Button>
        {showCorrections && (
          <CorrectionsPanel
            slo={slo}
            onChange={() => setTimeout(() => setVersion(v => v + 1), 0)}
          />
        )}
      </CardContent>
    </Card>
  );
}
