import { useState } from 'react';
import Button from '@mui/material/Button';
import Tooltip from '@mui/material/Tooltip';
import { useApi, alertApiRef } from '@backstage/core-plugin-api';
import type { SloSummary } from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { saveFile } from '../../util/saveFile';

/** Downloads the SLO's Prometheus rule file (recording + multi-window burn-rate alerts, Sloth's shape). */
export function DownloadRulesButton({ slo }: { slo: SloSummary }) {
  const api = useApi(reliabilityApiRef);
  const alertApi = useApi(alertApiRef);
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const text = await api.getPrometheusRules(slo.ref);
      saveFile(text, `${slo.ref.replace('/', '-')}.rules.yaml`, 'text/yaml');
    } catch (e) {
      alertApi.post({
        message: `Could not export the rules of ${slo.title}: ${errorMessage(
          e,
        )}`,
        severity: 'error',
      });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Tooltip title="Prometheus recording and alerting rules for this SLO (checked with promtool)">
      <span>
        <Button
          size="small"
          variant="outlined"
          onClick={download}
          disabled={busy}
          sx={{ textTransform: 'none', mr: 1 }}
        >
          Prometheus rules
        </Button>
      </span>
    </Tooltip>
  );
}
