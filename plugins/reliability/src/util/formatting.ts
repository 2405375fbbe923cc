/** A ratio as a percentage with a fixed number of decimals (`45.4%`, `100.0%`), for columns of numbers that line up. */
export function fixedPercent(
  ratio: number | null | undefined,
  digits = 1,
): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio))
    return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

/**
 * Table styles: no word broken in the middle (Backstage's theme gives table cells `word-break: break-word`; the
 * table scrolls sideways instead), headers and short cells on one line, numbers right-aligned in tabular figures.
 */
export const FIT_TABLE_SX = {
  '& th, & td': { wordBreak: 'normal', overflowWrap: 'normal' },
  '& th': { whiteSpace: 'nowrap' },
  '& td.short': { whiteSpace: 'nowrap' },
  '& td.num': {
    whiteSpace: 'nowrap',
    fontVariantNumeric: 'tabular-nums',
    textAlign: 'right',
  },
} as const;
