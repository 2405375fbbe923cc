import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import {
  DeliveryRecord,
  formatElapsed,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { legibleText } from '../../util/legibility';

/** The alerts listed (newest first), and the entities whose remediation history is read for what fixed them. */
const SHOWN = 10;

/** One alert whose page nobody got: the fix healed it within the self-healing grace. */
export interface AutoRemediatedAlert {
  alertId: number;
  alertKey: string;
  sloRef: string;
  entityRef: string;
  /** When the page was held (the delivery's creation). */
  at: string;
  /** The executions that succeeded for the alert: `rule (action)`. */
  fixedBy: string[];
}

/** The avoided deliveries, one per alert (an alert with several targets has one row per target). */
function perAlert(items: DeliveryRecord[]): DeliveryRecord[] {
  const seen = new Set<number>();
  return items.filter(d =>
    d.transition === 'fired' && !seen.has(d.alertId)
      ? (seen.add(d.alertId), true)
      : false,
  );
}

/**
 * "Auto-remediated": the suite's own page alerts that paged nobody, because a remediation rule's fix succeeded and the
 * alert resolved within the self-healing grace (GET /delivery?state=avoided), each with what fixed it (the entity's
 * remediation history: the executions triggered by that alert) and when.
 */
export function AutoRemediated() {
  const api = useApi(reliabilityApiRef);
  const state = useAsyncRetry(async (): Promise<AutoRemediatedAlert[]> => {
    if (typeof api.listDeliveries !== 'function') return [];
    const avoided = perAlert(
      (await api.listDeliveries({ state: 'avoided', limit: 50 })).items,
    ).slice(0, SHOWN);
    const entities = [...new Set(avoided.map(d => d.entityRef))];
    const histories = new Map(
      await Promise.all(
        entities.map(
          async e => [e, (await api.listRemediations(e)).items] as const,
        ),
      ),
    );
    return avoided.map(d => ({
      alertId: d.alertId,
      alertKey: d.alertKey,
      sloRef: d.sloRef,
      entityRef: d.entityRef,
      at: d.createdAt,
      fixedBy: (histories.get(d.entityRef) ?? [])
        .filter(
          x => x.triggerId === `alert:${d.alertId}` && x.state === 'succeeded',
        )
        .map(x => `${x.ruleId} (${x.action})`),
    }));
  }, [api]);
  useInterval(state.retry, 60_000);

  let body: JSX.Element;
  if (state.loading && !state.value)
    body = <CircularProgress size={20} aria-label="loading auto-remediated" />;
  else if (state.error)
    body = (
      <Typography variant="body2" color={legibleText('error')}>
        Could not load the auto-remediated alerts: {errorMessage(state.error)}
      </Typography>
    );
  else if (!state.value?.length)
    body = (
      <Typography variant="body2" color="text.secondary">
        No page avoided yet: when a remediation fixes a burn within the
        self-healing grace, the alert is listed here instead of paging anyone.
      </Typography>
    );
  else {
    const now = Date.now();
    body = (
      <Box component="ul" sx={{ m: 0, pl: 2 }}>
        {state.value.map(a => (
          <li key={a.alertId} data-testid="auto-remediated-alert">
            <Typography variant="body2">
              {a.sloRef}: alert #{a.alertId} ({a.alertKey}) fixed by{' '}
              {a.fixedBy.length ? a.fixedBy.join(', ') : 'a remediation'},{' '}
              {formatElapsed(now - Date.parse(a.at))} ago (
              {new Date(a.at).toLocaleString()})
            </Typography>
          </li>
        ))}
      </Box>
    );
  }
  return (
    <Paper
      variant="outlined"
      sx={{ p: 2, mb: 2 }}
      data-testid="auto-remediated"
    >
      <Typography variant="h6" gutterBottom>
        Auto-remediated
      </Typography>
      {body}
    </Paper>
  );
}
