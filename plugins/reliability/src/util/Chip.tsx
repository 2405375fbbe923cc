import { forwardRef } from 'react';
import MuiChip, { ChipProps } from '@mui/material/Chip';
import { Theme } from '@mui/material/styles';
import { legibleOn, textOnFill } from './legibility';

type PaletteColor =
  | 'primary'
  | 'secondary'
  | 'error'
  | 'warning'
  | 'info'
  | 'success';

/**
 * MUI's Chip with its label at 4.5:1 in every theme: a filled chip's label black or white, whichever reads on its
 * fill (white on the light theme's orange and on the dark theme's red miss it), an outlined chip's label its colour
 * tinted until it reads on the paper. Badges carry their state as words; this makes the words readable. Forwards its
 * ref, so a Tooltip can wrap it.
 */
export const Chip = forwardRef<HTMLDivElement, ChipProps>(function LegibleChip(
  props,
  ref,
) {
  const { color, variant, sx } = props;
  if (!color || color === 'default') return <MuiChip ref={ref} {...props} />;
  const legible = (theme: Theme) => {
    const main = theme.palette[color as PaletteColor].main;
    return variant === 'outlined'
      ? { color: legibleOn(main, theme.palette.background.paper) }
      : { color: textOnFill(main) };
  };
  const given = Array.isArray(sx) ? sx : [sx];
  return <MuiChip ref={ref} {...props} sx={[legible, ...given]} />;
});
