import Box from '@mui/material/Box';
import { Chip } from '../../util/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import {
  BURN_RATE_WINDOWS,
  DEFAULT_MWMB_RULES,
  SloSummary,
  formatTarget,
} from '@reliability-suite/plugin-reliability-common';
import {
  formatBurn,
  formatCount,
  formatMinutes,
  formatPercent,
  formatUntil,
  STATE_COLOR,
  STATE_LABEL,
} from '@reliability-suite/plugin-reliability-common';
import { fixedPercent } from '../../util/formatting';
import { ScrollRegion } from '../../util/ScrollRegion';
import { legibleText } from '../../util/legibility';

const highestThreshold = (rate: number | null) => {
  if (rate === null) return undefined;
  return DEFAULT_MWMB_RULES.find(r => rate >= r.burnRate);
};

/**
 * The SLOs of an entity, one row each, with budget, burn rates and status. With `sloLink`, each SLO's title links
 * to its page (the tab's `slo/:name`).
 */
export function SloTable(props: {
  items: SloSummary[];
  selected?: string;
  onSelect?: (ref: string) => void;
  sloLink?: (slo: SloSummary) => string;
}) {
  const { items, selected, onSelect, sloLink } = props;
  return (
    // narrow screens scroll the table sideways, the SLO column staying in place
    <ScrollRegion label="SLO table">
      <Table
        size="small"
        aria-label="Service level objectives"
        sx={{
          // no word broken in the middle (Backstage's theme breaks words in table cells): the table scrolls
          '& th, & td': { wordBreak: 'normal', overflowWrap: 'normal' },
          '& th, & td.num': { whiteSpace: 'nowrap' },
          '& td.num': { fontVariantNumeric: 'tabular-nums' },
          '& .slo-name': {
            position: 'sticky',
            left: 0,
            zIndex: 1,
            backgroundColor: 'background.paper',
          },
        }}
      >
        <TableHead>
          <TableRow>
            <TableCell className="slo-name">SLO</TableCell>
            <TableCell>Objective</TableCell>
            <TableCell>Window</TableCell>
            <TableCell>SLI</TableCell>
            <TableCell>Budget remaining</TableCell>
            {BURN_RATE_WINDOWS.map(w => (
              <TableCell key={w} align="right">
                <Tooltip title={`Burn rate over the last ${w}`}>
                  <span>{w}</span>
                </Tooltip>
              </TableCell>
            ))}
            <TableCell>Status</TableCell>
            <TableCell>Budget exhausted</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map(slo => {
            const s = slo.status;
            return (
              <TableRow
                key={slo.ref}
                hover
                selected={selected === slo.ref}
                onClick={onSelect ? () => onSelect(slo.ref) : undefined}
                sx={{ cursor: onSelect ? 'pointer' : undefined }}
                data-testid={`slo-row-${slo.name}`}
              >
                <TableCell
                  className="slo-name"
                  sx={{ minWidth: 200, maxWidth: 320 }}
                >
                  <Typography variant="body2" fontWeight={600}>
                    {sloLink ? (
                      <Link
                        to={sloLink(slo)}
                        data-testid={`slo-link-${slo.name}`}
                      >
                        {slo.title}
                      </Link>
                    ) : (
                      slo.title
                    )}
                  </Typography>
                  {slo.description && (
                    <Typography variant="caption" color="text.secondary">
                      {slo.description}
                    </Typography>
                  )}
                </TableCell>
                <TableCell className="num">
                  {formatTarget(slo.objective)}
                </TableCell>
                <TableCell className="num">{slo.windowLabel}</TableCell>
                <TableCell className="num">
                  {formatPercent(s?.sli)}
                  {s?.composite && (
                    <Typography
                      variant="caption"
                      color="text.secondary"
                      component="div"
                      data-testid={`composite-${slo.name}`}
                    >
                      {s.composite
                        .map(
                          o =>
                            `${o.displayName ?? 'objective'} ${formatPercent(
                              o.sli,
                            )} (x${o.weight})`,
                        )
                        .join(' · ')}
                    </Typography>
                  )}
                  {s?.display && (
                    <Typography
                      variant="caption"
                      color="text.secondary"
                      component="div"
                    >
                      {s.display.label}{' '}
                      {s.display.value === null
                        ? '—'
                        : `${Number(s.display.value.toPrecision(4))}${
                            s.display.unit ? ` ${s.display.unit}` : ''
                          }`}
                    </Typography>
                  )}
                </TableCell>
                <TableCell sx={{ fontVariantNumeric: 'tabular-nums' }}>
                  <Typography
                    variant="body2"
                    fontWeight={600}
                    color={
                      s && (s.budgetRemaining ?? 1) <= 0
                        ? legibleText('error')
                        : undefined
                    }
                  >
                    {fixedPercent(s?.budgetRemaining, 1)}
                  </Typography>
                  {s && s.budgetRemainingEvents !== null && (
                    <Typography
                      variant="caption"
                      color="text.secondary"
                      component="div"
                    >
                      {formatCount(s.budgetRemainingEvents)} of{' '}
                      {formatCount(s.budgetAllowedEvents)}{' '}
                      {s.slices
                        ? `bad ${sliceLabel(s.slices.sliceMs)} slices`
                        : 'events'}{' '}
                      · {formatMinutes(s.budgetRemainingMinutes)} of{' '}
                      {formatMinutes(s.budgetAllowedMinutes)}
                    </Typography>
                  )}
                </TableCell>
                {BURN_RATE_WINDOWS.map(w => {
                  const rate = s?.burnRates[w] ?? null;
                  const over = highestThreshold(rate);
                  return (
                    <TableCell
                      key={w}
                      align="right"
                      className="num"
                      sx={{
                        color:
                          over &&
                          legibleText(
                            over.severity === 'page' ? 'error' : 'warning',
                          ),
                        fontWeight: over ? 600 : undefined,
                      }}
                    >
                      {formatBurn(rate)}
                    </TableCell>
                  );
                })}
                <TableCell>
                  {s ? (
                    <Tooltip
                      title={
                        s.reason ??
                        (s.firing.length
                          ? `Firing: ${s.firing.map(f => f.id).join(', ')}`
                          : '')
                      }
                    >
                      <Chip
                        size="small"
                        label={STATE_LABEL[s.state]}
                        color={STATE_COLOR[s.state]}
                      />
                    </Tooltip>
                  ) : (
                    <Tooltip title="A new SLO: the scheduled evaluation has not reached it yet (it runs every minute by default)">
                      <Chip
                        size="small"
                        variant="outlined"
                        label="Not evaluated yet"
                      />
                    </Tooltip>
                  )}
                </TableCell>
                <TableCell>
                  <Box sx={{ whiteSpace: 'nowrap' }}>
                    {s?.state === 'exhausted'
                      ? 'exhausted'
                      : formatUntil(s?.exhaustsAt)}
                  </Box>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </ScrollRegion>
  );
}

/** `1-minute`, `5-minute`, `1-hour`: a slice length as a word. */
function sliceLabel(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}-hour`;
  if (ms % 60_000 === 0) return `${ms / 60_000}-minute`;
  return `${Math.round(ms / 1000)}-second`;
}
