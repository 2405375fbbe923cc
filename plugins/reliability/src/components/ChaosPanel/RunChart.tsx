import useAsync from 'react-use/esm/useAsync';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { useApi } from '@backstage/core-plugin-api';
import { CartesianGrid, Line, LineChart, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChaosExperimentRecord, formatBurn } from '@internal/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';

const MIN = 60_000;
const time = (t: number) => new Date(t).toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit' });

/**
 * The window a run's chart shows: the run, with as much again on each side (at least 10 minutes), so the burn
 * before the start and after the end shows too (what is still to come stays empty). A running experiment ends now.
 */
export function runWindow(e: Pick<ChaosExperimentRecord, 'startedAt' | 'finishedAt'>, now: number): { from: number; to: number; start: number; end: number } | null {
  if (!e.startedAt) return null;
  const start = Date.parse(e.startedAt);
  const end = e.finishedAt ? Date.parse(e.finishedAt) : now;
  const pad = Math.max(10 * MIN, end - start);
  return { from: Math.floor((start - pad) / MIN) * MIN, to: Math.ceil((end + pad) / MIN) * MIN, start, end };
}

/**
 * One run of an experiment: its steady-state SLO's burn rate over 5 minutes, with the run window shaded and, when
 * it was aborted, the abort moment marked.
 */
export function RunChart({ experiment: e }: { experiment: ChaosExperimentRecord }) {
  const api = useApi(reliabilityApiRef);
  const theme = useTheme();
  const slo = e.experiment.steadyState.slo;
  const w = runWindow(e, Date.now());
  const { value, loading, error } = useAsync(
    async () => (w ? api.getHistory(slo, { window: '5m', points: 240, from: new Date(w.from).toISOString(), to: new Date(Math.min(w.to, Date.now())).toISOString() }) : undefined),
    [api, slo, e.startedAt, e.finishedAt],
  );
  if (!w) return null;
  const aborted = e.state === 'aborted' && e.finishedAt ? Date.parse(e.finishedAt) : null;
  return (
    <Box data-testid={`chaos-run-chart-${e.name}`} sx={{ mt: 1 }}>
      <Typography variant="subtitle2">
        {slo}: burn rate over 5m during the run ({time(w.start)}–{e.finishedAt ? time(w.end) : 'now'})
      </Typography>
      {loading && <CircularProgress size={20} aria-label="loading the run's burn rate" />}
      {error && <Alert severity="error">Could not load the burn rate of {slo}: {errorMessage(error)}</Alert>}
      {value && value.points.every(p => p.burnRate === null) && <Alert severity="info">No SLI data for {slo} around this run.</Alert>}
      {value && value.points.some(p => p.burnRate !== null) && (
        <ResponsiveContainer width="100%" height={200}>
          <LineChart data={value.points.map(p => ({ t: p.t, burn: p.burnRate }))} margin={{ top: 16, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" scale="time" domain={[w.from, w.to]} allowDataOverflow tickFormatter={time} />
            <YAxis domain={[0, (max: number) => Math.max(2, Math.ceil(max))]} width={40} tickFormatter={v => `${v}x`} />
            <Tooltip labelFormatter={v => time(Number(v))} formatter={(v: any) => [formatBurn(Number(v)), 'burn rate']} />
            <ReferenceArea x1={w.start} x2={w.end} ifOverflow="hidden" fill={theme.palette.warning.light} fillOpacity={0.25} label={{ value: 'run', position: 'insideTopLeft', fontSize: 10 }} />
            <ReferenceLine y={1} stroke={theme.palette.text.secondary} strokeDasharray="4 2" />
            {aborted !== null && <ReferenceLine x={aborted} ifOverflow="extendDomain" stroke={theme.palette.error.main} strokeWidth={2} label={{ value: 'aborted', position: 'top', fontSize: 10, fill: theme.palette.error.main }} />}
            <Line type="linear" dataKey="burn" stroke={theme.palette.secondary.main} dot={false} isAnimationActive={false} connectNulls={false} />
          </LineChart>
        </ResponsiveContainer>
      )}
    </Box>
  );
}
