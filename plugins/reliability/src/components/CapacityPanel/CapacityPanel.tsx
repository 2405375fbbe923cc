import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Grid from '@mui/material/Grid';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { useApi } from '@backstage/core-plugin-api';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { CapacityRun } from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { dateFormat } from '../../util/dates';
import { ChartBox } from '../../util/ChartBox';

const day = dateFormat({ month: 'short', day: 'numeric', year: '2-digit' });
const VERDICT_COLOR = {
  pass: 'success',
  fail: 'error',
  unknown: 'default',
} as const;

/** The trend over runs: throughput (max RPS, else the average) and CPU on one chart, p95 and errors on the other. */
function Trend({
  runs,
  targetMs,
  peakRps,
}: {
  runs: CapacityRun[];
  targetMs: number | null;
  peakRps: number | null;
}) {
  const theme = useTheme();
  const data = [...runs].reverse().map(r => ({
    t: Date.parse(r.startedAt),
    rps: r.maxRps ?? r.rps,
    p95: r.p95Ms,
    errors: Number((r.errorRate * 100).toFixed(3)),
    cpu: r.cpuPercent,
  }));
  const axis = (
    <XAxis
      dataKey="t"
      type="number"
      scale="time"
      domain={['dataMin', 'dataMax']}
      tickFormatter={t => day(Number(t))}
      padding={{ left: 16, right: 16 }}
    />
  );
  return (
    <Grid container spacing={2} data-testid="capacity-trend">
      <Grid item xs={12} md={6}>
        <Typography variant="subtitle2">Throughput and CPU per run</Typography>
        <ChartBox height={220}>
          <LineChart
            data={data}
            margin={{ top: 16, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" />
            {axis}
            <YAxis yAxisId="rps" width={56} tickFormatter={v => `${v}`} />
            <YAxis yAxisId="cpu" orientation="right" width={40} unit="%" />
            <Tooltip labelFormatter={v => day(Number(v))} />
            <Legend />
            {peakRps !== null && (
              <ReferenceLine
                yAxisId="rps"
                y={2 * peakRps}
                stroke={theme.palette.error.main}
                strokeDasharray="6 3"
                label={{
                  value: '2x daily peak',
                  position: 'insideTopRight',
                  fontSize: 10,
                }}
              />
            )}
            <Line
              yAxisId="rps"
              name="max RPS"
              dataKey="rps"
              stroke={theme.palette.primary.main}
              isAnimationActive={false}
            />
            <Line
              yAxisId="cpu"
              name="CPU %"
              dataKey="cpu"
              stroke={theme.palette.warning.main}
              isAnimationActive={false}
              connectNulls
            />
          </LineChart>
        </ChartBox>
      </Grid>
      <Grid item xs={12} md={6}>
        <Typography variant="subtitle2">
          p95 latency and error rate per run
        </Typography>
        <ChartBox height={220}>
          <LineChart
            data={data}
            margin={{ top: 16, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" />
            {axis}
            <YAxis yAxisId="ms" width={56} unit=" ms" />
            <YAxis yAxisId="err" orientation="right" width={48} unit="%" />
            <Tooltip labelFormatter={v => day(Number(v))} />
            <Legend />
            {targetMs !== null && (
              <ReferenceLine
                yAxisId="ms"
                y={targetMs}
                stroke={theme.palette.error.main}
                strokeDasharray="6 3"
                label={{
                  value: `SLO ${targetMs} ms`,
                  position: 'insideTopRight',
                  fontSize: 10,
                }}
              />
            )}
            <Line
              yAxisId="ms"
              name="p95 ms"
              dataKey="p95"
              stroke={theme.palette.secondary.main}
              isAnimationActive={false}
            />
            <Line
              yAxisId="err"
              name="errors %"
              dataKey="errors"
              stroke={theme.palette.error.main}
              isAnimationActive={false}
            />
          </LineChart>
        </ChartBox>
      </Grid>
    </Grid>
  );
}

/** Load tests on the entity's Reliability tab: the capacity trend, the headroom against the capacity rule (p95 within the latency target), the runs. @public */
export function CapacityPanel({ entityRef }: { entityRef: string }) {
  const api = useApi(reliabilityApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listCapacityRuns(entityRef),
    [api, entityRef],
  );
  const rps = (n: number) => (n >= 100 ? Math.round(n) : Number(n.toFixed(1)));
  return (
    <Card variant="outlined" data-testid="capacity-panel" id="capacity-panel">
      <CardHeader
        title="Capacity and load tests"
        subheader={
          value
            ? `${
                value.targetMs !== null
                  ? `Latency SLO p95 ${value.targetMs} ms`
                  : 'No latency SLO (reliability.io/latency-p95)'
              } · ${
                value.peakRps !== null
                  ? `daily peak ${rps(
                      value.peakRps,
                    )} RPS (busiest minute of the SLI traffic, 7 days)`
                  : 'no SLI traffic to size the peak'
              }`
            : undefined
        }
      />
      <CardContent>
        {loading && !value && (
          <CircularProgress size={20} aria-label="loading load tests" />
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
            Could not load the load tests: {errorMessage(error)}
          </Alert>
        )}
        {value?.targetProblem && (
          <Alert severity="warning" sx={{ mb: 1 }}>
            {value.targetProblem}
          </Alert>
        )}
        {value?.warnings.map(w => (
          <Alert
            key={w.code}
            severity="warning"
            sx={{ mb: 1 }}
            data-testid={`capacity-warning-${w.code}`}
          >
            {w.message}
          </Alert>
        ))}
        {value && value.items.length === 0 && (
          <Typography variant="body2" data-testid="capacity-empty">
            No load tests yet. Post k6 end-of-test summaries from CI to{' '}
            <code>POST /api/reliability/capacity/runs</code> (see the README).
          </Typography>
        )}
        {value && value.items.length > 0 && (
          <>
            <Trend
              runs={value.items}
              targetMs={value.targetMs}
              peakRps={value.peakRps}
            />
            <Box sx={{ mt: 2 }}>
              <Table size="small" aria-label="load tests">
                <TableHead>
                  <TableRow>
                    <TableCell>When</TableCell>
                    <TableCell>Test</TableCell>
                    <TableCell>Commit</TableCell>
                    <TableCell align="right">Max RPS</TableCell>
                    <TableCell align="right">p95</TableCell>
                    <TableCell align="right">Errors</TableCell>
                    <TableCell align="right">CPU</TableCell>
                    <TableCell>Verdict</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {value.items.map(r => (
                    <TableRow key={r.id} data-testid={`capacity-row-${r.id}`}>
                      <TableCell>{day(Date.parse(r.startedAt))}</TableCell>
                      <TableCell>{r.testType}</TableCell>
                      <TableCell>
                        <code>{r.commit.slice(0, 12)}</code>
                      </TableCell>
                      <TableCell align="right">
                        {rps(r.maxRps ?? r.rps)}
                      </TableCell>
                      <TableCell align="right">
                        {Math.round(r.p95Ms)} ms
                      </TableCell>
                      <TableCell align="right">
                        {(r.errorRate * 100).toFixed(2)}%
                      </TableCell>
                      <TableCell align="right">
                        {r.cpuPercent === null
                          ? '—'
                          : `${Math.round(r.cpuPercent)}%`}
                      </TableCell>
                      <TableCell title={r.reason}>
                        <Chip
                          size="small"
                          label={r.verdict}
                          color={VERDICT_COLOR[r.verdict]}
                        />
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </Box>
          </>
        )}
      </CardContent>
    </Card>
  );
}
