import { render, screen } from '@testing-library/react';
import { createTheme, ThemeProvider } from '@mui/material/styles';
import { Chip } from './Chip';

const labelColor = (text: string) =>
  getComputedStyle(screen.getByText(text).parentElement!).color;

describe('Chip', () => {
  it('writes a filled warning chip in black on the light theme orange, where white reads at 3.1:1', () => {
    render(
      <ThemeProvider theme={createTheme({ palette: { mode: 'light' } })}>
        <Chip size="small" color="warning" label="frozen" />
        <Chip size="small" color="error" label="burning" />
      </ThemeProvider>,
    );
    expect(labelColor('frozen')).toBe('rgb(0, 0, 0)');
    // white keeps 4.98:1 on the light theme red
    expect(labelColor('burning')).toBe('rgb(255, 255, 255)');
  });

  it('writes a filled error chip in black on the dark theme red', () => {
    render(
      <ThemeProvider theme={createTheme({ palette: { mode: 'dark' } })}>
        <Chip size="small" color="error" label="page (pending)" />
      </ThemeProvider>,
    );
    expect(labelColor('page (pending)')).toBe('rgb(0, 0, 0)');
  });

  it('keeps the sx it is given, and leaves a default chip as MUI draws it', () => {
    render(
      <ThemeProvider theme={createTheme()}>
        <Chip label="plain" />
        <Chip color="info" label="tall" sx={{ height: 40 }} />
      </ThemeProvider>,
    );
    expect(
      getComputedStyle(screen.getByText('tall').parentElement!).height,
    ).toBe('40px');
    expect(screen.getByText('plain')).toBeInTheDocument();
  });
});

describe('Chip in a Tooltip', () => {
  it('forwards its ref and props, so the tooltip names it', async () => {
    const Tooltip = (await import('@mui/material/Tooltip')).default;
    render(
      <ThemeProvider theme={createTheme()}>
        <Tooltip title="no runner for us-east">
          <Chip
            color="warning"
            variant="outlined"
            label="us-east: unmonitored"
          />
        </Tooltip>
      </ThemeProvider>,
    );
    expect(screen.getByLabelText('no runner for us-east')).toHaveTextContent(
      'us-east: unmonitored',
    );
  });
});
