import { useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router-dom';
import { useReliabilityLinks } from '../../paths';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import Link from '@mui/material/Link';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import {
  formatElapsed,
  sectionForAlert,
  sloAlertLabels,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';
import { EntityPath, reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage, errorStatus, serverMessage } from '../../util/errors';
import { useReusedAsync } from '../../util/useReusedAsync';

/**
 * The entity's runbook and incidents on its Reliability tab: a link per SLO to the runbook section that answers
 * its burn-rate alerts, the empty state that offers the skeleton, active incidents, and "Declare incident".
 */
export function EntityRunbookCard({
  entity,
  slos,
}: {
  entity: EntityPath;
  slos: SloSummary[];
}) {
  const api = useApi(reliabilityApiRef);
  const links = useReliabilityLinks();
  const navigate = useNavigate();
  const entityRef =
    `${entity.kind}:${entity.namespace}/${entity.name}`.toLocaleLowerCase(
      'en-US',
    );
  const runbook = useReusedAsync(api, () => api.getRunbook(entity), [
    api,
    entityRef,
  ]);
  const incidents = useReusedAsync(
    api,
    () => api.listIncidents({ entityRef }),
    [api, entityRef],
  );
  const [error, setError] = useState<string>();
  const path = links.runbook(entityRef);
  const missing = errorStatus(runbook.error) === 404;

  const declare = async () => {
    setError(undefined);
    try {
      const i = await api.declareIncident({
        entityRef,
        title: `${entity.name} degraded`,
        severity: 'SEV2',
      });
      navigate(links.incident(i.id));
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <Card variant="outlined" data-testid="entity-runbook-card">
      <CardHeader
        title="Runbook & incidents"
        action={
          <Button size="small" color="error" onClick={declare}>
            Declare incident
          </Button>
        }
      />
      <CardContent>
        {error && <Alert severity="error">{error}</Alert>}
        {runbook.value && (
          <Stack spacing={0.5}>
            <Link component={RouterLink} to={path} underline="always">
              Open the runbook ({runbook.value.sections.length} sections)
            </Link>
            {slos.map(s => {
              // the labels the backend gives this SLO's first paging alert: the same section the commander opens
              const rule =
                s.alertPolicy?.rules.find(r => r.startsWith('page')) ??
                s.alertPolicy?.rules[0] ??
                'page';
              const section = sectionForAlert(
                runbook.value!.sections,
                sloAlertLabels({ rule, severity: 'page' }, s),
              );
              return section ? (
                <Typography key={s.ref} variant="body2">
                  {s.title} burning?{' '}
                  <Link
                    component={RouterLink}
                    underline="always"
                    to={links.runbook(entityRef, section.id)}
                    data-testid={`slo-runbook-${s.name}`}
                  >
                    {section.title}
                  </Link>
                </Typography>
              ) : null;
            })}
          </Stack>
        )}
        {missing && (
          <Typography variant="body2" data-testid="entity-runbook-missing">
            {serverMessage(runbook.error)}.{' '}
            <Link component={RouterLink} to={path} underline="always">
              Start one from the standard runbook skeleton
            </Link>
          </Typography>
        )}
        {runbook.error && !missing && (
          <Alert severity="warning" data-testid="entity-runbook-warning">
            The runbook could not be read: {errorMessage(runbook.error)}
          </Alert>
        )}
        {(incidents.value?.items.length ?? 0) > 0 && (
          <Stack spacing={0.5} sx={{ mt: 2 }}>
            <Typography variant="subtitle2">Incidents</Typography>
            {incidents.value!.items.slice(0, 10).map(i => (
              <Link
                key={i.id}
                component={RouterLink}
                underline="always"
                to={links.incident(i.id)}
              >
                #{i.id} {i.severity} {i.title} ·{' '}
                {i.state === 'active'
                  ? `${i.status}, open ${formatElapsed(
                      Date.now() - Date.parse(i.declaredAt),
                    )}`
                  : `closed, MTTR ${
                      i.mttrMs === null ? '–' : formatElapsed(i.mttrMs)
                    }`}
              </Link>
            ))}
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
