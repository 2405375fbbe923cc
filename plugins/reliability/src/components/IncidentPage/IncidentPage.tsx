import { useState } from 'react';
import { Link as RouterLink, useParams } from 'react-router-dom';
import { useReliabilityLinks } from '../../paths';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Link from '@mui/material/Link';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import {
  formatElapsed,
  Incident,
  INCIDENT_ROLE_TITLES,
  INCIDENT_ROLES,
  INCIDENT_STATUSES,
  IncidentRole,
  IncidentStatus,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { dateFormat } from '../../util/dates';
import { ActionItems } from './ActionItems';
import { IncidentLinks } from './IncidentLinks';
import { StatusUpdateTimer } from './StatusUpdateTimer';

/**
 * A timeline entry's date and time in the viewer's locale and time zone, e.g. "Nov 21, 2026, 02:03 PM" in en-US: an
 * incident can run across midnight.
 */
const when = dateFormat(
  {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  },
  typeof navigator === 'undefined' ? undefined : navigator.language,
);

/**
 * One incident, worked through a lite incident playbook: roles, timeline (dated), status updates on a timer, links,
 * close with the PIR, and its action items followed after close.
 */
export function IncidentPage() {
  const { id = '' } = useParams();
  const api = useApi(reliabilityApiRef);
  const links = useReliabilityLinks();
  const incident = useAsyncRetry(() => api.getIncident(Number(id)), [api, id]);
  const [error, setError] = useState<string>();
  const [note, setNote] = useState('');
  const [status, setStatus] = useState<IncidentStatus>('identified');
  const [statusText, setStatusText] = useState('');
  const [roles, setRoles] = useState<Partial<Record<IncidentRole, string>>>();
  const [pir, setPir] = useState({
    impact: '',
    rootCauses: '',
    actionItems: '',
  });

  const act = async (
    fn: () => Promise<Incident>,
    after?: () => void,
  ): Promise<boolean> => {
    setError(undefined);
    try {
      await fn();
      after?.();
      incident.retry();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    }
  };

  const exportMarkdown = async () => {
    const md = await api.getIncidentMarkdown(Number(id));
    const url = URL.createObjectURL(new Blob([md], { type: 'text/markdown' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `incident-${id}.md`;
    a.click();
    URL.revokeObjectURL(url);
  };

  if (incident.loading && !incident.value)
    return <CircularProgress aria-label="loading incident" sx={{ m: 4 }} />;
  if (incident.error || !incident.value) {
    return (
      <Alert
        severity="error"
        sx={{ m: 3 }}
        action={<Button onClick={incident.retry}>Retry</Button>}
      >
        {incident.error ? errorMessage(incident.error) : 'No incident'}
      </Alert>
    );
  }
  const i = incident.value;
  const active = i.state === 'active';
  const editRoles = roles ?? i.roles;
  return (
    <Box p={3} data-testid="incident-page">
      <Stack direction="row" spacing={1} alignItems="center">
        <Typography variant="h4">
          #{i.id} {i.title}
        </Typography>
        <Chip
          color={active ? 'error' : 'default'}
          label={`${i.severity} · ${i.state} · ${i.status}`}
        />
      </Stack>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
        <Link component={RouterLink} to={links.entityReliability(i.entityRef)}>
          {i.entityRef}
        </Link>{' '}
        · declared {new Date(i.declaredAt).toLocaleString()} by {i.declaredBy}
        {i.trigger ? ` from ${i.trigger}` : ''} ·{' '}
        {i.mttrMs === null
          ? `open for ${formatElapsed(Date.now() - Date.parse(i.declaredAt))}`
          : `MTTR ${formatElapsed(i.mttrMs)}`}{' '}
        ·{' '}
        <Link component={RouterLink} to={links.runbook(i.entityRef)}>
          runbook
        </Link>
      </Typography>
      {error && (
        <Alert severity="error" sx={{ mb: 2 }} data-testid="incident-error">
          {error}
        </Alert>
      )}
      <Stack
        direction={{ xs: 'column', md: 'row' }}
        spacing={2}
        alignItems="flex-start"
      >
        <Stack spacing={2} flex={1}>
          <Card variant="outlined">
            <CardHeader
              title="Timeline"
              action={<Button onClick={exportMarkdown}>Export Markdown</Button>}
            />
            <CardContent>
              {i.events.map(e => (
                <Box key={e.id} sx={{ mb: 1 }} data-testid="incident-event">
                  <Typography variant="caption" color="text.secondary">
                    {when(e.at)} · {e.author} · {e.kind}
                    {e.status ? ` → ${e.status}` : ''}
                  </Typography>
                  <Typography variant="body2">{e.text}</Typography>
                </Box>
              ))}
              {active && (
                <Stack direction="row" spacing={1} sx={{ mt: 2 }}>
                  <TextField
                    size="small"
                    fullWidth
                    label="Scribe: what happened"
                    value={note}
                    onChange={e => setNote(e.target.value)}
                  />
                  <Button
                    variant="contained"
                    disabled={!note.trim()}
                    onClick={() =>
                      act(
                        () => api.appendTimeline(i.id, note),
                        () => setNote(''),
                      )
                    }
                  >
                    Add
                  </Button>
                </Stack>
              )}
            </CardContent>
          </Card>
          {active && (
            <Card variant="outlined">
              <CardHeader
                title="Status update"
                subheader={`Every ${
                  i.updateCadenceMinutes ?? 30
                } minutes to stakeholders`}
              />
              <CardContent>
                <StatusUpdateTimer
                  incident={i}
                  onCadence={
                    api.setIncidentCadence
                      ? minutes =>
                          act(() => api.setIncidentCadence!(i.id, minutes))
                      : undefined
                  }
                />
                <Stack direction="row" spacing={1}>
                  <TextField
                    select
                    size="small"
                    label="Status"
                    value={status}
                    onChange={e => setStatus(e.target.value as IncidentStatus)}
                    sx={{ minWidth: 160 }}
                  >
                    {INCIDENT_STATUSES.map(s => (
                      <MenuItem key={s} value={s}>
                        {s}
                      </MenuItem>
                    ))}
                  </TextField>
                  <TextField
                    size="small"
                    fullWidth
                    label="Update"
                    value={statusText}
                    onChange={e => setStatusText(e.target.value)}
                  />
                  <Button
                    variant="contained"
                    disabled={!statusText.trim()}
                    onClick={() =>
                      act(
                        () =>
                          api.updateIncidentStatus(i.id, status, statusText),
                        () => setStatusText(''),
                      )
                    }
                  >
                    Post
                  </Button>
                </Stack>
              </CardContent>
            </Card>
          )}
        </Stack>
        <Stack spacing={2} sx={{ width: { md: 420 } }}>
          <IncidentLinks
            incident={i}
            onAdd={
              api.addIncidentLink
                ? link => act(() => api.addIncidentLink!(i.id, link))
                : undefined
            }
            onRemove={
              api.removeIncidentLink
                ? position => act(() => api.removeIncidentLink!(i.id, position))
                : undefined
            }
          />
          <Card variant="outlined">
            <CardHeader title="Roles" />
            <CardContent>
              <Stack spacing={1}>
                {INCIDENT_ROLES.map(r => (
                  <TextField
                    key={r}
                    size="small"
                    label={INCIDENT_ROLE_TITLES[r]}
                    value={editRoles[r] ?? ''}
                    disabled={!active}
                    onChange={e =>
                      setRoles({ ...editRoles, [r]: e.target.value })
                    }
                  />
                ))}
                {active && roles && (
                  <Button
                    onClick={() =>
                      act(
                        () => api.setIncidentRoles(i.id, roles),
                        () => setRoles(undefined),
                      )
                    }
                  >
                    Save roles
                  </Button>
                )}
              </Stack>
            </CardContent>
          </Card>
          {active ? (
            <Card variant="outlined">
              <CardHeader
                title="Close"
                subheader="Impact, root causes (one per line), action items (title; owner; YYYY-MM-DD per line)"
              />
              <CardContent>
                <Stack spacing={1}>
                  <TextField
                    size="small"
                    multiline
                    label="Impact"
                    value={pir.impact}
                    onChange={e => setPir({ ...pir, impact: e.target.value })}
                  />
                  <TextField
                    size="small"
                    multiline
                    label="Root causes"
                    value={pir.rootCauses}
                    onChange={e =>
                      setPir({ ...pir, rootCauses: e.target.value })
                    }
                  />
                  <TextField
                    size="small"
                    multiline
                    label="Action items"
                    value={pir.actionItems}
                    onChange={e =>
                      setPir({ ...pir, actionItems: e.target.value })
                    }
                  />
                  <Button
                    color="error"
                    variant="contained"
                    onClick={() =>
                      act(() =>
                        api.closeIncident(i.id, {
                          impact: pir.impact,
                          rootCauses: pir.rootCauses
                            .split('\n')
                            .map(s => s.trim())
                            .filter(Boolean),
                          actionItems: pir.actionItems
                            .split('\n')
                            .map(l => l.split(';').map(s => s.trim()))
                            .filter(p => p[0])
                            .map(([title, owner = '', due = '']) => ({
                              title,
                              owner,
                              due,
                            })),
                        }),
                      )
                    }
                  >
                    Close incident
                  </Button>
                </Stack>
              </CardContent>
            </Card>
          ) : (
            <Card variant="outlined" data-testid="incident-pir">
              <CardHeader title="Post-incident review" />
              <CardContent>
                <Typography variant="subtitle2">Impact</Typography>
                <Typography variant="body2" paragraph>
                  {i.impact}
                </Typography>
                <Typography variant="subtitle2">Root causes</Typography>
                <ul>
                  {i.rootCauses.map(c => (
                    <li key={c}>{c}</li>
                  ))}
                </ul>
                <Typography variant="subtitle2" sx={{ mb: 1 }}>
                  Action items
                </Typography>
                <ActionItems
                  items={i.actionItems}
                  now={Date.now()}
                  when={when}
                  onDone={
                    api.setActionItemDone
                      ? (position, done) =>
                          act(() =>
                            api.setActionItemDone!(i.id, position, done),
                          )
                      : undefined
                  }
                />
              </CardContent>
            </Card>
          )}
        </Stack>
      </Stack>
    </Box>
  );
}
