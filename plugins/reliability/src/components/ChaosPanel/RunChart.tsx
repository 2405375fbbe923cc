import { useMemo } from 'react';
import type { ChaosExperimentRecord } from '@reliability-suite/plugin-reliability-common';
import { WindowBurnChart } from '../SloCharts/WindowBurnChart';
import { dateFormat } from '../../util/dates';

const MIN = 60_000;
const time = dateFormat({ hour: '2-digit', minute: '2-digit' });

/**
 * The window a run's chart shows: the run, with as much again on each side (at least 10 minutes), so the burn
 * before the start and after the end shows too (what is still to come stays empty). A running experiment ends now.
 */
export function runWindow(
  e: Pick<ChaosExperimentRecord, 'startedAt' | 'finishedAt'>,
  now: number,
): { from: number; to: number; start: number; end: number } | null {
  if (!e.startedAt) return null;
  const start = Date.parse(e.startedAt);
  const end = e.finishedAt ? Date.parse(e.finishedAt) : now;
  const pad = Math.max(10 * MIN, end - start);
  return {
    from: Math.floor((start - pad) / MIN) * MIN,
    to: Math.ceil((end + pad) / MIN) * MIN,
    start,
    end,
  };
}

/**
 * One run of an experiment: its steady-state SLO's burn rate over 5 minutes, with the run window shaded and, when
 * it was aborted, the abort moment marked.
 */
export function RunChart({
  experiment: e,
}: {
  experiment: ChaosExperimentRecord;
}) {
  // the window as of the first draw (a running experiment's end is now): stable across redraws
  const w = useMemo(
    () => runWindow(e, Date.now()),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [e.startedAt, e.finishedAt],
  );
  if (!w) return null;
  const slo = e.experiment.steadyState.slo;
  return (
    <WindowBurnChart
      sloRef={slo}
      from={w.from}
      to={w.to}
      shade={{ start: w.start, end: w.end, label: 'run' }}
      marker={
        e.state === 'aborted' && e.finishedAt
          ? { t: Date.parse(e.finishedAt), label: 'aborted' }
          : undefined
      }
      title={`${slo}: burn rate over 5m during the run (${time(w.start)}–${
        e.finishedAt ? time(w.end) : 'now'
      })`}
      testId={`chaos-run-chart-${e.name}`}
    />
  );
}
