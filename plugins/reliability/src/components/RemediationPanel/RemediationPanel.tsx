import { useState } from 'react';
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
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Line,
  LineChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useApi } from '@backstage/core-plugin-api';
import type {
  RemediationExecution,
  RemediationRuleSummary,
} from '@reliability-suite/plugin-reliability-common';
import {
  formatMs,
  formatPercent,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { ChartBox } from '../../util/ChartBox';

const STATE_COLOR: Record<
  string,
  'success' | 'error' | 'warning' | 'default' | 'info'
> = {
  succeeded: 'success',
  failed: 'error',
  escalated: 'error',
  interrupted: 'warning',
  skipped: 'default',
  dry_run: 'info',
  queued: 'info',
  running: 'info',
};

/** The alert shown after a run, by the execution's state (any other: a warning). */
const RUN_SEVERITY: Record<string, 'success' | 'error' | 'info' | undefined> = {
  succeeded: 'success',
  dry_run: 'info',
  failed: 'error',
  escalated: 'error',
};
const pct = (v: number | null) => formatPercent(v, 0);
const ms = formatMs;

/** Executions per hour (succeeded vs not) and each success's latency, oldest first. */
function chartData(items: RemediationExecution[]) {
  const byHour = new Map<
    string,
    { hour: string; succeeded: number; failed: number }
  >();
  for (const i of [...items].reverse()) {
    if (!['succeeded', 'failed', 'escalated', 'interrupted'].includes(i.state))
      continue;
    const hour = `${i.createdAt.slice(5, 13).replace('T', ' ')}h`;
    const b = byHour.get(hour) ?? { hour, succeeded: 0, failed: 0 };
    if (i.state === 'succeeded') b.succeeded++;
    else b.failed++;
    byHour.set(hour, b);
  }
  const latency = [...items]
    .reverse()
    .filter(i => i.latencyMs !== null)
    .map(i => ({ id: `#${i.id}`, latency: i.latencyMs }));
  return { outcomes: [...byHour.values()], latency };
}

function RuleRow({
  rule,
  onRan,
}: {
  rule: RemediationRuleSummary;
  onRan: () => void;
}) {
  const api = useApi(reliabilityApiRef);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<
    | { severity: 'success' | 'error' | 'info' | 'warning'; text: string }
    | undefined
  >();
  const run = async (dryRun: boolean) => {
    setBusy(true);
    setResult(undefined);
    try {
      const e = await api.runRemediation(rule.id, { dryRun });
      const severity = RUN_SEVERITY[e.state] ?? 'warning';
      setResult({ severity, text: `#${e.id} ${e.state}: ${e.detail ?? ''}` });
      onRan();
    } catch (err) {
      setResult({ severity: 'error', text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <TableRow data-testid={`remediation-rule-${rule.id}`}>
      <TableCell>
        <Typography variant="subtitle2">{rule.id}</Typography>
        <Typography variant="body2" color="text.secondary">
          {rule.description}
        </Typography>
        {result && (
          <Alert
            severity={result.severity}
            sx={{ mt: 1 }}
            data-testid="remediation-result"
          >
            {result.text}
          </Alert>
        )}
      </TableCell>
      <TableCell>
        {rule.match.length
          ? rule.match.map(m => (
              <Chip key={m} size="small" label={m} sx={{ mr: 0.5, mb: 0.5 }} />
            ))
          : 'any alert'}
      </TableCell>
      <TableCell>
        <code>{rule.lockKey}</code>
        <Typography variant="caption" display="block" color="text.secondary">
          cooldown {rule.cooldown}; at most {rule.maxAttempts} attempts /{' '}
          {rule.attemptWindow}; triggers: {rule.triggers.join(', ')}
        </Typography>
      </TableCell>
      <TableCell align="right">
        <Stack direction="row" spacing={1} justifyContent="flex-end">
          <Button
            size="small"
            variant="outlined"
            disabled={busy}
            onClick={() => run(true)}
          >
            Dry run
          </Button>
          <Button
            size="small"
            variant="contained"
            color="warning"
            disabled={busy || !rule.triggers.includes('manual')}
            onClick={() => run(false)}
          >
            Run now
          </Button>
        </Stack>
      </TableCell>
    </TableRow>
  );
}

/** Self-healing on the entity's Reliability tab: its rules (with Run now and dry run), outcomes and history. @public */
export function RemediationPanel({ entityRef }: { entityRef: string }) {
  const api = useApi(reliabilityApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listRemediations(entityRef),
    [api, entityRef],
  );

  if (loading && !value) {
    return (
      <Box
        display="flex"
        alignItems="center"
        gap={2}
        p={2}
        data-testid="remediation-loading"
      >
        <CircularProgress size={20} aria-label="loading remediations" />
        <Typography>Loading self-healing…</Typography>
      </Box>
    );
  }
  if (error) {
    return (
      <Alert
        severity="error"
        data-testid="remediation-error"
        action={
          <Button color="inherit" size="small" onClick={retry}>
            Retry
          </Button>
        }
      >
        Could not load the self-healing history: {errorMessage(error)}
      </Alert>
    );
  }
  if (!value || (value.rules.length === 0 && value.items.length === 0)) {
    return (
      <Card variant="outlined" data-testid="remediation-empty">
        <CardHeader title="Self-healing" />
        <CardContent>
          <Typography variant="body2">
            No remediation rules for this entity. Add one under{' '}
            <code>reliability.remediation.rules</code> in app-config (entityRef,
            match, action, params, lockKey, cooldown, maxAttempts); see the
            plugin README.
          </Typography>
        </CardContent>
      </Card>
    );
  }
  const { summary } = value;
  const data = chartData(value.items);
  return (
    <Card
      variant="outlined"
      data-testid="remediation-panel"
      id="remediation-panel"
    >
      <CardHeader
        title="Self-healing"
        subheader={`${summary.executions} executions · success ${pct(
          summary.successRate,
        )} · p50 ${ms(summary.latencyP50Ms)} · p95 ${ms(
          summary.latencyP95Ms,
        )} · ${summary.deduplicated} duplicate triggers dropped`}
        action={
          <Button size="small" onClick={retry}>
            Refresh
          </Button>
        }
      />
      <CardContent>
        {(value.escalations ?? []).map(e => (
          <Alert
            key={e.id}
            severity="error"
            sx={{ mb: 1 }}
            data-testid={`remediation-escalation-${e.ruleId}`}
          >
            {e.ruleId} escalated: {e.attempts} attempts in {e.attemptWindow}{' '}
            reached its limit
            {e.executionId !== null ? ` (execution #${e.executionId})` : ''}; a
            human needs to look. It closes when the rule next succeeds.
          </Alert>
        ))}
        {value.rules.length > 0 && (
          <Table size="small" aria-label="remediation rules">
            <TableHead>
              <TableRow>
                <TableCell>Rule</TableCell>
                <TableCell>When (matchers)</TableCell>
                <TableCell>Safety</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {value.rules.map(r => (
                <RuleRow key={r.id} rule={r} onRan={retry} />
              ))}
            </TableBody>
          </Table>
        )}
        {value.items.length > 0 && (
          <>
            <Stack
              direction={{ xs: 'column', md: 'row' }}
              spacing={2}
              sx={{ my: 2 }}
            >
              <Box
                flex={1}
                height={140}
                data-testid="remediation-outcomes-chart"
              >
                <Typography variant="caption">Outcomes per hour</Typography>
                <ChartBox height="85%">
                  <BarChart data={data.outcomes}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="hour" fontSize={10} />
                    <YAxis allowDecimals={false} fontSize={10} width={24} />
                    <Tooltip />
                    <Bar dataKey="succeeded" stackId="a" fill="#2e7d32" />
                    <Bar dataKey="failed" stackId="a" fill="#d32f2f" />
                  </BarChart>
                </ChartBox>
              </Box>
              <Box
                flex={1}
                height={140}
                data-testid="remediation-latency-chart"
              >
                <Typography variant="caption">
                  Trigger to fix delivered (ms)
                </Typography>
                <ChartBox height="85%">
                  <LineChart data={data.latency}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="id" fontSize={10} />
                    <YAxis fontSize={10} width={36} />
                    <Tooltip />
                    <Line
                      dataKey="latency"
                      stroke="#1565c0"
                      dot={false}
                      isAnimationActive={false}
                    />
                  </LineChart>
                </ChartBox>
              </Box>
            </Stack>
            <Table size="small" aria-label="remediation history">
              <TableHead>
                <TableRow>
                  <TableCell>When</TableCell>
                  <TableCell>Trigger</TableCell>
                  <TableCell>Rule / action</TableCell>
                  <TableCell>Outcome</TableCell>
                  <TableCell align="right">Latency</TableCell>
                  <TableCell>Who</TableCell>
                  <TableCell>Detail</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {value.items.map(i => (
                  <TableRow
                    key={i.id}
                    data-testid={`remediation-execution-${i.id}`}
                  >
                    <TableCell>
                      {new Date(i.createdAt).toLocaleString()}
                    </TableCell>
                    <TableCell>
                      {i.trigger}
                      {i.triggerLabels.alertname
                        ? ` · ${i.triggerLabels.alertname}`
                        : ''}
                      {i.duplicates > 0 && (
                        <Chip
                          size="small"
                          label={`+${i.duplicates} deduplicated`}
                          sx={{ ml: 0.5 }}
                        />
                      )}
                    </TableCell>
                    <TableCell>
                      {i.ruleId}
                      <Typography
                        variant="caption"
                        display="block"
                        color="text.secondary"
                      >
                        {i.target}
                      </Typography>
                    </TableCell>
                    <TableCell>
                      <Chip
                        size="small"
                        color={STATE_COLOR[i.state] ?? 'default'}
                        label={i.state.replace('_', ' ')}
                      />
                      <Typography variant="caption" display="block">
                        {i.attempts.length} attempt
                        {i.attempts.length === 1 ? '' : 's'}
                      </Typography>
                    </TableCell>
                    <TableCell align="right">{ms(i.latencyMs)}</TableCell>
                    <TableCell>{i.actor ?? 'automatic'}</TableCell>
                    <TableCell sx={{ maxWidth: 360 }}>
                      <Typography variant="body2">{i.detail}</Typography>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </>
        )}
      </CardContent>
    </Card>
  );
}
