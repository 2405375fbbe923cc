import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import {
  REGISTRY_NAMES,
  REGISTRY_TITLES,
} from '@reliability-suite/plugin-reliability-common';
import type {
  RegistryImportResult,
  RegistryName,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { CsvUpload } from '../CsvUpload/CsvUpload';

/**
 * One upload for the four CSV registries of an SRE practice (SLOs, burn-rate alerts, synthetic journeys, drills) (POST /import/:registry): pick the registry (and the entity for the
 * per-entity ones), optionally as a dry run, then the file. Shows every row's outcome, or the refused rows by line.
 */
export function RegistryImport(props: { onImported?: () => void }) {
  const api = useApi(reliabilityApiRef);
  const [registry, setRegistry] = useState<RegistryName>('slos');
  const [entityRef, setEntityRef] = useState('');
  const [dryRun, setDryRun] = useState(false);
  const [result, setResult] = useState<{
    file: string;
    value: RegistryImportResult;
  }>();
  const info = REGISTRY_TITLES[registry];
  const upload = async (file: string, text: string) => {
    setResult(undefined);
    if (info.perEntity && !entityRef.trim())
      throw new Error(
        `The ${info.title.toLowerCase()} belongs to one entity: fill in the entity, such as component:default/checkout`,
      );
    const value = await api.importRegistry(registry, text, {
      entityRef: info.perEntity ? entityRef.trim() : undefined,
      dryRun: dryRun && !info.perEntity,
    });
    setResult({ file, value });
    if (!value.dryRun) props.onImported?.();
  };
  return (
    <Box data-testid="registry-import" sx={{ mb: 2 }}>
      <Stack
        direction={{ xs: 'column', md: 'row' }}
        spacing={1}
        alignItems="center"
      >
        <TextField
          select
          size="small"
          label="Registry"
          value={registry}
          onChange={e => {
            setRegistry(e.target.value as RegistryName);
            setResult(undefined);
          }}
          sx={{ minWidth: 220 }}
          SelectProps={{
            SelectDisplayProps: { 'data-testid': 'registry-select' } as object,
          }}
        >
          {REGISTRY_NAMES.map(r => (
            <MenuItem key={r} value={r}>
              {REGISTRY_TITLES[r].title}
            </MenuItem>
          ))}
        </TextField>
        {info.perEntity ? (
          <TextField
            size="small"
            label="Entity"
            placeholder="component:default/checkout"
            value={entityRef}
            onChange={e => setEntityRef(e.target.value)}
            inputProps={{ 'data-testid': 'registry-entity' }}
          />
        ) : (
          <FormControlLabel
            control={
              <Checkbox
                size="small"
                checked={dryRun}
                onChange={e => setDryRun(e.target.checked)}
              />
            }
            label="Dry run (check only)"
          />
        )}
        <CsvUpload
          label={`Import ${info.title.toLowerCase()}`}
          maxBytes={2 * 1024 * 1024}
          inputTestId="registry-file"
          errorTestId="registry-error"
          onUpload={upload}
        />
      </Stack>
      <Typography
        variant="caption"
        color="text.secondary"
        component="div"
        sx={{ mt: 0.5 }}
      >
        Columns: {info.header}. Every row is checked first; a file with a bad
        row imports nothing.
      </Typography>
      {result && (
        <Alert severity="success" sx={{ mt: 1 }} data-testid="registry-result">
          {result.file}
          {result.value.dryRun ? ' (dry run, nothing written)' : ''}:{' '}
          {result.value.created} created, {result.value.updated} updated,{' '}
          {result.value.unchanged} unchanged.
          {result.value.rows.length > 0 && (
            <Box component="ul" sx={{ m: 0, pl: 2 }}>
              {result.value.rows.map(r => (
                <li key={`${r.line}-${r.id}`}>
                  line {r.line} {r.id}: {r.outcome}
                  {r.detail ? ` (${r.detail})` : ''}
                </li>
              ))}
            </Box>
          )}
          {result.value.notes.map(n => (
            <div key={n}>{n}</div>
          ))}
        </Alert>
      )}
    </Box>
  );
}
