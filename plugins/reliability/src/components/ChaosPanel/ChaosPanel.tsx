import { useEffect, useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import Checkbox from '@mui/material/Checkbox';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import type {
  ChaosExperimentRecord,
  ChaosState,
  ChaosViolation,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { legibleErrorTextSx, legibleText } from '../../util/legibility';
import { RunChart } from './RunChart';
import { ChaosRuns } from './ChaosRuns';
import { ChaosExport } from './ChaosExport';

const STATE_COLOR: Record<
  ChaosState,
  'default' | 'info' | 'warning' | 'success' | 'error'
> = {
  draft: 'default',
  approved: 'info',
  running: 'warning',
  completed: 'success',
  aborted: 'error',
};

/** The faults the form offers; an experiment holds one or several of them. */
const FAULTS = [
  { type: 'latency', label: 'latency' },
  { type: 'error-rate', label: 'error rate' },
  { type: 'pod-kill', label: 'pod kill' },
] as const;
type FaultType = (typeof FAULTS)[number]['type'];

/** The form's values, as text fields hold them, and the faults chosen. */
interface FormValues {
  name: string;
  hypothesis: string;
  namespace: string;
  deployment: string;
  /** A share of requests (engines that route requests: Istio). */
  trafficPercent: string;
  /** A share of pods (engines that select pods: Litmus, Chaos Mesh). */
  podPercent: string;
  regions: string;
  canaryOnly: 'yes' | 'no';
  slo: string;
  faults: FaultType[];
  latencyMs: string;
  errorPercent: string;
  duration: string;
  environment: string;
  owner: string;
  approver: string;
  abortBudgetPercent: string;
  abortWithin: string;
  rollback: string;
  /** Expectations checked when a run ends: a remediation rule fires within a time, the SLO's burn stays under X. */
  expectRule: string;
  expectWithin: string;
  expectBurnBelow: string;
}

const blank = (slo: string): FormValues => ({
  name: '',
  hypothesis: '',
  namespace: '',
  deployment: '',
  trafficPercent: '5',
  podPercent: '5',
  regions: '',
  canaryOnly: 'yes',
  slo,
  faults: ['latency'],
  latencyMs: '300',
  errorPercent: '10',
  duration: '10m',
  environment: 'staging',
  owner: '',
  approver: '',
  abortBudgetPercent: '5',
  abortWithin: '90s',
  rollback: '',
  expectRule: '',
  expectWithin: '2m',
  expectBurnBelow: '',
});

const num = (text: string) => (text.trim() === '' ? undefined : Number(text));
const lines = (text: string) =>
  text
    .split('\n')
    .map(s => s.trim())
    .filter(Boolean);

/** The experiment document the form describes (the schema and linter judge it, on the server). */
export function toExperiment(v: FormValues): Record<string, unknown> {
  const faults = FAULTS.filter(f => v.faults.includes(f.type)).map(f => {
    if (f.type === 'latency')
      return { type: 'latency', ms: num(v.latencyMs), jitterMs: 0 };
    if (f.type === 'error-rate')
      return { type: 'error-rate', percent: num(v.errorPercent) };
    return { type: f.type };
  });
  return {
    name: v.name,
    hypothesis: v.hypothesis,
    target: {
      namespace: v.namespace,
      ...(v.deployment ? { deployment: v.deployment } : {}),
    },
    blastRadius: {
      trafficPercent: num(v.trafficPercent),
      podPercent: num(v.podPercent),
      regions: v.regions
        .split(',')
        .map(s => s.trim())
        .filter(Boolean),
      canaryOnly: v.canaryOnly === 'yes',
    },
    steadyState: { slo: v.slo },
    // one fault in the original form, several as a list (none: the linter asks for one)
    ...(faults.length === 1 ? { injection: faults[0] } : {}),
    ...(faults.length > 1 ? { injections: faults } : {}),
    duration: v.duration,
    schedule: { type: 'once' },
    environment: v.environment,
    owner: v.owner,
    ...(v.approver ? { approver: v.approver } : {}),
    abortConditions: v.abortBudgetPercent
      ? [
          {
            type: 'budget-spent',
            percent: num(v.abortBudgetPercent),
            within: v.abortWithin,
          },
        ]
      : [],
    rollback: lines(v.rollback),
    expectations: [
      ...(v.expectRule.trim()
        ? [
            {
              type: 'remediation-fires',
              rule: v.expectRule.trim(),
              within: v.expectWithin,
            },
          ]
        : []),
      ...(v.expectBurnBelow.trim()
        ? [{ type: 'slo-burn-below', threshold: num(v.expectBurnBelow) }]
        : []),
    ],
  };
}

type TextKey = Exclude<keyof FormValues, 'faults'>;

/** Which form field shows a violation of this experiment field (`injections.N.x` as `injection.x`). */
const FIELD_OF: Record<string, keyof FormValues> = {
  name: 'name',
  hypothesis: 'hypothesis',
  'target.namespace': 'namespace',
  'target.deployment': 'deployment',
  target: 'deployment',
  'blastRadius.trafficPercent': 'trafficPercent',
  'blastRadius.podPercent': 'podPercent',
  blastRadius: 'trafficPercent',
  'blastRadius.regions': 'regions',
  'blastRadius.canaryOnly': 'canaryOnly',
  'steadyState.slo': 'slo',
  'injection.ms': 'latencyMs',
  'injection.percent': 'errorPercent',
  injection: 'faults',
  injections: 'faults',
  duration: 'duration',
  environment: 'environment',
  owner: 'owner',
  approver: 'approver',
  abortConditions: 'abortBudgetPercent',
  'abortConditions.0.percent': 'abortBudgetPercent',
  'abortConditions.0.within': 'abortWithin',
  rollback: 'rollback',
  // the rule comes first when given: only a remediation-fires expectation has a rule and a within, only a burn one a
  // threshold
  'expectations.0.rule': 'expectRule',
  'expectations.0.within': 'expectWithin',
  'expectations.0.threshold': 'expectBurnBelow',
  'expectations.1.threshold': 'expectBurnBelow',
};

function ExperimentForm({
  entityRef,
  sloRefs,
  onSaved,
}: {
  entityRef: string;
  sloRefs: string[];
  onSaved: () => void;
}) {
  const api = useApi(reliabilityApiRef);
  const [values, setValues] = useState<FormValues>(() =>
    blank(sloRefs[0] ?? ''),
  );
  const [violations, setViolations] = useState<ChaosViolation[]>([]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const experiment = useMemo(() => toExperiment(values), [values]);

  // the linter runs as the form changes (debounced), with the entity's SLOs
  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      api
        .lintChaos(entityRef, experiment)
        .then(r => !cancelled && setViolations(r.violations))
        .catch(() => undefined);
    }, 300);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [api, entityRef, experiment]);

  const byField = new Map<keyof FormValues, string[]>();
  const elsewhere: ChaosViolation[] = [];
  for (const v of violations) {
    const f =
      FIELD_OF[v.field] ??
      FIELD_OF[v.field.replace(/^injections\.\d{1,2}(\.|$)/, 'injection$1')];
    if (f) byField.set(f, [...(byField.get(f) ?? []), v.message]);
    else elsewhere.push(v);
  }
  const field = (
    key: TextKey,
    label: string,
    extra: Record<string, unknown> = {},
  ) => (
    <TextField
      size="small"
      label={label}
      value={values[key]}
      onChange={e => setValues({ ...values, [key]: e.target.value })}
      error={byField.has(key)}
      helperText={byField.get(key)?.join('; ')}
      inputProps={{ 'data-testid': `chaos-field-${key}` }}
      InputLabelProps={{ sx: legibleErrorTextSx }}
      FormHelperTextProps={
        { id: `chaos-error-${key}`, sx: legibleErrorTextSx } as any
      }
      {...extra}
    />
  );

  const save = async () => {
    setSaving(true);
    setError(undefined);
    try {
      await api.createChaos(entityRef, experiment);
      setValues(blank(sloRefs[0] ?? ''));
      onSaved();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Box
      component="form"
      onSubmit={e => {
        e.preventDefault();
        save();
      }}
      data-testid="chaos-form"
      sx={{ mt: 2 }}
    >
      <Typography variant="subtitle2" gutterBottom>
        New experiment
      </Typography>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={1} sx={{ mb: 1 }}>
        {field('name', 'Name')}
        {field('hypothesis', 'Hypothesis', { fullWidth: true })}
      </Stack>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={1} sx={{ mb: 1 }}>
        {field('namespace', 'Namespace')}
        {field('deployment', 'Deployment')}
        {field('trafficPercent', 'Blast radius: % of requests (Istio)')}
        {field('podPercent', 'Blast radius: % of pods (Litmus, Chaos Mesh)')}
        {field('regions', 'Regions (comma-separated)')}
        {field('canaryOnly', 'Canary only', {
          select: true,
          sx: { minWidth: 120 },
          children: [
            <MenuItem key="yes" value="yes">
              yes
            </MenuItem>,
            <MenuItem key="no" value="no">
              no
            </MenuItem>,
          ],
        })}
      </Stack>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={1} sx={{ mb: 1 }}>
        {field('slo', 'Steady-state SLO', {
          select: true,
          sx: { minWidth: 220 },
          children: sloRefs.map(r => (
            <MenuItem key={r} value={r}>
              {r}
            </MenuItem>
          )),
        })}
      </Stack>
      <Stack
        direction={{ xs: 'column', md: 'row' }}
        spacing={1}
        sx={{ mb: 1 }}
        alignItems="center"
        role="group"
        aria-label="Injections"
      >
        <Typography variant="body2">Injections (at once):</Typography>
        {FAULTS.map(f => (
          <FormControlLabel
            key={f.type}
            label={f.label}
            control={
              <Checkbox
                size="small"
                checked={values.faults.includes(f.type)}
                inputProps={{ 'data-testid': `chaos-fault-${f.type}` } as any}
                onChange={e =>
                  setValues({
                    ...values,
                    faults: e.target.checked
                      ? [...values.faults, f.type]
                      : values.faults.filter(t => t !== f.type),
                  })
                }
              />
            }
          />
        ))}
        {values.faults.includes('latency') &&
          field('latencyMs', 'Latency (ms)')}
        {values.faults.includes('error-rate') &&
          field('errorPercent', 'Errors (%)')}
        {field('duration', 'Duration')}
      </Stack>
      {byField.has('faults') && (
        <FormHelperText error id="chaos-error-faults" sx={legibleErrorTextSx}>
          {byField.get('faults')!.join('; ')}
        </FormHelperText>
      )}
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={1} sx={{ mb: 1 }}>
        {field('environment', 'Environment')}
        {field('owner', 'Owner (group ref)')}
        {field('approver', 'Approver (user ref)')}
        {field('abortBudgetPercent', 'Abort: budget spent (%)')}
        {field('abortWithin', 'within')}
      </Stack>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={1} sx={{ mb: 1 }}>
        {field('expectRule', 'Expect: remediation rule fires (rule id)')}
        {field('expectWithin', 'within')}
        {field('expectBurnBelow', "Expect: the SLO's burn stays under (x)")}
      </Stack>
      {field('rollback', 'Rollback steps (one per line)', {
        multiline: true,
        rows: 3,
        fullWidth: true,
      })}
      {elsewhere.map(v => (
        <Alert
          key={`${v.field}-${v.message}`}
          severity="warning"
          sx={{ mt: 1 }}
        >
          {v.field}: {v.message}
        </Alert>
      ))}
      {error && (
        <Alert severity="error" sx={{ mt: 1 }} data-testid="chaos-save-error">
          {error}
        </Alert>
      )}
      <Button
        type="submit"
        variant="contained"
        sx={{ mt: 1 }}
        disabled={saving}
      >
        Save draft
      </Button>
    </Box>
  );
}

/** The experiment files of the entity's annotated folder, each with its linter verdict. */
function ExperimentFiles({ entityRef }: { entityRef: string }) {
  const api = useApi(reliabilityApiRef);
  const { value, error } = useAsyncRetry(
    () => api.listChaosFiles(entityRef),
    [api, entityRef],
  );
  if (error)
    return (
      <Alert severity="warning" sx={{ mb: 1 }}>
        Could not read the experiment files: {errorMessage(error)}
      </Alert>
    );
  if (!value?.location) return null;
  return (
    <Box sx={{ mb: 2 }} data-testid="chaos-files">
      <Typography variant="subtitle2">
        Experiment files in <code>{value.location}</code>
      </Typography>
      {value.files.length === 0 && (
        <Typography variant="body2">No YAML files there.</Typography>
      )}
      {value.files.map(f =>
        f.experiments.map((x, i) => (
          <Alert
            key={`${f.path}-${i}`}
            severity={x.ok ? 'success' : 'error'}
            sx={{ mt: 0.5 }}
            data-testid={`chaos-file-${f.path}`}
          >
            <strong>{f.path}</strong>
            {x.name ? ` (${x.name})` : ''}:{' '}
            {x.ok
              ? 'passes the linter'
              : x.violations.map(v => `${v.field}: ${v.message}`).join('; ')}
          </Alert>
        )),
      )}
      {value.skipped.length > 0 && (
        <Typography variant="caption">
          Not read: {value.skipped.join(', ')}
        </Typography>
      )}
    </Box>
  );
}

/** Chaos experiments on the entity's Reliability tab: their state, approve, start, the kill switch, and a new one. @public */
export function ChaosPanel({
  entityRef,
  sloRefs,
}: {
  entityRef: string;
  sloRefs: string[];
}) {
  const api = useApi(reliabilityApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listChaos(entityRef),
    [api, entityRef],
  );
  const [actionError, setActionError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  // the runs whose burn chart is open (a running experiment's always is)
  const [charts, setCharts] = useState<ReadonlySet<number>>(new Set());
  const toggleChart = (id: number) =>
    setCharts(open =>
      open.has(id)
        ? new Set([...open].filter(x => x !== id))
        : new Set([...open, id]),
    );

  const act = async (fn: () => Promise<unknown>) => {
    setActionError(undefined);
    setNotice(undefined);
    try {
      await fn();
    } catch (e) {
      setActionError(errorMessage(e));
    }
    retry();
  };

  return (
    <Card variant="outlined" data-testid="chaos-panel" id="chaos-panel">
      <CardHeader
        title="Chaos experiments"
        subheader="Break glass, not customers: every experiment is linted, approved by someone else, and aborted when its SLO burns."
      />
      <CardContent>
        {loading && !value && (
          <CircularProgress size={20} aria-label="loading experiments" />
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
            Could not load the experiments: {errorMessage(error)}
          </Alert>
        )}
        {actionError && (
          <Alert
            severity="error"
            sx={{ mb: 1 }}
            data-testid="chaos-action-error"
          >
            {actionError}
          </Alert>
        )}
        {notice && (
          <Alert
            severity="info"
            sx={{ mb: 1 }}
            data-testid="chaos-notice"
            onClose={() => setNotice(undefined)}
          >
            {notice}
          </Alert>
        )}
        <ExperimentFiles entityRef={entityRef} />
        {value && value.items.length === 0 && (
          <Typography variant="body2">
            No experiments yet. Design one below; the linter checks it as you
            type.
          </Typography>
        )}
        {value && value.items.length > 0 && (
          <Table size="small" aria-label="chaos experiments">
            <TableHead>
              <TableRow>
                <TableCell>Experiment</TableCell>
                <TableCell>State</TableCell>
                <TableCell>Budget</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {value.items.map((e: ChaosExperimentRecord) => [
                <TableRow key={e.id} data-testid={`chaos-row-${e.name}`}>
                  <TableCell>
                    <Typography variant="subtitle2">{e.name}</Typography>
                    <Typography variant="body2" color="text.secondary">
                      {e.experiment.hypothesis}
                    </Typography>
                    {e.abortReason && (
                      <Typography
                        variant="caption"
                        color={legibleText('error')}
                      >
                        Aborted: {e.abortReason}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>
                    <Chip
                      size="small"
                      label={e.state}
                      color={STATE_COLOR[e.state]}
                    />
                  </TableCell>
                  <TableCell>
                    {e.budgetAtStart !== null
                      ? `${Math.round(e.budgetAtStart * 100)}% at start`
                      : '—'}
                    {e.budgetSpent !== null
                      ? ` · ${(e.budgetSpent * 100).toFixed(1)}% spent`
                      : ''}
                  </TableCell>
                  <TableCell align="right">
                    {e.state === 'draft' && (
                      <Button
                        size="small"
                        onClick={() => act(() => api.approveChaos(e.id))}
                      >
                        Approve
                      </Button>
                    )}
                    {e.state === 'approved' && (
                      <Button
                        size="small"
                        variant="outlined"
                        onClick={() =>
                          act(async () => {
                            const started = await api.startChaos(e.id);
                            const calls = started.engineCalls ?? [];
                            setNotice(
                              calls.length
                                ? `${
                                    e.name
                                  } is running; the engine is being called by ${calls.join(
                                    ', ',
                                  )} (see Remediation history).`
                                : `${e.name} is running. No remediation rule calls an engine for it: start the fault yourself, or add a rule matching ChaosExperimentStarted.`,
                            );
                          })
                        }
                      >
                        Start
                      </Button>
                    )}
                    {e.startedAt && e.state !== 'running' && (
                      <Button
                        size="small"
                        onClick={() => toggleChart(e.id)}
                        aria-expanded={charts.has(e.id)}
                      >
                        {charts.has(e.id) ? 'Hide burn chart' : 'Burn chart'}
                      </Button>
                    )}
                    {e.state === 'running' && (
                      <Button
                        size="small"
                        variant="contained"
                        color="error"
                        onClick={() => act(() => api.abortChaos(e.id))}
                      >
                        Kill switch
                      </Button>
                    )}
                    <ChaosExport
                      id={e.id}
                      name={e.name}
                      onError={err => setActionError(errorMessage(err))}
                    />
                  </TableCell>
                </TableRow>,
                e.startedAt && (e.state === 'running' || charts.has(e.id)) ? (
                  <TableRow key={`${e.id}-chart`}>
                    <TableCell colSpan={4}>
                      <RunChart experiment={e} />
                    </TableCell>
                  </TableRow>
                ) : null,
                // a scheduled experiment's next run and its runs (refused scheduled starts with why); any other's
                // runs once it has run
                e.experiment.schedule?.type === 'cron' || e.startedAt ? (
                  <TableRow key={`${e.id}-runs`}>
                    <TableCell colSpan={4}>
                      <ChaosRuns experiment={e} />
                    </TableCell>
                  </TableRow>
                ) : null,
              ])}
            </TableBody>
          </Table>
        )}
        <ExperimentForm
          entityRef={entityRef}
          sloRefs={sloRefs}
          onSaved={retry}
        />
      </CardContent>
    </Card>
  );
}
