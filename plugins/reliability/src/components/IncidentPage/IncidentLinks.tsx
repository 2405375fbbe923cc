import { useState } from 'react';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import { Chip } from '../../util/Chip';
import IconButton from '@mui/material/IconButton';
import Link from '@mui/material/Link';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import {
  INCIDENT_LINK_KINDS,
  Incident,
  IncidentLink,
  IncidentLinkKind,
} from '@reliability-suite/plugin-reliability-common';

/** How each kind of link reads on the page. */
export const LINK_KIND_LABELS: Record<IncidentLinkKind, string> = {
  dashboard: 'Dashboard',
  logs: 'Logs',
  'pull-request': 'Pull request',
  other: 'Other',
};

/** Only http(s) links are shown as links (the API refuses others; an older record is shown as text). */
function isWebUrl(url: string): boolean {
  try {
    const p = new URL(url).protocol;
    return p === 'http:' || p === 'https:';
  } catch {
    return false;
  }
}

/** The incident's links (dashboards, logs, pull requests): listed, added with a kind, removed. */
export function IncidentLinks({
  incident,
  onAdd,
  onRemove,
}: {
  incident: Incident;
  /** Resolves once added; the form is then cleared. Absent: read only. */
  onAdd?: (link: IncidentLink) => Promise<boolean>;
  onRemove?: (position: number) => void;
}) {
  const [kind, setKind] = useState<IncidentLinkKind>('dashboard');
  const [title, setTitle] = useState('');
  const [url, setUrl] = useState('');
  const links = incident.links ?? [];
  return (
    <Card variant="outlined" data-testid="incident-links">
      <CardHeader title="Links" subheader="Dashboards, logs, pull requests" />
      <CardContent>
        {links.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            No links yet.
          </Typography>
        )}
        <Stack spacing={0.5}>
          {links.map((l, i) => (
            <Stack
              key={`${l.url}-${i}`}
              direction="row"
              spacing={1}
              alignItems="center"
              data-testid="incident-link"
            >
              <Chip size="small" label={LINK_KIND_LABELS[l.kind] ?? l.kind} />
              {isWebUrl(l.url) ? (
                <Link href={l.url} target="_blank" rel="noopener noreferrer">
                  {l.title}
                </Link>
              ) : (
                <Typography variant="body2">{l.title}</Typography>
              )}
              <span style={{ flex: 1 }} />
              {onRemove && (
                <IconButton
                  size="small"
                  aria-label={`Remove link ${l.title}`}
                  onClick={() => onRemove(i + 1)}
                >
                  ×
                </IconButton>
              )}
            </Stack>
          ))}
        </Stack>
        {onAdd && (
          <Stack
            spacing={1}
            sx={{ mt: 2 }}
            component="form"
            onSubmit={async e => {
              e.preventDefault();
              if (await onAdd({ kind, title: title.trim(), url: url.trim() })) {
                setTitle('');
                setUrl('');
              }
            }}
          >
            <TextField
              select
              size="small"
              label="Kind"
              value={kind}
              onChange={e => setKind(e.target.value as IncidentLinkKind)}
              SelectProps={{ inputProps: { 'data-testid': 'link-kind' } }}
            >
              {INCIDENT_LINK_KINDS.map(k => (
                <MenuItem key={k} value={k}>
                  {LINK_KIND_LABELS[k]}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              size="small"
              label="Link title"
              value={title}
              onChange={e => setTitle(e.target.value)}
            />
            <TextField
              size="small"
              label="URL"
              placeholder="https://grafana.example.com/d/checkout"
              value={url}
              onChange={e => setUrl(e.target.value)}
            />
            <Button
              type="submit"
              disabled={!title.trim() || !isWebUrl(url.trim())}
            >
              Add link
            </Button>
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
