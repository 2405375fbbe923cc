import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import { Chip } from '../../util/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import { Link } from '@backstage/core-components';
import type {
  ChaosExpectationOutcome,
  ChaosExperimentRecord,
  ChaosRun,
  ChaosRunState,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { dateFormat } from '../../util/dates';
import { legibleText } from '../../util/legibility';

const when = dateFormat({
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

const RUN_COLOR: Record<
  ChaosRunState,
  'default' | 'info' | 'warning' | 'success' | 'error'
> = {
  starting: 'info',
  running: 'warning',
  completed: 'success',
  aborted: 'error',
  refused: 'error',
};

const OUTCOME: Record<
  ChaosExpectationOutcome,
  { label: string; color: 'success' | 'error' | 'default' }
> = {
  met: { label: 'met', color: 'success' },
  'not-met': { label: 'not met', color: 'error' },
  unknown: { label: 'unknown', color: 'default' },
};

/** A run's checked expectations with their evidence, its follow-up's action items and the incident it is linked to. */
function RunExpectations({ run }: { run: ChaosRun }) {
  const results = run.expectations ?? [];
  const followUp = run.followUp ?? [];
  if (!results.length && !followUp.length && !run.incidentId) return null;
  return (
    <Box data-testid={`chaos-run-${run.id}-expectations`} sx={{ pl: 2 }}>
      {results.length > 0 && (
        <Table size="small" aria-label={`expectations of run ${run.id}`}>
          <TableBody>
            {results.map(r => (
              <TableRow key={r.index}>
                <TableCell>
                  <Chip
                    size="small"
                    variant="outlined"
                    label={OUTCOME[r.outcome].label}
                    color={OUTCOME[r.outcome].color}
                  />
                </TableCell>
                <TableCell>
                  <Typography variant="body2">Expected {r.expected}</Typography>
                  <Typography variant="caption" component="div">
                    {r.evidence.summary}
                  </Typography>
                  {r.evidence.query && (
                    <Typography variant="caption" component="div">
                      Query <code>{r.evidence.query}</code>
                    </Typography>
                  )}
                  {(r.evidence.links ?? []).map(l => (
                    <Link key={l.url} to={l.url}>
                      {l.title}
                    </Link>
                  ))}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {followUp.length > 0 && (
        <Box aria-label={`follow-up of run ${run.id}`} role="list">
          <Typography variant="subtitle2">Follow-up</Typography>
          {followUp.map(i => (
            <Typography
              key={i.expectation}
              role="listitem"
              variant="body2"
              color={legibleText('error')}
            >
              {i.title} ({i.owner}, due {i.due})
            </Typography>
          ))}
        </Box>
      )}
      {run.incidentId ? (
        <Typography variant="caption">
          Linked to{' '}
          <Link
            to={`/reliability/incidents/${run.incidentId}`}
            underline="always"
          >
            incident #{run.incidentId}
          </Link>
          {followUp.length ? ': its review holds these action items' : ''}
        </Typography>
      ) : null}
    </Box>
  );
}

/** How many runs the tab shows per experiment (newest first). */
export const RUNS_SHOWN = 5;

/**
 * An experiment's schedule and run history: its next scheduled start (UTC), whether its environment keeps
 * scheduled starts off, and its last runs, refused scheduled starts with their reason.
 */
export function ChaosRuns({
  experiment: e,
}: {
  experiment: ChaosExperimentRecord;
}) {
  const api = useApi(reliabilityApiRef);
  const { value, error } = useAsyncRetry(
    () => api.listChaosRuns(e.id, { limit: RUNS_SHOWN }),
    [api, e.id, e.state, e.updatedAt],
  );
  const schedule = e.experiment.schedule;
  const cron = schedule?.type === 'cron' ? schedule.cron : undefined;
  if (error)
    return (
      <Alert severity="warning">
        Run history unavailable: {errorMessage(error)}
      </Alert>
    );
  if (!value) return null;
  return (
    <Box data-testid={`chaos-runs-${e.name}`}>
      {cron && (
        <Typography variant="body2">
          Schedule <code>{cron}</code> (UTC):{' '}
          {value.nextRunAt
            ? `next run ${when(value.nextRunAt)} UTC`
            : `no next run while it is ${e.state}`}
        </Typography>
      )}
      {value.scheduleBlocked && (
        <Alert severity="warning">
          Scheduled starts are refused: {value.scheduleBlocked}
        </Alert>
      )}
      {value.items.length > 0 && (
        <Table size="small" aria-label={`runs of ${e.name}`}>
          <TableHead>
            <TableRow>
              <TableCell>Run</TableCell>
              <TableCell>State</TableCell>
              <TableCell>Why</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {value.items.flatMap(r => [
              <TableRow key={r.id}>
                <TableCell>
                  {r.trigger === 'schedule' ? 'Scheduled' : 'Manual'}{' '}
                  {when(r.scheduledFor ?? r.startedAt ?? r.finishedAt ?? 0)} UTC
                  {r.endsAt && r.state === 'running'
                    ? `, ends ${when(r.endsAt)} UTC`
                    : ''}
                </TableCell>
                <TableCell>
                  <Chip
                    size="small"
                    label={r.state}
                    color={RUN_COLOR[r.state]}
                  />
                </TableCell>
                <TableCell>
                  <Typography
                    variant="caption"
                    color={
                      r.state === 'refused' ? legibleText('error') : undefined
                    }
                  >
                    {r.reason ?? ''}
                  </Typography>
                </TableCell>
              </TableRow>,
              r.expectations?.length || r.followUp?.length || r.incidentId ? (
                <TableRow key={`${r.id}-expectations`}>
                  <TableCell colSpan={3}>
                    <RunExpectations run={r} />
                  </TableCell>
                </TableRow>
              ) : null,
            ])}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}
