import { useEffect, useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import {
  buildOpenSlo,
  sloInputFromForm,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';

/** What a scaffolder field receives (the part this field reads). */
export interface SloPreviewFieldProps {
  onChange: (value: string | undefined) => void;
  formContext?: { formData?: Record<string, unknown> };
}

/**
 * The "New SLO" template's last step: the OpenSLO YAML the template will write, checked by the catalog's own parser,
 * and a backtest of the objective over the SLI's history ("over the last 30 days this SLO would have ended with 41%
 * of its budget left, and paged 2 times") before anything is created. Its value is the backtest's sentence.
 */
export function SloPreviewField(props: SloPreviewFieldProps) {
  const { onChange, formContext } = props;
  const api = useApi(reliabilityApiRef);
  const form = formContext?.formData ?? {};
  const input = useMemo(() => sloInputFromForm(form), [JSON.stringify(form)]); // eslint-disable-line react-hooks/exhaustive-deps
  const built = useMemo(() => buildOpenSlo(input), [input]);
  const ingest =
    (input.source as { type: string }).type === 'ingest' &&
    (input.sli as { type: string }).type !== 'synthetic';
  const component =
    typeof input.component === 'string' ? input.component : undefined;
  // an ingest SLI has no history yet: an existing SLO of the component stands in for it
  // those with counts first (the ingest's own, then the rest): a new SLO has none yet
  const existing = useAsync(async () => {
    if (!ingest || !component) return [];
    const items = (await api.listSlos(component)).items;
    const rank = (s: (typeof items)[number]) =>
      ((s.status?.total ?? 0) > 0 ? 0 : 2) +
      ((s.sourceType ?? 'Ingest').toLowerCase() === 'ingest' ? 0 : 1);
    return [...items].sort((a, b) => rank(a) - rank(b)).map(s => s.ref);
  }, [api, ingest, component]);
  const [historyFrom, setHistoryFrom] = useState<string>();
  const from = historyFrom ?? existing.value?.[0];
  const result = useAsync(async () => {
    if (!built.ok || (ingest && !from)) return undefined;
    return api.backtestSlo({
      slo: input,
      historyFrom: ingest ? from : undefined,
      days: 30,
    });
  }, [api, built.ok, input, ingest, from]);
  useEffect(() => onChange(result.value?.summary), [result.value?.summary]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <Box data-testid="slo-preview">
      <Typography variant="subtitle1">The SLO file</Typography>
      {built.ok ? (
        <Box
          component="pre"
          data-testid="slo-preview-yaml"
          sx={{
            p: 1,
            bgcolor: 'action.hover',
            overflowX: 'auto',
            fontSize: 12,
            maxHeight: 360,
          }}
        >
          {built.yaml}
        </Box>
      ) : (
        <Alert severity="warning" data-testid="slo-preview-error">
          Not a valid SLO yet: {built.error}
        </Alert>
      )}
      <Typography variant="subtitle1" sx={{ mt: 2 }}>
        Backtest over the last 30 days
      </Typography>
      {ingest && existing.value && existing.value.length === 0 && (
        <Alert severity="info">
          No history to replay: the component reports no SLI yet. The SLO starts
          counting once its service posts to /sli-events.
        </Alert>
      )}
      {ingest && existing.value && existing.value.length > 0 && (
        <TextField
          select
          size="small"
          label="History from"
          value={from ?? ''}
          onChange={e => setHistoryFrom(e.target.value)}
          sx={{ my: 1, minWidth: 280 }}
          helperText="An existing SLO whose counts stand in for the new SLI"
        >
          {existing.value.map(r => (
            <MenuItem key={r} value={r}>
              {r}
            </MenuItem>
          ))}
        </TextField>
      )}
      {result.loading && (
        <CircularProgress size={20} aria-label="backtesting" />
      )}
      {result.error && (
        <Alert severity="error">
          The backtest failed: {errorMessage(result.error)}
        </Alert>
      )}
      {result.value && (
        <Alert
          severity={
            result.value.budgetRemaining !== null &&
            result.value.budgetRemaining < 0
              ? 'warning'
              : 'info'
          }
          data-testid="slo-preview-backtest"
        >
          {result.value.summary}{' '}
          <Typography variant="caption" component="span">
            (from {result.value.history})
          </Typography>
        </Alert>
      )}
    </Box>
  );
}
