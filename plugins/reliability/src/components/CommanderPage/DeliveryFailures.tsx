import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Button from '@mui/material/Button';
import useInterval from 'react-use/esm/useInterval';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import {
  DeliveryRecord,
  formatElapsed,
  Page,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { legibleText } from '../../util/legibility';

const SHOWN = 10;

/** One failed delivery in a line: where, what, and why (the backend redacted the reason). */
function line(d: DeliveryRecord, now: number): string {
  const status = d.lastStatus === null ? '' : ` HTTP ${d.lastStatus}`;
  // an incident's page has no SLO: it names the incident and its entity
  const what = d.sloRef
    ? `alert ${d.transition} on ${d.sloRef}`
    : `incident ${d.alertId} page ${d.transition} on ${d.entityRef}`;
  return `${d.target} (${d.targetKind}): ${what}, ${formatElapsed(
    now - Date.parse(d.createdAt),
  )} ago, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${status}${
    d.lastError ? `: ${d.lastError}` : ''
  }`;
}

/** Acknowledge: stops the alert's escalation and tells PagerDuty (owners of the alert's entity only). */
function AcknowledgeButton(props: { d: DeliveryRecord; onDone: () => void }) {
  const api = useApi(reliabilityApiRef);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  if (props.d.acknowledged || done)
    return (
      <Typography variant="caption" component="span">
        {' '}
        (acknowledged
        {props.d.acknowledged ? ` by ${props.d.acknowledged.by}` : ''})
      </Typography>
    );
  if (
    typeof api.acknowledgeAlert !== 'function' ||
    props.d.transition !== 'fired'
  )
    return null;
  return (
    <>
      <Button
        size="small"
        disabled={busy}
        aria-label={`Acknowledge alert ${props.d.alertKey}`}
        onClick={async () => {
          setBusy(true);
          setError(undefined);
          try {
            await api.acknowledgeAlert!(props.d.alertKey);
            setDone(true);
            props.onDone();
          } catch (e) {
            setError(errorMessage(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Acknowledging…' : 'Acknowledge'}
      </Button>
      {error && (
        <Typography
          variant="caption"
          color={legibleText('error')}
          component="span"
          role="alert"
        >
          Could not acknowledge: {error}
        </Typography>
      )}
    </>
  );
}

/**
 * The deliveries of alerts that failed (PagerDuty, Slack, Opsgenie, Teams, webhooks): a page that never reached the
 * pager is shown where the commander looks. Nothing when none failed.
 */
export function DeliveryFailures() {
  const api = useApi(reliabilityApiRef);
  const failed = useAsyncRetry(
    async (): Promise<Page<DeliveryRecord>> =>
      typeof api.listDeliveries === 'function'
        ? api.listDeliveries({ state: 'failed', limit: 50 })
        : { items: [] },
    [api],
  );
  useInterval(failed.retry, 60_000);
  if (failed.error)
    return (
      <Typography variant="caption" color="text.secondary" component="p">
        Could not load the alert deliveries: {errorMessage(failed.error)}
      </Typography>
    );
  const items = failed.value?.items ?? [];
  if (!items.length) return null;
  const now = Date.now();
  return (
    <Alert severity="warning" sx={{ mb: 2 }} data-testid="delivery-failures">
      <AlertTitle>
        {items.length}
        {failed.value?.nextCursor ? '+' : ''} alert deliver
        {items.length === 1 ? 'y' : 'ies'} failed
      </AlertTitle>
      <Box component="ul" sx={{ m: 0, pl: 2 }}>
        {items.slice(0, SHOWN).map(d => (
          <li key={d.id}>
            <Typography variant="body2" component="span">
              {line(d, now)}
            </Typography>
            <AcknowledgeButton d={d} onDone={failed.retry} />
          </li>
        ))}
      </Box>
      {items.length > SHOWN && (
        <Typography variant="caption">
          and {items.length - SHOWN} more (GET /api/reliability/delivery)
        </Typography>
      )}
    </Alert>
  );
}
