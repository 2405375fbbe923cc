import { ChangeEvent, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import { errorMessage } from '../../util/errors';

/**
 * An upload button for a CSV file (a drill log, a synthetic registry): refuses a file over `maxBytes` before
 * sending it, hands its text to `onUpload`, and shows the server's error (which names the broken lines) below.
 */
export function CsvUpload(props: {
  label: string;
  maxBytes: number;
  inputTestId: string;
  errorTestId: string;
  onUpload: (name: string, text: string) => Promise<void>;
}) {
  const { label, maxBytes, inputTestId, errorTestId, onUpload } = props;
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const upload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      if (file.size > maxBytes)
        throw new Error(
          `${file.name} is ${(file.size / 1024 / 1024).toFixed(
            1,
          )} MB; at most ${maxBytes / 1024 / 1024} MB per import`,
        );
      await onUpload(file.name, await file.text());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box>
      <input
        ref={input}
        type="file"
        accept=".csv,text/csv"
        hidden
        onChange={upload}
        data-testid={inputTestId}
      />
      <Button
        size="small"
        variant="outlined"
        disabled={busy}
        onClick={() => input.current?.click()}
      >
        {label}
      </Button>
      {error && (
        <Alert severity="error" sx={{ mt: 1 }} data-testid={errorTestId}>
          {error}
        </Alert>
      )}
    </Box>
  );
}
