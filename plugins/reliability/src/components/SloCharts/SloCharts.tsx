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
  Tooltip,
  XAxis,
  YAxis,
  Area,
  AreaChart,
  Legend,
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
import { axisTicks, fullTime, tickFormatter } from '../../util/timeAxis';
import type { HistoryPoint } from '@reliability-suite/plugin-reliability-common';
import { ChartBox } from '../../util/ChartBox';
import { legibleOn } from '../../util/legibility';

/** Whether a point was replayed (computed from history after the fact) rather than evaluated live. */
export type IsReplayed = (point: HistoryPoint) => boolean;

/** The history response's own flag, where the backend sets one. */
export const defaultIsReplayed: IsReplayed = point =>
  (point as HistoryPoint & { replayed?: boolean }).replayed === true;

/** The time axis of a chart: round ticks and labels fit to the range (times over hours, days over weeks). */
function timeAxis(points: readonly { t: number }[], timeZone?: string) {
  const from = points[0]?.t ?? 0;
  const to = points[points.length - 1]?.t ?? 0;
  const ticks = axisTicks(from, to, { timeZone });
  return {
    ticks,
    tickFormatter: tickFormatter(ticks, to - from, timeZone),
    label: (v: unknown) => fullTime(Number(v), timeZone),
  };
}

type SeriesPoint = { t: number; live: number | null; replayed: number | null };

/**
 * Splits a series into live and replayed values (a point where the two meet is in both, so the lines join): the
 * replayed part draws dashed and lighter, with its own legend entry.
 */
function splitReplayed(
  points: readonly HistoryPoint[],
  value: (p: HistoryPoint) => number | null,
  isReplayed: IsReplayed,
) {
  let any = false;
  const data = points.map((p, i): SeriesPoint => {
    const r = isReplayed(p);
    any ||= r;
    const next = points[i + 1];
    const prev = points[i - 1];
    const v = value(p);
    return {
      t: p.t,
      live: !r || (prev && !isReplayed(prev)) ? v : null,
      replayed: r || (next && isReplayed(next)) ? v : null,
    };
  });
  return { data, anyReplayed: any };
}

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
  labelColor: string = color,
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
          // the marker's label in its colour, tinted until it reads on the paper
          fill: labelColor,
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
  isReplayed,
  timeZone,
}: {
  history: HistoryResponse;
  changes: readonly ChangeEvent[];
  isReplayed: IsReplayed;
  timeZone?: string;
}) {
  const theme = useTheme();
  const { data, anyReplayed } = splitReplayed(
    history.points,
    p => (p.budgetRemaining === null ? null : p.budgetRemaining * 100),
    isReplayed,
  );
  const axis = timeAxis(data, timeZone);
  const last = history.points[history.points.length - 1];
  const lowest = data.reduce(
    (m, p) => Math.min(m, p.live ?? Infinity, p.replayed ?? Infinity),
    0,
  );
  return (
    <Box data-testid="budget-chart">
      <Typography variant="subtitle2">Error budget remaining (%)</Typography>
      <Typography variant="caption" color="text.secondary">
        now {formatPercent(last?.budgetRemaining, 1)}; below 0% the budget is
        exhausted
      </Typography>
      <ChartBox height={240}>
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
            ticks={axis.ticks}
            tickFormatter={axis.tickFormatter}
            fontSize={11}
          />
          <YAxis
            unit="%"
            domain={[(min: number) => Math.min(0, Math.floor(min)), 100]}
            width={52}
            fontSize={11}
          />
          <Tooltip
            labelFormatter={axis.label}
            formatter={(v: any, name: any) => [
              `${Number(v).toFixed(2)}%`,
              name,
            ]}
          />
          <Legend verticalAlign="bottom" height={24} iconSize={10} />
          {lowest < 0 && (
            <ReferenceArea
              y1={Math.floor(lowest)}
              y2={0}
              fill={theme.palette.error.main}
              fillOpacity={0.08}
              className="exhausted-band"
              label={{
                value: 'exhausted',
                position: 'insideBottomLeft',
                fontSize: 10,
                fill: legibleOn(
                  theme.palette.error.main,
                  theme.palette.background.paper,
                ),
              }}
            />
          )}
          <ReferenceLine
            y={0}
            stroke={theme.palette.error.main}
            strokeWidth={1.5}
            className="zero-line"
            label={{
              value: '0%',
              position: 'insideTopRight',
              fontSize: 10,
              fill: legibleOn(
                theme.palette.error.main,
                theme.palette.background.paper,
              ),
            }}
          />
          {exclusionAreas(history, theme.palette.grey[500])}
          {changeLines(
            changes,
            history,
            theme.palette.info.main,
            legibleOn(theme.palette.info.main, theme.palette.background.paper),
          )}
          <Area
            type="monotone"
            dataKey="live"
            name="Budget remaining (%)"
            stroke={theme.palette.primary.main}
            fill={theme.palette.primary.light}
            fillOpacity={0.25}
            isAnimationActive={false}
            connectNulls={false}
          />
          {anyReplayed && (
            <Area
              type="monotone"
              dataKey="replayed"
              name="Replayed (%)"
              stroke={theme.palette.primary.main}
              strokeDasharray="5 4"
              strokeOpacity={0.6}
              fill={theme.palette.primary.light}
              fillOpacity={0.1}
              isAnimationActive={false}
              connectNulls={false}
            />
          )}
        </AreaChart>
      </ChartBox>
    </Box>
  );
}

