import { useState } from 'react';
import Button from '@mui/material/Button';
import Menu from '@mui/material/Menu';
import MenuItem from '@mui/material/MenuItem';
import { useApi } from '@backstage/core-plugin-api';
import {
  CHAOS_EXPORT_FORMATS,
  CHAOS_EXPORT_SHARE,
  type ChaosExportFormat,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { saveFile } from '../../util/saveFile';

const ENGINE_NAMES: Record<ChaosExportFormat, string> = {
  litmus: 'Litmus ChaosEngine',
  'chaos-mesh': 'Chaos Mesh',
  'chaos-toolkit': 'Chaos Toolkit',
  istio: 'Istio VirtualService',
};

/**
 * Export: the experiment as one engine's file, downloaded under the name the backend gives it. Each engine says what
 * its blast radius counts (pods, or a share of traffic). A refusal (an experiment an engine cannot express) is
 * reported through `onError`.
 */
export function ChaosExport({
  id,
  name,
  onError,
}: {
  id: number;
  name: string;
  onError: (message: unknown) => void;
}) {
  const api = useApi(reliabilityApiRef);
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const [busy, setBusy] = useState(false);
  const download = async (format: ChaosExportFormat) => {
    setAnchor(null);
    setBusy(true);
    try {
      const { filename, content } = await api.exportChaos(id, format);
      saveFile(content, filename);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  const menuId = `chaos-export-${id}`;
  return (
    <>
      <Button
        size="small"
        aria-haspopup="menu"
        aria-controls={anchor ? menuId : undefined}
        aria-expanded={Boolean(anchor)}
        aria-label={`Export ${name}`}
        disabled={busy}
        onClick={e => setAnchor(e.currentTarget)}
      >
        Export
      </Button>
      <Menu
        id={menuId}
        anchorEl={anchor}
        open={Boolean(anchor)}
        onClose={() => setAnchor(null)}
      >
        {CHAOS_EXPORT_FORMATS.map(f => (
          <MenuItem key={f} onClick={() => download(f)}>
            {ENGINE_NAMES[f]} ({CHAOS_EXPORT_SHARE[f]})
          </MenuItem>
        ))}
      </Menu>
    </>
  );
}
