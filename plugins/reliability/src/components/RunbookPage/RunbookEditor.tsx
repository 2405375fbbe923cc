import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import DeleteIcon from '@mui/icons-material/Delete';
import { useApi } from '@backstage/core-plugin-api';
import type { FailureMode } from '@reliability-suite/plugin-reliability-common';
import { EntityPath, reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';

/** Edits the portal runbook (when it lives in the portal) and the failure-mode catalog; saves a new version. */
export function RunbookEditor(props: {
  entity: EntityPath;
  baseVersion: number;
  markdown?: string;
  failureModes: FailureMode[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const api = useApi(reliabilityApiRef);
  const [markdown, setMarkdown] = useState(props.markdown);
  const [modes, setModes] = useState<FailureMode[]>(props.failureModes);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);

  const save = async () => {
    setSaving(true);
    setError(undefined);
    try {
      await api.saveRunbook(props.entity, {
        baseVersion: props.baseVersion,
        markdown,
        failureModes: modes,
        ...(message ? { message } : {}),
      });
      props.onSaved();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };
  const setMode = (i: number, key: keyof FailureMode, value: string) =>
    setModes(m =>
      m.map((row, j) => (j === i ? { ...row, [key]: value } : row)),
    );

  return (
    <Stack spacing={2} data-testid="runbook-editor">
      {markdown !== undefined && (
        <TextField
          label="Runbook (Markdown)"
          multiline
          minRows={18}
          value={markdown}
          onChange={e => setMarkdown(e.target.value)}
          inputProps={{
            'aria-label': 'runbook markdown',
            style: { fontFamily: 'monospace', fontSize: 13 },
          }}
          helperText="One ## section per skeleton field. A line 'Alerts: Name, Name{label=&quot;value&quot;}' in a section links those alerts to it."
        />
      )}
      <Box>
        <Typography variant="h6">Failure modes</Typography>
        {modes.map((m, i) => (
          <Stack key={i} direction="row" spacing={1} sx={{ mt: 1 }}>
            <TextField
              size="small"
              label="Mode"
              value={m.mode}
              onChange={e => setMode(i, 'mode', e.target.value)}
              sx={{ flex: 1 }}
            />
            <TextField
              size="small"
              label="Detection"
              value={m.detection}
              onChange={e => setMode(i, 'detection', e.target.value)}
              sx={{ flex: 1 }}
            />
            <TextField
              size="small"
              label="Mitigation"
              value={m.mitigation}
              onChange={e => setMode(i, 'mitigation', e.target.value)}
              sx={{ flex: 1 }}
            />
            <IconButton
              aria-label={`remove ${m.mode}`}
              onClick={() => setModes(ms => ms.filter((_, j) => j !== i))}
            >
              <DeleteIcon />
            </IconButton>
          </Stack>
        ))}
        <Button
          size="small"
          sx={{ mt: 1 }}
          onClick={() =>
            setModes(ms => [...ms, { mode: '', detection: '', mitigation: '' }])
          }
        >
          Add a failure mode
        </Button>
      </Box>
      <TextField
        size="small"
        label="What changed (optional)"
        value={message}
        onChange={e => setMessage(e.target.value)}
      />
      {error && (
        <Alert severity="error" data-testid="runbook-save-error">
          {error}
        </Alert>
      )}
      <Stack direction="row" spacing={1}>
        <Button variant="contained" onClick={save} disabled={saving}>
          Save version {props.baseVersion + 1}
        </Button>
        <Button onClick={props.onCancel}>Cancel</Button>
      </Stack>
    </Stack>
  );
}