const THRESHOLD_COLORS = ['#d32f2f', '#ef6c00', '#f9a825', '#7cb342'];

function BurnChart({
  history,
  changes,
  isReplayed,
  timeZone,
}: {
  history: HistoryResponse;
  changes: readonly ChangeEvent[];
  isReplayed: IsReplayed;
  timeZone?: string;
}) {
  const theme = useTheme();
  const { data, anyReplayed } = splitReplayed(
    history.points,
    p => p.burnRate,
    isReplayed,
  );
  const axis = timeAxis(data, timeZone);
  const peak = history.points.reduce((m, p) => Math.max(m, p.burnRate ?? 0), 0);
  return (
    <Box data-testid="burn-chart">
      <Typography variant="subtitle2">
        Burn rate over {history.burnRateWindow} (x budget)
      </Typography>
      <Typography variant="caption" color="text.secondary">
        peak {formatBurn(peak)}; lines at{' '}
        {history.thresholds.map(t => `${t.burnRate}x`).join(' / ')}
      </Typography>
      <ChartBox height={240}>
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
            ticks={axis.ticks}
            tickFormatter={axis.tickFormatter}
            fontSize={11}
          />
          <YAxis
            domain={[0, (max: number) => Math.max(16, Math.ceil(max))]}
            width={44}
            tickFormatter={v => `${v}x`}
            fontSize={11}
          />
          <Tooltip
            labelFormatter={axis.label}
            formatter={(v: any, name: any) => [formatBurn(Number(v)), name]}
          />
          <Legend verticalAlign="bottom" height={24} iconSize={10} />
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
          {changeLines(
            changes,
            history,
            theme.palette.info.main,
            legibleOn(theme.palette.info.main, theme.palette.background.paper),
          )}
          <Line
            type="linear"
            dataKey="live"
            name="Burn rate (x)"
            stroke={theme.palette.secondary.main}
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
          {anyReplayed && (
            <Line
              type="linear"
              dataKey="replayed"
              name="Replayed (x)"
              stroke={theme.palette.secondary.main}
              strokeDasharray="5 4"
              strokeOpacity={0.6}
              dot={false}
              isAnimationActive={false}
              connectNulls={false}
            />
          )}
        </LineChart>
      </ChartBox>
    </Box>
  );
}

/** Budget burn-down and burn rate charts of one SLO, with a lookback selector for the burn rate and the entity's changes marked. */
export function SloCharts({
  slo,
  changes = [],
  isReplayed = defaultIsReplayed,
  timeZone,
}: {
  slo: SloSummary;
  changes?: readonly ChangeEvent[];
  /** Which points were replayed from history (drawn dashed, with a "Replayed" legend entry). */
  isReplayed?: IsReplayed;
  /** The time zone of the axes and tooltips (IANA name); the browser's when absent. */
  timeZone?: string;
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
              <BudgetChart
                history={value}
                changes={changes}
                isReplayed={isReplayed}
                timeZone={timeZone}
              />
            </Grid>
            <Grid item xs={12} md={6}>
              <BurnChart
                history={value}
                changes={changes}
                isReplayed={isReplayed}
                timeZone={timeZone}
              />
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
