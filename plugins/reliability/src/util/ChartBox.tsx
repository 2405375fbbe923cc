import { ReactElement } from 'react';
import Box from '@mui/material/Box';
import { Theme } from '@mui/material/styles';
import { ResponsiveContainer } from 'recharts';

/**
 * Recharts draws its axis ticks in #666 and its unstyled labels in #808080 whatever the theme: 1.6:1 on the dark
 * theme's paper. Tick values and those labels take the theme's secondary text colour (a label given its own colour
 * keeps it).
 */
const legibleChartSx = (theme: Theme) => ({
  '& text.recharts-cartesian-axis-tick-value, & text.recharts-label[fill="#808080"]':
    { fill: theme.palette.text.secondary },
});

/** A chart as wide as its container and `height` tall, with ticks and labels legible in both themes. */
export function ChartBox({
  height,
  children,
}: {
  height: number | string;
  children: ReactElement;
}) {
  return (
    <Box sx={[legibleChartSx, { width: '100%', height }]}>
      <ResponsiveContainer width="100%" height="100%">
        {children}
      </ResponsiveContainer>
    </Box>
  );
}
