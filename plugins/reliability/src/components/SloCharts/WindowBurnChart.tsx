import { useMemo } from 'react';
import useAsync from 'react-use/esm/useAsync';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
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
} from 'recharts';
import { formatBurn } from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { dateFormat } from '../../util/dates';
import { ChartBox } from '../../util/ChartBox';

const dayOf = dateFormat({ month: 'short', day: 'numeric' });
const hourOf = dateFormat({ hour: '2-digit', minute: '2-digit' });

const DAY = 86_400_000;
const label = (span: number) => (t: number) =>
  span > 2 * DAY ? dayOf(t) : hourOf(t);

/**
 * An SLO's 5-minute burn rate over [from, to], with a window of interest shaded (a chaos run, a failover drill)
 * and, optionally, one moment marked (the abort). What is still to come stays empty.
 */
export function WindowBurnChart(props: {
  sloRef: string;
  from: number;
  to: number;
  shade: { start: number; end: number; label: string };
  marker?: { t: number; label: string };
  title: string;
  testId: string;
}) {
  const { sloRef, from, to, shade, marker } = props;
  const api = useApi(reliabilityApiRef);
  const theme = useTheme();
  // asked once per window: a window reaching into the future is read up to now
  const queryTo = useMemo(() => Math.min(to, Date.now()), [to]);
  const { value, loading, error } = useAsync(
    async () =>
      queryTo > from
        ? api.getHistory(sloRef, {
            window: '5m',
            points: 240,
            from: new Date(from).toISOString(),
            to: new Date(queryTo).toISOString(),
          })
        : undefined,
    [api, sloRef, from, queryTo],
  );
  const time = label(to - from);
  return (
    <Box data-testid={props.testId} sx={{ mt: 1 }}>
      <Typography variant="subtitle2">{props.title}</Typography>
      {loading && (
        <CircularProgress
          size={20}
          aria-label={`loading the burn rate of ${sloRef}`}
        />
      )}
      {error && (
        <Alert severity="error">
          Could not load the burn rate of {sloRef}: {errorMessage(error)}
        </Alert>
      )}
      {!loading &&
        !error &&
        (!value || value.points.every(p => p.burnRate === null)) && (
          <Alert severity="info">
            No SLI data for {sloRef} in this window.
          </Alert>
        )}
      {value && value.points.some(p => p.burnRate !== null) && (
        <ChartBox height={200}>
          <LineChart
            data={value.points.map(p => ({ t: p.t, burn: p.burnRate }))}
            margin={{ top: 16, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={[from, to]}
              allowDataOverflow
              tickFormatter={time}
            />
            <YAxis
              domain={[0, (max: number) => Math.max(2, Math.ceil(max))]}
              width={40}
              tickFormatter={v => `${v}x`}
            />
            <Tooltip
              labelFormatter={v => time(Number(v))}
              formatter={(v: any) => [formatBurn(Number(v)), 'burn rate']}
            />
            <ReferenceArea
              x1={shade.start}
              x2={shade.end}
              ifOverflow="hidden"
              fill={theme.palette.warning.light}
              fillOpacity={0.25}
              label={{
                value: shade.label,
                position: 'insideTopLeft',
                fontSize: 10,
              }}
            />
            <ReferenceLine
              y={1}
              stroke={theme.palette.text.secondary}
              strokeDasharray="4 2"
            />
            {marker && (
              <ReferenceLine
                x={marker.t}
                ifOverflow="extendDomain"
                stroke={theme.palette.error.main}
                strokeWidth={2}
                label={{
                  value: marker.label,
                  position: 'top',
                  fontSize: 10,
                  fill: theme.palette.error.main,
                }}
              />
            )}
            <Line
              type="linear"
              dataKey="burn"
              stroke={theme.palette.secondary.main}
              dot={false}
              isAnimationActive={false}
              connectNulls={false}
            />
          </LineChart>
        </ChartBox>
      )}
    </Box>
  );
}
