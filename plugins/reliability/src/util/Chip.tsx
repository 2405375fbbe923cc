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
 * tinted until it reads on the paper. Badges carry their state as words; this makes the words readable.
 */
export function Chip(props: ChipProps) {
  const { color, variant, sx } = props;
  if (!color || color === 'default') return <MuiChip {...props} />;
  const legible = (theme: Theme) => {
    const main = theme.palette[color as PaletteColor].main;
    return variant === 'outlined'
      ? { color: legibleOn(main, theme.palette.background.paper) }
      : { color: textOnFill(main) };
  };
  const given = Array.isArray(sx) ? sx : [sx];
  return <MuiChip {...props} sx={[legible, ...given]} />;
}
