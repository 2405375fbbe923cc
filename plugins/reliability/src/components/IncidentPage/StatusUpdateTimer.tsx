import { useEffect, useState } from 'react';
import { Chip } from '../../util/Chip';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import {
  INCIDENT_CADENCE,
  Incident,
} from '@reliability-suite/plugin-reliability-common';
import { legibleText } from '../../util/legibility';

/** The cadences offered, in minutes (the API takes any whole number in INCIDENT_CADENCE's bounds). */
const CADENCES = [5, 10, 15, 20, 30, 45, 60, 90, 120].filter(
  m => m >= INCIDENT_CADENCE.min && m <= INCIDENT_CADENCE.max,
);

/** `12:04` (mm:ss), or `1:02:09` from an hour on. */
export function clock(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "next update due in 12:04", or "overdue by 3:10", at `now`. */
export function timerText(dueAt: string, now: number): string {
  const ms = Date.parse(dueAt) - now;
  return ms > 0
    ? `next update due in ${clock(ms)}`
    : `overdue by ${clock(-ms)}`;
}

/**
 * The status-update timer of an open incident: counts down to the next update its cadence asks for, then up once
 * it is overdue (every second); and the cadence, which anyone who works the incident may change.
 */
export function StatusUpdateTimer({
  incident,
  onCadence,
  now: fixedNow,
}: {
  incident: Incident;
  onCadence?: (minutes: number) => void;
  /** A fixed clock (tests); the page's own ticks every second. */
  now?: number;
}) {
  const [tick, setTick] = useState(() => Date.now());
  useEffect(() => {
    if (fixedNow !== undefined) return undefined;
    const t = setInterval(() => setTick(Date.now()), 1000);
    return () => clearInterval(t);
  }, [fixedNow]);
  const now = fixedNow ?? tick;
  const due = incident.nextUpdateDueAt;
  if (!due) return null;
  const overdue = Date.parse(due) <= now;
  const cadence = incident.updateCadenceMinutes ?? INCIDENT_CADENCE.default;
  const options = [...new Set([...CADENCES, cadence])].sort((a, b) => a - b);
  return (
    <Stack
      direction="row"
      spacing={1}
      alignItems="center"
      sx={{ mb: 2 }}
      data-testid="status-update-timer"
    >
      <Chip
        color={overdue ? 'error' : 'default'}
        label={timerText(due, now)}
        role="timer"
        aria-live="off"
      />
      {incident.updateOverdue && (
        <Typography variant="caption" color={legibleText('error')}>
          {incident.roles.comms ? 'Comms' : 'the Incident Commander'} was told
        </Typography>
      )}
      <TextField
        select
        size="small"
        label="Update every"
        value={cadence}
        disabled={!onCadence}
        onChange={e => onCadence?.(Number(e.target.value))}
        sx={{ minWidth: 140 }}
        SelectProps={{ inputProps: { 'data-testid': 'cadence-select' } }}
      >
        {options.map(m => (
          <MenuItem key={m} value={m}>
            {m} min
          </MenuItem>
        ))}
      </TextField>
    </Stack>
  );
}
