import { FormEvent, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { useApi } from '@backstage/core-plugin-api';
import {
  CartesianGrid,
  ReferenceLine,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import {
  DRILL_KINDS,
  DrillListResponse,
  DrillRecord,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { FIT_TABLE_SX } from '../../util/formatting';
import { CsvUpload } from '../CsvUpload/CsvUpload';
import { WindowBurnChart } from '../SloCharts/WindowBurnChart';
import { dateFormat } from '../../util/dates';
import { ScrollRegion } from '../../util/ScrollRegion';
import { ChartBox } from '../../util/ChartBox';
import { saveFile } from '../../util/saveFile';

const DAY = 86_400_000;
const day = dateFormat({
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const secs = (s: number | null | undefined) => {
  if (s === null || s === undefined) return '—';
  return s >= 120 ? `${Number((s / 60).toFixed(1))} min` : `${Math.round(s)} s`;
};

/** Drills on a timeline: the recovery time each one measured against the RTO, pass or fail. */
function DrillTimeline({
  drills,
  rtoSeconds,
}: {
  drills: DrillRecord[];
  rtoSeconds: number | null;
}) {
  const theme = useTheme();
  const point = (d: DrillRecord) => ({
    t: Date.parse(d.date),
    minutes: Number((d.measuredRtoSeconds / 60).toFixed(2)),
    region: d.region,
    date: d.date,
  });
  const passed = drills.filter(d => d.success).map(point);
  const failed = drills.filter(d => !d.success).map(point);
  const peak = Math.max(
    ...drills.map(d => d.measuredRtoSeconds / 60),
    rtoSeconds ? rtoSeconds / 60 : 0,
  );
  return (
    <Box data-testid="drill-timeline">
      <Typography variant="subtitle2">
        Recovery time per drill
        {rtoSeconds !== null ? `, against the RTO of ${secs(rtoSeconds)}` : ''}
      </Typography>
      <Typography variant="caption" color="text.secondary">
        {passed.length} passed · {failed.length} failed
      </Typography>
      {/* the chart draws the table below: assistive technology reads the table, not the dots */}
      <Box aria-hidden>
        <ChartBox height={220}>
          <ScatterChart margin={{ top: 16, right: 24, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={[
                (min: number) => min - 15 * DAY,
                (max: number) => max + 15 * DAY,
              ]}
              tickFormatter={t => day(Number(t))}
              name="date"
            />
            <YAxis
              dataKey="minutes"
              type="number"
              domain={[0, Math.ceil(peak * 1.2) || 1]}
              width={48}
              unit=" min"
              name="recovery time"
            />
            <Tooltip
              formatter={(v: any, name: any) =>
                name === 'date' ? day(Number(v)) : `${v} min`
              }
            />
            {rtoSeconds !== null && (
              <ReferenceLine
                y={rtoSeconds / 60}
                stroke={theme.palette.error.main}
                strokeDasharray="6 3"
                label={{
                  value: `RTO ${secs(rtoSeconds)}`,
                  position: 'insideTopRight',
                  fontSize: 10,
                }}
              />
            )}
            <Scatter
              name="passed"
              data={passed}
              fill={theme.palette.success.main}
              isAnimationActive={false}
            />
            <Scatter
              name="failed"
              data={failed}
              fill={theme.palette.error.main}
              shape="cross"
              isAnimationActive={false}
            />
          </ScatterChart>
        </ChartBox>
      </Box>
    </Box>
  );
}

interface FormValues {
  date: string;
  kind: string;
  region: string;
  toRegion: string;
  durationMin: string;
  success: string;
  rtoSeconds: string;
  rpoSeconds: string;
  replicationLagSeconds: string;
  steps: string;
  notes: string;
}

const num = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** The drill the form describes; the server's schema judges it and names each bad field. */
export function toDrill(v: FormValues): Record<string, unknown> {
  return {
    date: v.date,
    kind: v.kind,
    region: v.region.trim(),
    ...(v.toRegion.trim() ? { toRegion: v.toRegion.trim() } : {}),
    durationMin: num(v.durationMin),
    success: v.success === 'true',
    ...(num(v.rtoSeconds) !== undefined
      ? { rtoSeconds: num(v.rtoSeconds) }
      : {}),
    ...(num(v.rpoSeconds) !== undefined
      ? { rpoSeconds: num(v.rpoSeconds) }
      : {}),
    ...(num(v.replicationLagSeconds) !== undefined
      ? { replicationLagSeconds: num(v.replicationLagSeconds) }
      : {}),
    steps: v.steps
      .split('\n')
      .map(s => s.trim())
      .filter(Boolean),
    notes: v.notes,
  };
}

function DrillForm({
  entityRef,
  onSaved,
}: {
  entityRef: string;
  onSaved: () => void;
}) {
  const api = useApi(reliabilityApiRef);
  const [values, setValues] = useState<FormValues>({
    date: new Date().toISOString().slice(0, 10),
    kind: 'regional-failover',
    region: '',
    toRegion: '',
    durationMin: '',
    success: 'true',
    rtoSeconds: '',
    rpoSeconds: '',
    replicationLagSeconds: '',
    steps: '',
    notes: '',
  });
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const field = (
    key: keyof FormValues,
    label: string,
    extra: Record<string, unknown> = {},
  ) => (
    <TextField
      size="small"
      label={label}
      value={values[key]}
      onChange={e => setValues({ ...values, [key]: e.target.value })}
      inputProps={{ 'data-testid': `drill-field-${key}` }}
      {...extra}
    />
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      await api.createDrill(entityRef, toDrill(values));
      onSaved();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Box
      component="form"
      onSubmit={submit}
      data-testid="drill-form"
      sx={{ mt: 2 }}
    >
      <Typography variant="subtitle2" gutterBottom>
        Record a drill
      </Typography>
      <Stack
        direction="row"
        spacing={1}
        useFlexGap
        flexWrap="wrap"
        sx={{ '& > *': { minWidth: 140 } }}
      >
        {field('date', 'Date', {
          type: 'date',
          InputLabelProps: { shrink: true },
        })}
        <TextField
          select
          size="small"
          label="Kind"
          value={values.kind}
          onChange={e => setValues({ ...values, kind: e.target.value })}
        >
          {DRILL_KINDS.map(k => (
            <MenuItem key={k} value={k}>
              {k}
            </MenuItem>
          ))}
        </TextField>
        {field('region', 'Region (e.g. ap-sg)')}
        {field('toRegion', 'Failed over to')}
        {field('durationMin', 'Duration (min)', { type: 'number' })}
        <TextField
          select
          size="small"
          label="Result"
          value={values.success}
          onChange={e => setValues({ ...values, success: e.target.value })}
        >
          <MenuItem value="true">success</MenuItem>
          <MenuItem value="false">failed</MenuItem>
        </TextField>
        {field('rtoSeconds', 'Measured RTO (s)', { type: 'number' })}
        {field('rpoSeconds', 'Measured RPO (s)', { type: 'number' })}
        {field('replicationLagSeconds', 'Replication lag (s)', {
          type: 'number',
        })}
      </Stack>
      <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
        {field('steps', 'Steps taken (one per line)', {
          multiline: true,
          rows: 3,
          sx: { flex: 1 },
        })}
        {field('notes', 'Notes', { multiline: true, rows: 3, sx: { flex: 1 } })}
      </Stack>
      {error && (
        <Alert severity="error" sx={{ mt: 1 }} data-testid="drill-save-error">
          {error}
        </Alert>
      )}
      <Button
        type="submit"
        variant="contained"
        sx={{ mt: 1 }}
        disabled={saving}
      >
        Record drill
      </Button>
    </Box>
  );
}

/** Upload and download of the drill log as CSV (the drill registry's `date,region,duration_min,success,notes`). */
function CsvButtons({
  entityRef,
  onImported,
}: {
  entityRef: string;
  onImported: (message: string) => void;
}) {
  const api = useApi(reliabilityApiRef);
  const [error, setError] = useState<string>();
  const download = async () => {
    setError(undefined);
    try {
      const csv = await api.exportDrills(entityRef);
      saveFile(
        csv,
        `${entityRef.replace(/[^a-z0-9-]+/gi, '-')}-drills.csv`,
        'text/csv',
      );
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <Box>
      <Stack direction="row" spacing={1} alignItems="flex-start">
        <CsvUpload
          label="Upload CSV"
          maxBytes={2 * 1024 * 1024}
          inputTestId="drill-upload-input"
          errorTestId="drill-import-error"
          onUpload={async (name, text) => {
            const r = await api.importDrills(entityRef, text);
            onImported(
              `Imported ${name}: ${r.added} new drill${
                r.added === 1 ? '' : 's'
              }, ${r.updated} updated.`,
            );
          }}
        />
        <Button size="small" onClick={download}>
          Download CSV
        </Button>
      </Stack>
      {error && (
        <Alert severity="error" sx={{ mt: 1 }} data-testid="drill-export-error">
          {error}
        </Alert>
      )}
    </Box>
  );
}

/**
 * Failover drills on the entity's Reliability tab: RTO/RPO targets, warnings, the timeline, the last drill, the log
 * (each drill with its SLO's burn beside it), CSV upload and download, and the form for the people who run one.
 * @public
 */
export function DrillsPanel({
  entityRef,
  sloRefs,
}: {
  entityRef: string;
  sloRefs: string[];
}) {
  const api = useApi(reliabilityApiRef);
  const [pages, setPages] = useState(1);
  const { value, loading, error, retry } =
    useAsyncRetry(async (): Promise<DrillListResponse> => {
      // the first pages, as many as asked for (Load more)
      let r = await api.listDrills(entityRef, { limit: 50 });
      const items = [...r.items];
      for (let p = 1; p < pages && r.nextCursor; p++) {
        r = await api.listDrills(entityRef, {
          limit: 50,
          cursor: r.nextCursor,
        });
        items.push(...r.items);
      }
      return { ...r, items };
    }, [api, entityRef, pages]);
  const [notice, setNotice] = useState<string>();
  const [open, setOpen] = useState<number>();
  const t = value?.targets;
  return (
    <Card variant="outlined" data-testid="drills-panel" id="drills-panel">
      <CardHeader
        title="Failover drills"
        subheader={
          t && (t.rtoSeconds !== null || t.rpoSeconds !== null)
            ? `RTO ${secs(t.rtoSeconds)} · RPO ${secs(t.rpoSeconds)}`
            : 'No RTO/RPO targets yet: annotate the entity with reliability.io/rto (e.g. 5m) and reliability.io/rpo (e.g. 60s)'
        }
        action={
          <CsvButtons
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
          <CircularProgress size={20} aria-label="loading drills" />
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
            Could not load the drills: {errorMessage(error)}
          </Alert>
        )}
        {notice && (
          <Alert
            severity="success"
            sx={{ mb: 1 }}
            onClose={() => setNotice(undefined)}
            data-testid="drill-notice"
          >
            {notice}
          </Alert>
        )}
        {value?.targetProblems.map(p => (
          <Alert key={p} severity="warning" sx={{ mb: 1 }}>
            {p}
          </Alert>
        ))}
        {value?.warnings.map(w => (
          <Alert
            key={w.code}
            severity={w.code === 'none' ? 'info' : 'warning'}
            sx={{ mb: 1 }}
            data-testid={`drill-warning-${w.code}`}
          >
            {w.message}
          </Alert>
        ))}
        {value && value.items.length > 0 && (
          <>
            <DrillTimeline
              drills={value.items}
              rtoSeconds={value.targets.rtoSeconds}
            />
            {value.last && (
              <Typography
                variant="body2"
                sx={{ my: 1 }}
                data-testid="drill-last"
              >
                Last drill {value.last.date}: {value.last.kind} of{' '}
                {value.last.region}
                {value.last.toRegion ? ` to ${value.last.toRegion}` : ''},{' '}
                {value.last.success ? 'succeeded' : 'failed'} in{' '}
                {secs(value.last.measuredRtoSeconds)}
                {value.last.rpoSeconds !== undefined
                  ? `, RPO ${secs(value.last.rpoSeconds)}`
                  : ''}
                {value.last.replicationLagSeconds !== undefined
                  ? `, replication lag ${secs(
                      value.last.replicationLagSeconds,
                    )}`
                  : ''}
                .
              </Typography>
            )}
            <ScrollRegion label="drills table">
              <Table
                size="small"
                aria-label="failover drills"
                sx={FIT_TABLE_SX}
              >
                <TableHead>
                  <TableRow>
                    <TableCell>Date</TableCell>
                    <TableCell>Drill</TableCell>
                    <TableCell>Recovery</TableCell>
                    <TableCell>RPO / lag</TableCell>
                    <TableCell>Notes</TableCell>
                    <TableCell />
                  </TableRow>
                </TableHead>
                <TableBody>
                  {value.items.map(d => [
                    <TableRow
                      key={d.id}
                      data-testid={`drill-row-${d.date}-${d.region}`}
                    >
                      <TableCell className="short">{d.date}</TableCell>
                      <TableCell>
                        {d.kind} · {d.region}
                        {d.toRegion ? ` → ${d.toRegion}` : ''}
                      </TableCell>
                      <TableCell>
                        <Chip
                          size="small"
                          color={d.success ? 'success' : 'error'}
                          label={d.success ? 'passed' : 'failed'}
                          sx={{ mr: 1 }}
                        />
                        {secs(d.measuredRtoSeconds)}
                      </TableCell>
                      <TableCell>
                        {secs(d.rpoSeconds)} / {secs(d.replicationLagSeconds)}
                      </TableCell>
                      <TableCell sx={{ maxWidth: 360, whiteSpace: 'pre-wrap' }}>
                        {d.notes}
                        {d.evidence.map(link => (
                          <Box key={link}>
                            <a
                              href={link}
                              target="_blank"
                              rel="noopener noreferrer"
                            >
                              {link}
                            </a>
                          </Box>
                        ))}
                      </TableCell>
                      <TableCell align="right">
                        {sloRefs.length > 0 && (
                          <Button
                            size="small"
                            onClick={() =>
                              setOpen(open === d.id ? undefined : d.id)
                            }
                            aria-expanded={open === d.id}
                          >
                            {open === d.id ? 'Hide burn' : 'Budget burn'}
                          </Button>
                        )}
                      </TableCell>
                    </TableRow>,
                    open === d.id ? (
                      <TableRow key={`${d.id}-burn`}>
                        <TableCell colSpan={6}>
                          {sloRefs.map(ref => {
                            const start = Date.parse(d.date);
                            return (
                              <WindowBurnChart
                                key={ref}
                                sloRef={ref}
                                from={start - DAY}
                                to={start + 2 * DAY}
                                shade={{
                                  start,
                                  end: start + DAY,
                                  label: `drill day (${d.durationMin} min)`,
                                }}
                                title={`${ref}: burn rate over 5m around the drill of ${d.date}`}
                                testId={`drill-burn-${d.id}-${ref}`}
                              />
                            );
                          })}
                        </TableCell>
                      </TableRow>
                    ) : null,
                  ])}
                </TableBody>
              </Table>
            </ScrollRegion>
            {value.nextCursor && (
              <Button
                size="small"
                onClick={() => setPages(pages + 1)}
                sx={{ mt: 1 }}
              >
                Load more
              </Button>
            )}
          </>
        )}
        <DrillForm
          entityRef={entityRef}
          onSaved={() => {
            setNotice('Drill recorded.');
            retry();
          }}
        />
      </CardContent>
    </Card>
  );
}
