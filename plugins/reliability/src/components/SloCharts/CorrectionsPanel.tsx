import { FormEvent, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import CircularProgress from '@mui/material/CircularProgress';
import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import {
  SloCorrection,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { dateFormat } from '../../util/dates';

/** A datetime-local value (the browser's local time) as an ISO instant. */
const toIso = (local: string) => new Date(local).toISOString();
const when = dateFormat({
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

function describe(c: SloCorrection): string {
  if (c.kind === 'once') return `${when(c.start)} to ${when(c.end!)}`;
  return `every "${c.cron}" (${c.timeZone}) for ${c.duration}, from ${when(
    c.start,
  )}${c.end ? ` until ${when(c.end)}` : ''}`;
}

/**
 * An SLO's budget corrections: the ranges left out of its budget (planned maintenance, a dependency's incident), who
 * asked and why; a form to add one (a range, or a recurring window: cron, duration, time zone) and a revert button.
 * They apply from the next evaluation (within a minute).
 */
export function CorrectionsPanel({
  slo,
  onChange,
}: {
  slo: SloSummary;
  onChange: () => void;
}) {
  const api = useApi(reliabilityApiRef);
  const list = useAsyncRetry(
    () => api.listCorrections(slo.ref),
    [api, slo.ref],
  );
  const [reason, setReason] = useState('');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [recurring, setRecurring] = useState(false);
  const [cron, setCron] = useState('0 2 * * 0');
  const [duration, setDuration] = useState('2h');
  const [timeZone, setTimeZone] = useState(
    () => new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      if (!start) throw new Error('start: is required');
      const body = recurring
        ? {
            reason,
            start: toIso(start),
            cron,
            duration,
            timeZone,
            ...(end ? { end: toIso(end) } : {}),
          }
        : { reason, start: toIso(start), ...(end ? { end: toIso(end) } : {}) };
      await api.createCorrection(slo.ref, body);
      setDone(
        'Excluded from the budget from the next evaluation (within a minute).',
      );
      setReason('');
      list.retry();
      onChange();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const revert = async (c: SloCorrection) => {
    setError(undefined);
    setDone(undefined);
    try {
      await api.revertCorrection(slo.ref, c.id);
      setDone('Reverted: the range counts again from the next evaluation.');
      list.retry();
      onChange();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <Box data-testid={`corrections-${slo.name}`} mt={2}>
      <Typography variant="subtitle2">Budget corrections</Typography>
      <Typography variant="caption" color="text.secondary" component="p">
        Events in an excluded range count neither as good nor as bad. Only the
        entity's owners may add or revert one; every change is audited.
      </Typography>
      {list.loading && (
        <CircularProgress size={20} aria-label="loading corrections" />
      )}
      {list.error && (
        <Alert severity="error">
          Could not load the corrections: {errorMessage(list.error)}
        </Alert>
      )}
      {list.value && list.value.items.length === 0 && (
        <Typography variant="body2">
          No corrections: every event counts.
        </Typography>
      )}
      {list.value && list.value.items.length > 0 && (
        <Table size="small" aria-label="budget corrections">
          <TableHead>
            <TableRow>
              <TableCell>Excluded</TableCell>
              <TableCell>Reason</TableCell>
              <TableCell>By</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {list.value.items.map(c => (
              <TableRow
                key={c.id}
                data-testid={`correction-${c.id}`}
                sx={{ opacity: c.revertedAt ? 0.6 : 1 }}
              >
                <TableCell>{describe(c)}</TableCell>
                <TableCell>{c.reason}</TableCell>
                <TableCell>
                  {c.createdBy}
                  {c.revertedAt && (
                    <Typography variant="caption" component="div">
                      reverted by {c.revertedBy} on {when(c.revertedAt)}
                    </Typography>
                  )}
                </TableCell>
                <TableCell align="right">
                  {!c.revertedAt && (
                    <Button
                      size="small"
                      onClick={() => revert(c)}
                      aria-label={`revert correction: ${c.reason}`}
                    >
                      Revert
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Box
        component="form"
        onSubmit={submit}
        mt={1}
        aria-label="exclude a time range"
      >
        <Stack
          direction={{ xs: 'column', md: 'row' }}
          spacing={1}
          alignItems={{ md: 'center' }}
        >
          <TextField
            size="small"
            label="Reason"
            value={reason}
            onChange={e => setReason(e.target.value)}
            required
            inputProps={{ maxLength: 500 }}
            sx={{ minWidth: 220 }}
          />
          <TextField
            size="small"
            label={recurring ? 'From' : 'Start'}
            type="datetime-local"
            value={start}
            onChange={e => setStart(e.target.value)}
            InputLabelProps={{ shrink: true }}
          />
          <TextField
            size="small"
            label={recurring ? 'Until (optional)' : 'End'}
            type="datetime-local"
            value={end}
            onChange={e => setEnd(e.target.value)}
            InputLabelProps={{ shrink: true }}
          />
          <FormControlLabel
            control={
              <Checkbox
                checked={recurring}
                onChange={e => setRecurring(e.target.checked)}
              />
            }
            label="Recurring"
          />
          {recurring && (
            <>
              <TextField
                size="small"
                label="Cron (starts)"
                value={cron}
                onChange={e => setCron(e.target.value)}
                helperText="minute hour day month weekday"
              />
              <TextField
                size="small"
                label="Duration"
                value={duration}
                onChange={e => setDuration(e.target.value)}
                sx={{ width: 100 }}
              />
              <TextField
                size="small"
                label="Time zone"
                value={timeZone}
                onChange={e => setTimeZone(e.target.value)}
                sx={{ width: 160 }}
              />
            </>
          )}
          <Button type="submit" variant="outlined" disabled={busy}>
            Exclude
          </Button>
        </Stack>
      </Box>
      {error && (
        <Alert severity="error" sx={{ mt: 1 }}>
          {error}
        </Alert>
      )}
      {done && (
        <Alert severity="success" sx={{ mt: 1 }}>
          {done}
        </Alert>
      )}
    </Box>
  );
}
