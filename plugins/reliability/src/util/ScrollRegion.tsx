import { ReactNode } from 'react';
import TableContainer from '@mui/material/TableContainer';

/**
 * A table that scrolls sideways rather than break its words: a named region the keyboard can reach (Tab, then the
 * arrow keys scroll it), as axe's scrollable-region-focusable asks.
 */
export function ScrollRegion({
  label,
  children,
}: {
  label: string;
  children: ReactNode;
}) {
  return (
    <TableContainer
      sx={{ overflowX: 'auto' }}
      tabIndex={0}
      role="region"
      aria-label={label}
    >
      {children}
    </TableContainer>
  );
}
