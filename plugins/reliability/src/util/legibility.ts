import {
  darken,
  getContrastRatio,
  getLuminance,
  lighten,
  Theme,
} from '@mui/material/styles';

/** WCAG 2's minimum contrast for normal-size text (success criterion 1.4.3, level AA). */
export const MIN_TEXT_CONTRAST = 4.5;
/** What status text aims for on the paper: 4.5:1 kept under a hovered or striped row's tint. */
export const TEXT_CONTRAST_WITH_ROOM = 5;

/**
 * The text colour for a filled badge: white while it keeps 4.5:1 on the fill (the look of the theme's own
 * contrast text), black otherwise (an orange warning fill, or the dark theme's lighter red, read in black).
 */
export function textOnFill(fill: string): string {
  const onWhite = getContrastRatio('#fff', fill);
  if (onWhite >= MIN_TEXT_CONTRAST) return '#fff';
  return getContrastRatio('#000', fill) > onWhite ? '#000' : '#fff';
}

/**
 * A foreground colour that keeps its hue and reads at `target` (5:1 by default) on the background: the colour itself
 * when it already does, else lightened (on a dark background) or darkened (on a light one) in tenths until it does.
 * The default leaves room above WCAG's 4.5:1 for the tint a table row takes under the pointer or in a stripe. At most
 * ten steps; the last is white or black, which always reaches 4.5:1 on a background darker or lighter than mid-grey.
 */
export function legibleOn(
  foreground: string,
  background: string,
  target = TEXT_CONTRAST_WITH_ROOM,
): string {
  if (getContrastRatio(foreground, background) >= target) return foreground;
  const towardsLight = getLuminance(background) < 0.18;
  for (let step = 1; step <= 10; step++) {
    const candidate = towardsLight
      ? lighten(foreground, step / 10)
      : darken(foreground, step / 10);
    if (getContrastRatio(candidate, background) >= target) return candidate;
  }
  return towardsLight ? '#fff' : '#000';
}

/**
 * For a form's label and helper text: in the error state, the theme's error colour tinted until it reads on the
 * paper (the dark theme's red on its grey paper is 2.7:1). Selects the state class itself, so it holds whatever
 * prefix the app gives MUI's class names.
 */
export const legibleErrorTextSx = (theme: Theme) => ({
  '&.Mui-error': {
    color: legibleOn(theme.palette.error.main, theme.palette.background.paper),
  },
});

/** The palette colours the suite writes status text in. */
export type StatusColor = 'error' | 'warning' | 'success' | 'info';

/**
 * Status text (a burn over its threshold, an error line, a diff's added line) in the theme's status colour, tinted
 * until it reads at 4.5:1 on the paper: the light theme's orange and the dark theme's red do not as they are. For a
 * `color` prop or an `sx` colour.
 */
export const legibleText = (c: StatusColor) => (theme: Theme) =>
  legibleOn(theme.palette[c].main, theme.palette.background.paper);
